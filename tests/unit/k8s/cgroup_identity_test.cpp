// Container and pod from cgroup paths, over the layouts real nodes use.
#include "k8s/cgroup_identity.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::k8s {
namespace {

const std::string kId = "8f2e4c1a9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f";
const std::string kId2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kUid = "6b3a0d5e-6c2f-4f1e-9d5b-1a2b3c4d5e6f";
const std::string kUidUnderscored = "6b3a0d5e_6c2f_4f1e_9d5b_1a2b3c4d5e6f";
const std::string kStaticUid = "2d3a4d5b6c7e8f901a2b3c4d5e6f7a8b";  // mirror pods: 32 hex, no dashes

CgroupIdentity expect_found(const std::string& path) {
    auto id = identify_cgroup_path(path);
    EXPECT_TRUE(id.has_value()) << path;
    return id.value_or(CgroupIdentity{});
}

// --- systemd cgroup driver (kubelet cgroupDriver: systemd, the default on new clusters)

TEST(CgroupPath, ContainerdSystemdBurstable) {
    std::string pod = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscored + ".slice";
    auto id = expect_found(pod + "/cri-containerd-" + kId + ".scope");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.runtime, ContainerRuntime::kContainerd);
    EXPECT_EQ(id.pod_uid, kUid);
    EXPECT_EQ(id.container_cgroup, pod + "/cri-containerd-" + kId + ".scope");
    EXPECT_EQ(full_container_id(id), "containerd://" + kId);
}

TEST(CgroupPath, ContainerdSystemdBestEffort) {
    auto id = expect_found("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscored +
                           ".slice/cri-containerd-" + kId + ".scope");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.pod_uid, kUid);
}

TEST(CgroupPath, ContainerdSystemdGuaranteed) {
    // Guaranteed pods sit directly under kubepods.slice, without a QoS slice.
    auto id = expect_found("/kubepods.slice/kubepods-pod" + kUidUnderscored + ".slice/cri-containerd-" + kId +
                           ".scope");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.runtime, ContainerRuntime::kContainerd);
    EXPECT_EQ(id.pod_uid, kUid);
}

TEST(CgroupPath, CrioSystemd) {
    auto id = expect_found("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscored +
                           ".slice/crio-" + kId + ".scope");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.runtime, ContainerRuntime::kCrio);
    EXPECT_EQ(full_container_id(id), "cri-o://" + kId);
}

TEST(CgroupPath, CrioConmonIsNotTheContainer) {
    auto id = expect_found("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscored +
                           ".slice/crio-conmon-" + kId + ".scope");
    EXPECT_FALSE(id.has_container());
    EXPECT_EQ(id.pod_uid, kUid);
    EXPECT_EQ(id.container_cgroup, "");
}

TEST(CgroupPath, CrioContainerSubcgroupResolvesToContainer) {
    // crun/CRI-O with systemd put the payload in "<scope>/container".
    std::string scope = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscored +
                        ".slice/crio-" + kId + ".scope";
    auto id = expect_found(scope + "/container");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.container_cgroup, scope);
}

TEST(CgroupPath, CriDockerdSystemd) {
    auto id = expect_found("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscored +
                           ".slice/docker-" + kId + ".scope");
    EXPECT_EQ(id.runtime, ContainerRuntime::kDocker);
    EXPECT_EQ(id.pod_uid, kUid);
    EXPECT_EQ(full_container_id(id), "docker://" + kId);
}

TEST(CgroupPath, StaticPodUidWithoutDashes) {
    auto id = expect_found("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kStaticUid +
                           ".slice/cri-containerd-" + kId + ".scope");
    EXPECT_EQ(id.pod_uid, kStaticUid);
    EXPECT_EQ(id.container_id, kId);
}

TEST(CgroupPath, KindNodeKubeletSlicePrefix) {
    // kind names its slices "kubelet-kubepods-..." and runs inside a docker
    // container; the pod's container must win over the node's.
    std::string p = "/docker/" + kId2 +
                    "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
                    "kubelet-kubepods-besteffort-pod" + kUidUnderscored + ".slice/cri-containerd-" + kId + ".scope";
    auto id = expect_found(p);
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.pod_uid, kUid);
    EXPECT_EQ(id.runtime, ContainerRuntime::kContainerd);
}

