// A process's container from its leaf cgroup name and, for cgroups nested
// inside a container's, from the path its cgroup id leads to: every layout
// real nodes use, with a fake id -> path lookup.
#include "k8s/cgroup_resolver.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace vigil::k8s {
namespace {

const std::string kId = "8f2e4c1a9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f";
const std::string kUid = "6b3a0d5e-6c2f-4f1e-9d5b-1a2b3c4d5e6f";
const std::string kUidUnderscored = "6b3a0d5e_6c2f_4f1e_9d5b_1a2b3c4d5e6f";

// A fake cgroup file system: ids to paths, counting lookups.
struct FakeCgroups {
    std::map<std::uint64_t, std::string> paths;
    std::map<std::uint32_t, std::string> proc_files;
    int lookups = 0;
    int proc_reads = 0;

    CgroupResolver resolver(std::size_t capacity = 8192) {
        return CgroupResolver(
            [this](std::uint64_t id) -> Result<std::string> {
                ++lookups;
                auto it = paths.find(id);
                if (it == paths.end()) return make_error("cgroup id " + std::to_string(id) + ": Stale file handle");
                return it->second;
            },
            [this](std::uint32_t pid) -> std::optional<std::string> {
                ++proc_reads;
                auto it = proc_files.find(pid);
                if (it == proc_files.end()) return std::nullopt;
                return it->second;
            },
            capacity);
    }
};

model::Process process_in(std::uint64_t cgroup_id, const std::string& path) {
    model::Process p;
    p.pid = 4242;
    p.start_ktime = 77;
    p.cgroup_id = cgroup_id;
    p.cgroup_name = path.substr(path.rfind('/') + 1);
    return p;
}

struct Layout {
    const char* name;
    std::string container_cgroup;  // the container's own cgroup
    ContainerRuntime runtime;
    std::string pod_uid;  // "" outside Kubernetes
};

class NestedCgroup : public ::testing::TestWithParam<Layout> {};

TEST_P(NestedCgroup, ResolvesToTheContainer) {
    const Layout& l = GetParam();
    FakeCgroups fs;
    fs.paths[100] = l.container_cgroup;
    fs.paths[101] = l.container_cgroup + "/init.scope";
    fs.paths[102] = l.container_cgroup + "/system.slice/app.service";
    fs.paths[103] = l.container_cgroup + "/workers/w1";
    auto r = fs.resolver();

    // The container's own cgroup: the leaf says it all, no lookup.
    auto own = r.identify(process_in(100, l.container_cgroup));
    ASSERT_TRUE(own && own->has_container()) << l.name;
    EXPECT_EQ(own->container_id, kId);
    EXPECT_EQ(fs.lookups, 0);

    for (std::uint64_t id : {101, 102, 103}) {
        auto got = r.identify(process_in(id, fs.paths[id]));
        ASSERT_TRUE(got && got->has_container()) << l.name << " " << fs.paths[id];
        EXPECT_EQ(got->container_id, kId) << fs.paths[id];
        EXPECT_EQ(got->runtime, l.runtime) << fs.paths[id];
        EXPECT_EQ(got->pod_uid, l.pod_uid) << fs.paths[id];
        EXPECT_EQ(got->container_cgroup, l.container_cgroup) << fs.paths[id];
    }
    EXPECT_EQ(fs.lookups, 3);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, NestedCgroup,
    ::testing::Values(
        Layout{"containerd-systemd",
               "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscored +
                   ".slice/cri-containerd-" + kId + ".scope",
               ContainerRuntime::kContainerd, kUid},
        Layout{"crio-systemd",
               "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscored +
                   ".slice/crio-" + kId + ".scope",
               ContainerRuntime::kCrio, kUid},
        Layout{"containerd-cgroupfs", "/kubepods/burstable/pod" + kUid + "/" + kId, ContainerRuntime::kUnknown,
               kUid},
        Layout{"crio-cgroupfs", "/kubepods/pod" + kUid + "/crio-" + kId, ContainerRuntime::kCrio, kUid},
        Layout{"docker-systemd", "/system.slice/docker-" + kId + ".scope", ContainerRuntime::kDocker, ""},
        Layout{"docker-cgroupfs", "/docker/" + kId, ContainerRuntime::kDocker, ""},
        Layout{"podman", "/machine.slice/libpod-" + kId + ".scope", ContainerRuntime::kPodman, ""}),
    [](const ::testing::TestParamInfo<Layout>& info) {
        std::string n = info.param.name;
        for (char& c : n) {
            if (c == '-') c = '_';
        }
        return n;
    });

TEST(CgroupResolver, LookupsAreCachedByIdIncludingMisses) {
    FakeCgroups fs;
    fs.paths[7] = "/system.slice/cron.service";
    auto r = fs.resolver();
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(r.identify(process_in(7, fs.paths[7])).has_value());
    EXPECT_EQ(fs.lookups, 1);
    EXPECT_EQ(r.stats().path_lookups, 1u);
    EXPECT_EQ(r.stats().cached, 1u);
}

TEST(CgroupResolver, RootCgroupNeedsNoLookup) {
    FakeCgroups fs;
    auto r = fs.resolver();
    model::Process p;
    p.cgroup_id = 1;
    p.cgroup_name = "";
    EXPECT_FALSE(r.identify(p).has_value());
    p.cgroup_name = "/";
    EXPECT_FALSE(r.identify(p).has_value());
    EXPECT_EQ(fs.lookups, 0);
}

TEST(CgroupResolver, FailedLookupFallsBackToTheLeafAndIsCounted) {
    FakeCgroups fs;  // id 9 unknown: the cgroup is gone
    auto r = fs.resolver();
    auto pod_slice = process_in(9, "/kubepods.slice/kubepods-pod" + kUidUnderscored + ".slice");
    auto got = r.identify(pod_slice);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->pod_uid, kUid);  // what the leaf alone says
    EXPECT_FALSE(got->has_container());
    EXPECT_EQ(r.stats().lookup_errors, 1u);
    EXPECT_NE(r.stats().last_error.find("cgroup id 9"), std::string::npos) << r.stats().last_error;
}

