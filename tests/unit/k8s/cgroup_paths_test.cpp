// cgroup id -> path: the parsing around it, and (as root, with a cgroup2
// hierarchy mounted) the real open_by_handle_at lookup on a nested cgroup.
#include "k8s/cgroup_paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace vigil::k8s {
namespace {

TEST(CgroupPaths, FindsTheCgroup2MountInProcMounts) {
    const std::string hybrid =
        "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\n"
        "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
        "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";
    EXPECT_EQ(cgroup2_mount_point(hybrid), "/sys/fs/cgroup/unified");
    EXPECT_EQ(cgroup2_mount_point("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"), "/sys/fs/cgroup");
    EXPECT_EQ(cgroup2_mount_point("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"), "");
    EXPECT_EQ(cgroup2_mount_point(""), "");
    // Spaces in mount points are octal-escaped.
    EXPECT_EQ(cgroup2_mount_point("none /mnt/my\\040cg cgroup2 rw 0 0\n"), "/mnt/my cg");
}

TEST(CgroupPaths, PathBelowMount) {
    EXPECT_EQ(path_below_mount("/sys/fs/cgroup/a/b", "/sys/fs/cgroup"), "/a/b");
    EXPECT_EQ(path_below_mount("/sys/fs/cgroup/a/b", "/sys/fs/cgroup/"), "/a/b");
    EXPECT_EQ(path_below_mount("/sys/fs/cgroup", "/sys/fs/cgroup"), "/");
    EXPECT_EQ(path_below_mount("/a/b", "/"), "/a/b");
    EXPECT_FALSE(path_below_mount("/sys/fs/cgroupx/a", "/sys/fs/cgroup").has_value());
    EXPECT_FALSE(path_below_mount("/elsewhere", "/sys/fs/cgroup").has_value());
}

TEST(CgroupPaths, OpenNamesAMissingMount) {
    auto l = CgroupPathLookup::open("/nonexistent-vigil-cgroup");
    ASSERT_FALSE(l.ok());
    EXPECT_NE(l.error().find("/nonexistent-vigil-cgroup"), std::string::npos) << l.error();
}

TEST(CgroupPaths, RealLookupOfANestedCgroup) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (open_by_handle_at)";
    std::ifstream in("/proc/self/mounts");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string mount = cgroup2_mount_point(ss.str());
    if (mount.empty()) GTEST_SKIP() << "no cgroup2 hierarchy mounted";
    auto lookup = CgroupPathLookup::open();
    ASSERT_TRUE(lookup.ok()) << lookup.error();

    std::mt19937_64 rng{std::random_device{}()};
    const std::string top = "/vigil-unit-" + std::to_string(rng() % 1000000000);
    const std::string rel = top + "/cri-containerd-x.scope/nested";
    std::error_code ec;
    std::filesystem::create_directories(mount + rel, ec);
    if (ec) GTEST_SKIP() << "cannot create cgroups under " << mount << ": " << ec.message();
    struct stat st {};
    ASSERT_EQ(::stat((mount + rel).c_str(), &st), 0);
    auto path = lookup->path_of(st.st_ino);  // a cgroup2 directory's inode number is its id
    ::rmdir((mount + rel).c_str());
    ::rmdir((mount + top + "/cri-containerd-x.scope").c_str());
    ::rmdir((mount + top).c_str());
    ASSERT_TRUE(path.ok()) << path.error();
    EXPECT_EQ(*path, rel);

    // The cgroup is gone now: an error naming the id.
    auto gone = lookup->path_of(st.st_ino);
    ASSERT_FALSE(gone.ok());
    EXPECT_NE(gone.error().find(std::to_string(st.st_ino)), std::string::npos) << gone.error();
}

}  // namespace
}  // namespace vigil::k8s