TEST(CgroupPath, KindNodeOnCgroupV2SeenFromTheHost) {
    // The node container is a systemd scope on the host; the kubelet's
    // slices nest inside it.
    std::string p = "/system.slice/docker-" + kId2 +
                    ".scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" + kUidUnderscored +
                    ".slice/cri-containerd-" + kId + ".scope";
    auto id = expect_found(p);
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.pod_uid, kUid);
    EXPECT_EQ(id.container_cgroup, p);
}

TEST(CgroupPath, PodSliceAloneIsPodLevel) {
    auto id = expect_found("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscored +
                           ".slice");
    EXPECT_FALSE(id.has_container());
    EXPECT_EQ(id.pod_uid, kUid);
    EXPECT_EQ(full_container_id(id), "");
}

TEST(CgroupPath, QosSlicesAloneAreNothing) {
    EXPECT_FALSE(identify_cgroup_path("/kubepods.slice").has_value());
    EXPECT_FALSE(identify_cgroup_path("/kubepods.slice/kubepods-burstable.slice").has_value());
    EXPECT_FALSE(identify_cgroup_path("/kubepods/besteffort").has_value());
}

// --- nested cgroups inside a container

TEST(CgroupPath, SystemdInsideContainerResolvesToContainer) {
    std::string scope = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscored +
                        ".slice/cri-containerd-" + kId + ".scope";
    for (const char* nested : {"/init.scope", "/system.slice/nginx.service", "/a/b/c"}) {
        auto id = expect_found(scope + nested);
        EXPECT_EQ(id.container_id, kId) << nested;
        EXPECT_EQ(id.container_cgroup, scope) << nested;
        EXPECT_EQ(id.pod_uid, kUid) << nested;
    }
}

TEST(CgroupPath, NestedIdLikeCgroupDoesNotReplaceContainer) {
    std::string base = "/kubepods/burstable/pod" + kUid + "/" + kId;
    auto id = expect_found(base + "/docker/" + kId2);
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.container_cgroup, base);
}

// --- cgroupfs cgroup driver

TEST(CgroupPath, CgroupfsBurstable) {
    auto id = expect_found("/kubepods/burstable/pod" + kUid + "/" + kId);
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.pod_uid, kUid);
    // The directory name does not say which runtime made it.
    EXPECT_EQ(id.runtime, ContainerRuntime::kUnknown);
    EXPECT_EQ(full_container_id(id), kId);
    EXPECT_EQ(id.container_cgroup, "/kubepods/burstable/pod" + kUid + "/" + kId);
}

TEST(CgroupPath, CgroupfsBestEffortAndGuaranteed) {
    auto be = expect_found("/kubepods/besteffort/pod" + kUid + "/" + kId);
    EXPECT_EQ(be.container_id, kId);
    EXPECT_EQ(be.pod_uid, kUid);
    auto g = expect_found("/kubepods/pod" + kUid + "/" + kId);
    EXPECT_EQ(g.container_id, kId);
    EXPECT_EQ(g.pod_uid, kUid);
}

TEST(CgroupPath, CgroupfsCrio) {
    auto id = expect_found("/kubepods/burstable/pod" + kUid + "/crio-" + kId);
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.runtime, ContainerRuntime::kCrio);
    auto conmon = expect_found("/kubepods/burstable/pod" + kUid + "/crio-conmon-" + kId);
    EXPECT_FALSE(conmon.has_container());
    EXPECT_EQ(conmon.pod_uid, kUid);
}

TEST(CgroupPath, CgroupfsPodDirAloneIsPodLevel) {
    auto id = expect_found("/kubepods/burstable/pod" + kUid);
    EXPECT_FALSE(id.has_container());
    EXPECT_EQ(id.pod_uid, kUid);
}

// --- docker and podman outside Kubernetes

TEST(CgroupPath, DockerSystemd) {
    auto id = expect_found("/system.slice/docker-" + kId + ".scope");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.runtime, ContainerRuntime::kDocker);
    EXPECT_EQ(id.pod_uid, "");
    EXPECT_EQ(full_container_id(id), "docker://" + kId);
}

TEST(CgroupPath, DockerCgroupfs) {
    auto id = expect_found("/docker/" + kId);
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.runtime, ContainerRuntime::kDocker);
    EXPECT_EQ(id.container_cgroup, "/docker/" + kId);
}

TEST(CgroupPath, DockerInDockerResolvesToOutermost) {
    auto id = expect_found("/docker/" + kId + "/docker/" + kId2);
    EXPECT_EQ(id.container_id, kId);
}

