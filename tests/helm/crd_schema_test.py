"""The TracingPolicy CRD schema (deploy/helm/vigil/files/tracingpolicy-spec.schema.yaml)
accepts every Tetragon example policy, every policy Vigil ships, and rejects
misspelt fields, unknown enumerations and broken limits, as kubectl would.
Needs no helm: it reads the schema file the chart embeds (the chart test checks
that the rendered CRDs carry this very schema)."""

import glob
import os
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

common.require_python_modules()
import jsonschema  # noqa: E402
import yaml  # noqa: E402
from schema_util import strict_json_schema  # noqa: E402


def policy_validator():
    with open(common.SPEC_SCHEMA, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    doc = {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string", "enum": ["cilium.io/v1alpha1"]},
            "kind": {"type": "string", "enum": ["TracingPolicy", "TracingPolicyNamespaced"]},
            "metadata": {"type": "object"},
            "spec": spec,
        },
    }
    return jsonschema.Draft7Validator(strict_json_schema(doc))


def errors(validator, doc):
    return ["/".join(map(str, e.absolute_path)) + ": " + e.message for e in validator.iter_errors(doc)]


def policy_files():
    roots = [
        os.path.join(common.SHARED_DIR, "corpus", "tetragon-examples"),
        os.path.join(common.SOURCE_DIR, "policies"),
        os.path.join(common.CHART_DIR, "policies"),
    ]
    files = []
    for root in roots:
        files += glob.glob(os.path.join(root, "**", "*.yaml"), recursive=True)
        files += glob.glob(os.path.join(root, "**", "*.yml"), recursive=True)
    return sorted(files)


class CrdSchemaAcceptsRealPolicies(unittest.TestCase):
    def test_every_example_and_shipped_policy_validates(self):
        v = policy_validator()
        files = policy_files()
        examples = [f for f in files if "tetragon-examples" in f]
        self.assertGreaterEqual(len(examples), 60, f"Tetragon examples not found under {common.SHARED_DIR}")
        checked = 0
        for path in files:
            for doc in common.policy_documents(path):
                if doc.get("kind") not in ("TracingPolicy", "TracingPolicyNamespaced"):
                    continue
                checked += 1
                with self.subTest(policy=os.path.relpath(path, common.SHARED_DIR if "tetragon-examples" in path else common.SOURCE_DIR)):
                    self.assertEqual(errors(v, doc), [])
        self.assertGreaterEqual(checked, len(examples))

    def test_chart_ships_default_policies(self):
        shipped = glob.glob(os.path.join(common.CHART_DIR, "policies", "*.yaml"))
        self.assertTrue(shipped, "deploy/helm/vigil/policies/ has no policy")


BASE = {
    "apiVersion": "cilium.io/v1alpha1",
    "kind": "TracingPolicy",
    "metadata": {"name": "t"},
    "spec": {"kprobes": [{"call": "sys_write", "syscall": True,
                          "args": [{"index": 0, "type": "int"}],
                          "selectors": [{"matchArgs": [{"index": 0, "operator": "Equal", "values": ["1"]}],
                                         "matchActions": [{"action": "Sigkill"}]}]}]},
}


def mutate(path, value):
    import copy
    doc = copy.deepcopy(BASE)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


DELETE = object()
KPROBE = ["spec", "kprobes", 0]
SELECTOR = KPROBE + ["selectors", 0]


class CrdSchemaRejectsWhatKubectlWould(unittest.TestCase):
    def setUp(self):
        self.v = policy_validator()

    def test_base_policy_is_valid(self):
        self.assertEqual(errors(self.v, BASE), [])

    def assert_rejected(self, doc, where, why):
        errs = errors(self.v, doc)
        self.assertTrue(any(e.startswith(where) and why in e for e in errs),
                        f"expected an error at {where} containing {why!r}, got {errs}")

    def test_misspelt_field(self):
        self.assert_rejected(mutate(KPROBE + ["sycall"], True), "spec/kprobes/0", "'sycall' was unexpected")

    def test_missing_call(self):
        self.assert_rejected(mutate(KPROBE + ["call"], DELETE), "spec/kprobes/0", "'call' is a required property")

    def test_unknown_arg_type(self):
        self.assert_rejected(mutate(KPROBE + ["args", 0, "type"], "integer"), "spec/kprobes/0/args/0/type",
                             "is not one of")

    def test_unknown_operator(self):
        self.assert_rejected(mutate(SELECTOR + ["matchArgs", 0, "operator"], "Equals"),
                             "spec/kprobes/0/selectors/0/matchArgs/0/operator", "is not one of")

    def test_unknown_action(self):
        self.assert_rejected(mutate(SELECTOR + ["matchActions", 0, "action"], "Kill"),
                             "spec/kprobes/0/selectors/0/matchActions/0/action", "is not one of")

    def test_more_than_five_selectors(self):
        sel = BASE["spec"]["kprobes"][0]["selectors"][0]
        self.assert_rejected(mutate(KPROBE + ["selectors"], [sel] * 6), "spec/kprobes/0/selectors", "is too long")

    def test_more_than_three_actions(self):
        self.assert_rejected(mutate(SELECTOR + ["matchActions"], [{"action": "Post"}] * 4),
                             "spec/kprobes/0/selectors/0/matchActions", "is too long")

    def test_wrong_value_type(self):
        self.assert_rejected(mutate(KPROBE + ["syscall"], "yes"), "spec/kprobes/0/syscall", "is not of type 'boolean'")

    def test_more_than_one_match_binaries(self):
        mb = {"operator": "In", "values": ["/bin/sh"]}
        self.assert_rejected(mutate(SELECTOR + ["matchBinaries"], [mb, mb]),
                             "spec/kprobes/0/selectors/0/matchBinaries", "is too long")

    def test_selector_macros_use_the_selector_schema(self):
        doc = mutate(["spec", "selectorsMacros"], {"m": {"matchArgs": [{"index": 0, "operator": "Nope"}]}})
        self.assert_rejected(doc, "spec/selectorsMacros/m/matchArgs/0/operator", "is not one of")

    def test_label_selector_shape(self):
        doc = mutate(["spec", "podSelector"], {"matchLabels": {"app": 3}})
        self.assert_rejected(doc, "spec/podSelector/matchLabels/app", "is not of type 'string'")


if __name__ == "__main__":
    unittest.main(verbosity=1)
