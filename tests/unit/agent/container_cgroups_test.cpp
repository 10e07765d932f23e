// Finding containers' own cgroups by walking a cgroup tree: systemd and
// cgroupfs layouts, nested cgroups not mistaken for the container's, a node
// that is itself a container, and ids that are not there. A directory tree
// under /tmp stands in for the cgroup2 mount (ids are then inode numbers).
#include "agent/container_cgroups.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

namespace vigil::agent {
namespace {

namespace fs = std::filesystem;

std::string hex_id(char c) { return std::string(64, c); }

class ContainerCgroupsTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("vigil-cg-" + std::to_string(std::random_device{}()));
        fs::create_directories(root_);
    }
    void TearDown() override { fs::remove_all(root_); }
    std::string mk(const std::string& rel) {
        fs::create_directories(root_ / rel.substr(1));
        return (root_ / rel.substr(1)).string();
    }
    static std::uint64_t ino(const std::string& path) {
        struct stat st {};
        EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
        return st.st_ino;
    }
    fs::path root_;
};

TEST_F(ContainerCgroupsTest, FindsEachContainersOwnCgroup) {
    const std::string a = hex_id('a'), b = hex_id('b'), c = hex_id('c'), gone = hex_id('e');
    auto pa = mk("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod11112222_3333_4444_5555_666677778888.slice/cri-containerd-" + a +
                 ".scope");
    mk("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod11112222_3333_4444_5555_666677778888.slice/cri-containerd-" + a +
       ".scope/system.slice/app.service");
    auto pb = mk("/kubepods/besteffort/pod0c1d2e3f-aaaa-4000-8000-123456789abc/" + b);
    // kind: the node is a docker container, the pods below it.
    auto pc = mk("/system.slice/docker-" + hex_id('d') + ".scope/kubepods/pod9a8b7c6d-bbbb-4000-8000-123456789abc/" + c);
    mk("/system.slice/ssh.service");

    ContainerCgroups finder(root_.string());
    auto found = finder.find({a, b, c, gone});
    EXPECT_EQ(found.size(), 3u);
    EXPECT_EQ(found[a], ino(pa));
    EXPECT_EQ(found[b], ino(pb));
    EXPECT_EQ(found[c], ino(pc));
    EXPECT_EQ(found.count(gone), 0u);
}

TEST_F(ContainerCgroupsTest, NoMountFindsNothing) {
    ContainerCgroups finder((root_ / "missing").string());
    EXPECT_TRUE(finder.find({hex_id('a')}).empty());
}

TEST_F(ContainerCgroupsTest, DepthIsBounded) {
    const std::string a = hex_id('a');
    mk("/l1/l2/l3/l4/cri-containerd-" + a + ".scope");
    EXPECT_TRUE(ContainerCgroups(root_.string(), 3).find({a}).empty());
    EXPECT_EQ(ContainerCgroups(root_.string(), 10).find({a}).size(), 1u);
}

TEST(CgroupIdOfDir, ErrorNamesThePath) {
    auto r = cgroup_id_of_dir("/nonexistent/vigil-cgroup");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("/nonexistent/vigil-cgroup"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace vigil::agent