TEST(CgroupPath, PodmanRootful) {
    auto id = expect_found("/machine.slice/libpod-" + kId + ".scope/container");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.runtime, ContainerRuntime::kPodman);
    EXPECT_EQ(id.container_cgroup, "/machine.slice/libpod-" + kId + ".scope");
    EXPECT_EQ(full_container_id(id), "podman://" + kId);
}

TEST(CgroupPath, PodmanRootless) {
    auto id = expect_found("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.runtime, ContainerRuntime::kPodman);
}

TEST(CgroupPath, PodmanConmonIsNotAContainer) {
    EXPECT_FALSE(identify_cgroup_path("/machine.slice/libpod-conmon-" + kId + ".scope").has_value());
}

// --- host processes and look-alikes

TEST(CgroupPath, HostCgroupsAreNothing) {
    for (const char* p : {"/", "", "/init.scope", "/system.slice/sshd.service",
                          "/system.slice/containerd.service", "/system.slice/docker.service",
                          "/system.slice/kubelet.service", "/user.slice/user-1000.slice/session-3.scope",
                          "/system.slice/docker-compose@web.service", "/docker", "/kubepods"}) {
        EXPECT_FALSE(identify_cgroup_path(p).has_value()) << p;
    }
}

TEST(CgroupPath, ShortOrUppercaseIdsAreNotContainers) {
    EXPECT_FALSE(identify_cgroup_path("/system.slice/docker-8f2e4c1a9b7d.scope").has_value());
    std::string upper = kId;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_FALSE(identify_cgroup_path("/docker/" + upper).has_value());
    EXPECT_FALSE(identify_cgroup_path("/docker/" + kId + "0").has_value());  // 65 chars
}

TEST(CgroupPath, MalformedPodUidIsIgnored) {
    EXPECT_FALSE(identify_cgroup_path("/kubepods/burstable/podnot-a-uid").has_value());
    auto id = identify_cgroup_path("/kubepods/burstable/podxyz/" + kId);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->pod_uid, "");
    EXPECT_EQ(id->container_id, kId);
}

TEST(CgroupPath, PathFromAnotherCgroupNamespace) {
    auto id = expect_found("/../../kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                           kUidUnderscored + ".slice/cri-containerd-" + kId + ".scope");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.pod_uid, kUid);
}

TEST(CgroupPath, RepeatedAndTrailingSlashes) {
    auto id = expect_found("//kubepods//burstable/pod" + kUid + "/" + kId + "/");
    EXPECT_EQ(id.container_id, kId);
    EXPECT_EQ(id.container_cgroup, "/kubepods/burstable/pod" + kUid + "/" + kId);
}

// --- whole /proc/<pid>/cgroup files

TEST(ProcCgroup, UnifiedV2) {
    auto id = identify_proc_cgroup("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                                   kUidUnderscored + ".slice/cri-containerd-" + kId + ".scope\n");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->container_id, kId);
    EXPECT_EQ(id->pod_uid, kUid);
}

TEST(ProcCgroup, V1CgroupfsAllControllers) {
    std::string p = "/kubepods/burstable/pod" + kUid + "/" + kId;
    std::string file = "12:hugetlb:" + p + "\n11:cpu,cpuacct:" + p + "\n10:memory:" + p + "\n9:pids:" + p +
                       "\n8:cpuset:" + p + "\n7:devices:" + p + "\n1:name=systemd:" + p + "\n";
    auto id = identify_proc_cgroup(file);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->container_id, kId);
    EXPECT_EQ(id->pod_uid, kUid);
}

TEST(ProcCgroup, HybridWithRootUnifiedLineUsesV1) {
    // systemd hybrid mode: the v2 line is "/" for containers, v1 lines say more.
    std::string p = "/kubepods/besteffort/pod" + kUid + "/" + kId;
    auto id = identify_proc_cgroup("11:memory:" + p + "\n1:name=systemd:" + p + "\n0::/\n");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->container_id, kId);
}

TEST(ProcCgroup, MemoryHierarchyPreferredOverOthers) {
    // Controllers can disagree (a process moved in one hierarchy only).
    std::string in_a = "/kubepods/burstable/pod" + kUid + "/" + kId;
    std::string in_b = "/kubepods/burstable/pod" + kUid + "/" + kId2;
    auto id = identify_proc_cgroup("7:devices:" + in_b + "\n4:memory:" + in_a + "\n3:pids:" + in_b + "\n");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->container_id, kId);
}