TEST(CgroupResolver, ScannedProcessesWithoutIdReadProcCgroup) {
    FakeCgroups fs;
    const std::string nested = "/kubepods/burstable/pod" + kUid + "/" + kId + "/sub";
    fs.proc_files[4242] = "12:memory:" + nested + "\n0::" + nested + "\n";
    auto r = fs.resolver();
    auto p = process_in(0, nested);
    auto got = r.identify(p);
    ASSERT_TRUE(got && got->has_container());
    EXPECT_EQ(got->container_id, kId);
    EXPECT_EQ(got->pod_uid, kUid);
    r.identify(p);  // cached by (pid, start time)
    EXPECT_EQ(fs.proc_reads, 1);
    EXPECT_EQ(fs.lookups, 0);
    // Another process with the same pid (reused) is read again.
    p.start_ktime = 78;
    r.identify(p);
    EXPECT_EQ(fs.proc_reads, 2);
}

TEST(CgroupResolver, CacheIsBounded) {
    FakeCgroups fs;
    for (std::uint64_t id = 1; id <= 10; ++id) fs.paths[id] = "/host/h" + std::to_string(id);
    auto r = fs.resolver(4);
    for (std::uint64_t id = 1; id <= 10; ++id) r.identify(process_in(id, fs.paths[id]));
    EXPECT_LE(r.stats().cached, 4u);
    EXPECT_EQ(fs.lookups, 10);
}

TEST(CgroupResolver, WithoutLookupsTheLeafIsAllThereIs) {
    CgroupResolver r(nullptr, nullptr);
    auto nested = process_in(5, "/docker/" + kId + "/inner");
    EXPECT_FALSE(r.identify(nested).has_value());
    auto own = process_in(5, "/docker/" + kId);
    ASSERT_TRUE(r.identify(own).has_value());
}

}  // namespace
}  // namespace vigil::k8s
