"""The Helm chart, rendered by the real helm: lint, then the manifests parsed and
checked for what the agent needs (privileges, host mounts, NODE_NAME, probes,
RBAC, CRDs) with default and non-default values. Exit 77 (skipped) without helm:
run scripts/install-helm.sh (or scripts/install-deps.sh --test)."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

common.require_python_modules()
HELM = common.find_helm()
if not HELM:
    common.skip("helm not found (set $HELM, put it on PATH, or run scripts/install-helm.sh)")

import yaml  # noqa: E402
from schema_util import crd_version_schema  # noqa: E402

NAMESPACE = "kube-system"


def helm(*args, check=True):
    out = subprocess.run([HELM, *args], capture_output=True, text=True, check=False)
    if check and out.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return out


def render(*sets, kube_version=None, values=None):
    args = ["template", "vigil", common.CHART_DIR, "--namespace", NAMESPACE]
    for s in sets:
        args += ["--set", s]
    if kube_version:
        args += ["--kube-version", kube_version]
    if values:
        args += ["--values", values]
    docs = [d for d in yaml.safe_load_all(helm(*args).stdout) if d]
    return Manifests(docs)


class Manifests:
    def __init__(self, docs):
        self.docs = docs

    def of_kind(self, kind):
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind, name=None):
        found = [d for d in self.of_kind(kind) if name is None or d["metadata"]["name"] == name]
        if len(found) != 1:
            raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)}")
        return found[0]

    def pod(self):
        return self.one("DaemonSet")["spec"]["template"]

    def container(self, name):
        for c in self.pod()["spec"]["containers"]:
            if c["name"] == name:
                return c
        return None

    def volume(self, name):
        return next(v for v in self.pod()["spec"]["volumes"] if v["name"] == name)

    def mount(self, container, path):
        c = self.container(container)
        return next((m for m in c.get("volumeMounts", []) if m["mountPath"] == path), None)

    def agent_config(self):
        return yaml.safe_load(self.one("ConfigMap", "vigil-config")["data"]["vigild.yaml"])


def vigild_flags():
    """Flag names `vigild --help` lists, or None when vigild is not built."""
    path = os.path.join(common.BUILD_DIR, "vigild") if common.BUILD_DIR else ""
    if not path or not os.access(path, os.X_OK):
        return None
    out = subprocess.run([path, "--help"], capture_output=True, text=True, check=False)
    return set(re.findall(r"--([a-z0-9-]+)", out.stdout))


class Lint(unittest.TestCase):
    def test_lint_strict_default_values(self):
        helm("lint", "--strict", common.CHART_DIR)

    def test_lint_strict_non_default_values(self):
        helm("lint", "--strict", common.CHART_DIR, "--set", "securityContext.privileged=false",
             "--set", "metrics.serviceMonitor.enabled=true", "--set", "dashboards.enabled=true",
             "--set", "crds.install=false", "--set", "export.hostPath=", "--set", "k8sApi.enabled=false")


class DefaultValues(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = render()

    def test_objects(self):
        kinds = sorted(d["kind"] for d in self.m.docs)
        self.assertEqual(kinds, sorted(["ServiceAccount", "ConfigMap", "ConfigMap", "CustomResourceDefinition",
                                        "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                                        "Service", "DaemonSet"]))

    def test_runs_on_every_node(self):
        spec = self.m.pod()["spec"]
        self.assertIn({"operator": "Exists"}, spec["tolerations"], "must tolerate every taint")
        self.assertEqual(spec["nodeSelector"], {"kubernetes.io/os": "linux"})

    def test_privileged(self):
        sc = self.m.container("vigild")["securityContext"]
        self.assertIs(sc["privileged"], True)
        self.assertEqual(sc["runAsUser"], 0)

    def test_host_proc_is_the_procfs_flag(self):
        cfg = self.m.agent_config()
        mount = self.m.mount("vigild", cfg["procfs"])
        self.assertIsNotNone(mount, f"--procfs {cfg['procfs']} is not a mount")
        self.assertTrue(mount["readOnly"])
        self.assertEqual(self.m.volume(mount["name"])["hostPath"]["path"], "/proc")

    def test_kernel_filesystems(self):
        expect = {
            "/sys/fs/bpf": ("/sys/fs/bpf", "Bidirectional"),
            "/sys/kernel/btf": ("/sys/kernel/btf", None),
            "/sys/kernel/tracing": ("/sys/kernel/tracing", None),
            "/sys/fs/cgroup": ("/sys/fs/cgroup", "HostToContainer"),
        }
        for path, (host, propagation) in expect.items():
            with self.subTest(path=path):
                mount = self.m.mount("vigild", path)
                self.assertIsNotNone(mount)
                self.assertEqual(self.m.volume(mount["name"])["hostPath"]["path"], host)
                if propagation:
                    self.assertEqual(mount.get("mountPropagation"), propagation)

    def test_run_dir_holds_the_socket(self):
        cfg = self.m.agent_config()
        self.assertEqual(cfg["server-address"], f"unix://{cfg['run-dir']}/vigil.sock")
        mount = self.m.mount("vigild", cfg["run-dir"])
        self.assertIsNotNone(mount)
        self.assertEqual(self.m.volume(mount["name"])["hostPath"]["path"], "/var/run/vigil")

    def test_export_dir_shared_with_the_stdout_sidecar(self):
        cfg = self.m.agent_config()
        export_dir = os.path.dirname(cfg["export-filename"])
        agent_mount = self.m.mount("vigild", export_dir)
        side_mount = self.m.mount("export-stdout", export_dir)
        self.assertIsNotNone(agent_mount)
        self.assertIsNotNone(side_mount)
        self.assertEqual(agent_mount["name"], side_mount["name"])
        self.assertTrue(side_mount["readOnly"])
        side = self.m.container("export-stdout")
        self.assertEqual(side["command"], ["tail"])
        self.assertEqual(side["args"][-1], cfg["export-filename"])
        self.assertIn("-F", side["args"])
        self.assertEqual(side["securityContext"]["capabilities"]["drop"], ["ALL"])

    def test_node_name_from_downward_api(self):
        env = {e["name"]: e for e in self.m.container("vigild")["env"]}
        self.assertEqual(env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName")

    def test_probes_hit_the_metrics_server(self):
        c = self.m.container("vigild")
        port = {p["name"]: p["containerPort"] for p in c["ports"]}["metrics"]
        self.assertEqual(self.m.agent_config()["metrics-server"], f":{port}")
        self.assertEqual(port, 2112)
        self.assertEqual(c["livenessProbe"]["httpGet"], {"path": "/healthz", "port": "metrics"})
        self.assertEqual(c["readinessProbe"]["httpGet"], {"path": "/readyz", "port": "metrics"})
        self.assertEqual(c["startupProbe"]["httpGet"]["path"], "/healthz")

    def test_resources_have_requests_and_limits(self):
        for name in ("vigild", "export-stdout"):
            res = self.m.container(name)["resources"]
            self.assertTrue({"cpu", "memory"} <= set(res["requests"]), name)
            self.assertIn("memory", res["limits"], name)

    def test_config_keys_are_vigild_flags(self):
        flags = vigild_flags()
        if flags is None:
            self.skipTest("vigild not built (VIGIL_BUILD_DIR)")
        unknown = sorted(set(self.m.agent_config()) - flags)
        self.assertEqual(unknown, [], "config keys vigild does not know (it refuses to start)")

    def test_config_mounted_where_vigild_reads_it(self):
        c = self.m.container("vigild")
        self.assertIn("--config=/etc/vigil/config/vigild.yaml", c["args"])
        self.assertEqual(self.m.volume(self.m.mount("vigild", "/etc/vigil/config")["name"])["configMap"]["name"],
                         "vigil-config")
        cfg = self.m.agent_config()
        pol = self.m.mount("vigild", cfg["tracing-policy-dir"])
        self.assertEqual(self.m.volume(pol["name"])["configMap"]["name"], "vigil-policies")
        self.assertIs(cfg["enable-k8s-api"], True)

    def test_default_policies_are_valid_policies(self):
        data = self.m.one("ConfigMap", "vigil-policies")["data"]
        self.assertIn("kernel-module-load.yaml", data)
        for name, text in data.items():
            doc = yaml.safe_load(text)
            self.assertEqual(doc["apiVersion"], "cilium.io/v1alpha1", name)
            self.assertEqual(doc["kind"], "TracingPolicy", name)

    def test_rbac_is_read_only_on_what_the_agent_watches(self):
        role = self.m.one("ClusterRole")
        rules = {(tuple(r["apiGroups"]), tuple(sorted(r["resources"]))): sorted(r["verbs"]) for r in role["rules"]}
        self.assertEqual(rules, {
            (("",), ("nodes", "pods")): ["get", "list", "watch"],
            (("cilium.io",), ("tracingpolicies", "tracingpoliciesnamespaced")): ["get", "list", "watch"],
        })
        binding = self.m.one("ClusterRoleBinding")
        self.assertEqual(binding["roleRef"]["name"], role["metadata"]["name"])
        sa = self.m.one("ServiceAccount")
        self.assertEqual(binding["subjects"], [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                                                "namespace": NAMESPACE}])
        self.assertEqual(self.m.pod()["spec"]["serviceAccountName"], sa["metadata"]["name"])
        self.assertIs(self.m.pod()["spec"]["automountServiceAccountToken"], True)

    def test_metrics_service_selects_the_agents(self):
        svc = self.m.one("Service")
        self.assertEqual(svc["spec"]["clusterIP"], "None")
        labels = self.m.pod()["metadata"]["labels"]
        self.assertTrue(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()))
        self.assertEqual(svc["spec"]["ports"][0]["targetPort"], "metrics")

    def test_crds_carry_the_schema_file(self):
        with open(common.SPEC_SCHEMA, encoding="utf-8") as f:
            spec = yaml.safe_load(f)
        crds = {c["metadata"]["name"]: c for c in self.m.of_kind("CustomResourceDefinition")}
        self.assertEqual(set(crds), {"tracingpolicies.cilium.io", "tracingpoliciesnamespaced.cilium.io"})
        self.assertEqual(crds["tracingpolicies.cilium.io"]["spec"]["scope"], "Cluster")
        self.assertEqual(crds["tracingpoliciesnamespaced.cilium.io"]["spec"]["scope"], "Namespaced")
        for name, crd in crds.items():
            with self.subTest(crd=name):
                self.assertEqual(crd["spec"]["group"], "cilium.io")
                self.assertEqual(crd["metadata"]["annotations"]["helm.sh/resource-policy"], "keep")
                rendered = dict(crd_version_schema(crd)["properties"]["spec"])
                rendered.pop("x-kubernetes-validations", None)
                self.assertEqual(rendered, spec)
        ns_rules = crd_version_schema(crds["tracingpoliciesnamespaced.cilium.io"])["properties"]["spec"]
        self.assertIn("hostSelector", ns_rules["x-kubernetes-validations"][0]["rule"])

    def test_image_matches_the_project_version(self):
        with open(os.path.join(common.SOURCE_DIR, "CMakeLists.txt"), encoding="utf-8") as f:
            version = re.search(r"project\(vigil VERSION ([0-9.]+)", f.read()).group(1)
        with open(os.path.join(common.CHART_DIR, "Chart.yaml"), encoding="utf-8") as f:
            self.assertEqual(yaml.safe_load(f)["appVersion"], version)
        for c in self.m.pod()["spec"]["containers"]:
            self.assertEqual(c["image"], f"vigil:{version}")


class NonDefaultValues(unittest.TestCase):
    def test_capabilities_instead_of_privileged(self):
        m = render("securityContext.privileged=false", kube_version="1.31.0")
        sc = m.container("vigild")["securityContext"]
        self.assertIs(sc["privileged"], False)
        self.assertEqual(sc["capabilities"], {"drop": ["ALL"],
                                              "add": ["BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE", "DAC_READ_SEARCH"]})
        self.assertIs(sc["allowPrivilegeEscalation"], False)
        self.assertEqual(sc["seccompProfile"], {"type": "Unconfined"})
        self.assertEqual(sc["appArmorProfile"], {"type": "Unconfined"})
        # Bidirectional propagation is refused for unprivileged containers.
        self.assertEqual(m.mount("vigild", "/sys/fs/bpf")["mountPropagation"], "HostToContainer")

    def test_apparmor_annotation_before_kubernetes_1_30(self):
        m = render("securityContext.privileged=false", kube_version="1.29.0")
        self.assertNotIn("appArmorProfile", m.container("vigild")["securityContext"])
        self.assertEqual(m.pod()["metadata"]["annotations"]["container.apparmor.security.beta.kubernetes.io/vigild"],
                         "unconfined")

    def test_crds_can_be_skipped(self):
        m = render("crds.install=false")
        self.assertEqual(m.of_kind("CustomResourceDefinition"), [])
        self.assertEqual(len(m.of_kind("DaemonSet")), 1)

    def test_service_monitor(self):
        m = render("metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=prom")
        sm = m.one("ServiceMonitor")
        self.assertEqual(sm["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(sm["metadata"]["labels"]["release"], "prom")
        ep = sm["spec"]["endpoints"][0]
        self.assertEqual((ep["port"], ep["path"], ep["honorLabels"]), ("metrics", "/metrics", True))
        svc_labels = m.one("Service")["metadata"]["labels"]
        self.assertTrue(all(svc_labels.get(k) == v for k, v in sm["spec"]["selector"]["matchLabels"].items()))

    def test_service_monitor_needs_the_service(self):
        out = helm("template", "vigil", common.CHART_DIR, "--set", "metrics.serviceMonitor.enabled=true",
                   "--set", "metrics.service.enabled=false", check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("metrics.serviceMonitor.enabled needs metrics.service.enabled", out.stderr)

    def test_grafana_dashboard(self):
        m = render("dashboards.enabled=true", "dashboards.namespace=monitoring")
        cm = m.one("ConfigMap", "vigil-dashboards")
        self.assertEqual(cm["metadata"]["namespace"], "monitoring")
        self.assertEqual(cm["metadata"]["labels"]["grafana_dashboard"], "1")
        dash = json.loads(cm["data"]["vigil.json"])
        self.assertEqual(dash["uid"], "vigil-overview")
        self.assertTrue(all("expr" in t for p in dash["panels"] if p["type"] != "row" for t in p["targets"]))

    def test_without_export(self):
        m = render("export.enabled=false")
        self.assertIsNone(m.container("export-stdout"))
        self.assertNotIn("export-filename", m.agent_config())
        self.assertFalse(any(v["name"] == "export" for v in m.pod()["spec"]["volumes"]))

    def test_export_on_empty_dir(self):
        m = render("export.hostPath=")
        self.assertEqual(m.volume("export"), {"name": "export", "emptyDir": {}})

    def test_without_kubernetes_api_no_token(self):
        m = render("k8sApi.enabled=false")
        self.assertIs(m.pod()["spec"]["automountServiceAccountToken"], False)
        self.assertIs(m.agent_config()["enable-k8s-api"], False)

    def test_user_config_cannot_move_chart_paths(self):
        m = render("config.procfs=/elsewhere", "config.log-level=debug", "metrics.port=9999")
        cfg = m.agent_config()
        self.assertEqual(cfg["procfs"], "/procHost")
        self.assertEqual(cfg["log-level"], "debug")
        self.assertEqual(cfg["metrics-server"], ":9999")
        self.assertEqual(m.container("vigild")["ports"][0]["containerPort"], 9999)

    def test_extra_policies_and_their_names(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump({"tracingPolicies": {"defaults": False, "extra": {
                "mine.yaml": "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {name: mine}\n"
                             "spec: {kprobes: [{call: sys_kill, syscall: true}]}\n"}}}, f)
        try:
            data = render(values=f.name).one("ConfigMap", "vigil-policies")["data"]
            self.assertEqual(list(data), ["mine.yaml"])
            self.assertEqual(yaml.safe_load(data["mine.yaml"])["metadata"]["name"], "mine")
        finally:
            os.unlink(f.name)
        out = helm("template", "vigil", common.CHART_DIR, "--set", "tracingPolicies.extra.bad\\.txt=x", check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("must end in .yaml or .yml", out.stderr)

    def test_image_by_digest(self):
        m = render("image.repository=myacr.azurecr.io/vigil", "image.digest=sha256:" + "a" * 64)
        self.assertEqual(m.container("vigild")["image"], "myacr.azurecr.io/vigil@sha256:" + "a" * 64)

    def test_config_change_rolls_the_pods(self):
        a = render().pod()["metadata"]["annotations"]["checksum/config"]
        b = render("config.log-level=debug").pod()["metadata"]["annotations"]["checksum/config"]
        self.assertNotEqual(a, b)


if __name__ == "__main__":
    unittest.main(verbosity=1)