TEST(ProcCgroup, V2PreferredOverV1) {
    std::string v2 = "/system.slice/docker-" + kId + ".scope";
    std::string v1 = "/docker/" + kId2;
    auto id = identify_proc_cgroup("4:memory:" + v1 + "\n0::" + v2 + "\n");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->container_id, kId);
}

TEST(ProcCgroup, ContainerLineBeatsPodOnlyLine) {
    std::string pod_only = "/kubepods/burstable/pod" + kUid;
    std::string with_container = pod_only + "/" + kId;
    auto id = identify_proc_cgroup("0::" + pod_only + "\n5:cpuset:" + with_container + "\n");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->container_id, kId);
}

TEST(ProcCgroup, HostProcessAndGarbage) {
    EXPECT_FALSE(identify_proc_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n").has_value());
    EXPECT_FALSE(identify_proc_cgroup("").has_value());
    EXPECT_FALSE(identify_proc_cgroup("garbage\n\n::\n").has_value());
    auto id = identify_proc_cgroup("junk line\r\n0::/docker/" + kId + "\r\n");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->container_id, kId);
}

// --- leaf names (what BPF records) and id forms

TEST(CgroupLeaf, ContainerScopes) {
    struct Case {
        std::string leaf;
        ContainerRuntime runtime;
    };
    for (const auto& c : {Case{"cri-containerd-" + kId + ".scope", ContainerRuntime::kContainerd},
                          Case{"crio-" + kId + ".scope", ContainerRuntime::kCrio},
                          Case{"crio-" + kId, ContainerRuntime::kCrio},
                          Case{"docker-" + kId + ".scope", ContainerRuntime::kDocker},
                          Case{"libpod-" + kId + ".scope", ContainerRuntime::kPodman},
                          Case{kId, ContainerRuntime::kUnknown}}) {
        auto id = identify_cgroup_leaf(c.leaf);
        ASSERT_TRUE(id.has_value()) << c.leaf;
        EXPECT_EQ(id->container_id, kId) << c.leaf;
        EXPECT_EQ(id->runtime, c.runtime) << c.leaf;
        EXPECT_EQ(id->pod_uid, "") << c.leaf;
    }
}

TEST(CgroupLeaf, NonContainers) {
    for (const std::string& leaf : {std::string("container"), std::string("init.scope"),
                                    std::string("crio-conmon-") + kId + ".scope",
                                    std::string("libpod-conmon-") + kId + ".scope", std::string("docker.service"),
                                    std::string(""), std::string("kubepods-burstable.slice")}) {
        EXPECT_FALSE(identify_cgroup_leaf(leaf).has_value()) << leaf;
    }
}

TEST(CgroupLeaf, PodSlice) {
    auto id = identify_cgroup_leaf("kubepods-besteffort-pod" + kUidUnderscored + ".slice");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->pod_uid, kUid);
    EXPECT_FALSE(id->has_container());
}

TEST(ContainerIdForms, DockerFieldIs31Chars) {
    EXPECT_EQ(docker_field("containerd://" + kId), kId.substr(0, 31));
    EXPECT_EQ(docker_field("cri-o://" + kId), kId.substr(0, 31));
    EXPECT_EQ(docker_field(kId), kId.substr(0, 31));
    EXPECT_EQ(docker_field(kId).size(), 31u);
    EXPECT_EQ(docker_field("abc"), "abc");
    EXPECT_EQ(docker_field(""), "");
}

TEST(ContainerIdForms, StripRuntimePrefix) {
    EXPECT_EQ(strip_runtime_prefix("containerd://" + kId), kId);
    EXPECT_EQ(strip_runtime_prefix("docker://x"), "x");
    EXPECT_EQ(strip_runtime_prefix(kId), kId);
}

TEST(ContainerIdForms, RuntimePrefixes) {
    EXPECT_EQ(runtime_prefix(ContainerRuntime::kContainerd), "containerd://");
    EXPECT_EQ(runtime_prefix(ContainerRuntime::kCrio), "cri-o://");
    EXPECT_EQ(runtime_prefix(ContainerRuntime::kDocker), "docker://");
    EXPECT_EQ(runtime_prefix(ContainerRuntime::kPodman), "podman://");
    EXPECT_EQ(runtime_prefix(ContainerRuntime::kUnknown), "");
}

}  // namespace
}  // namespace vigil::k8s
