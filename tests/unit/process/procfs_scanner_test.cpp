// scan_procfs over a fake procfs tree built in a temp dir, and over the real
// /proc (which must contain this test process).
#include "process/procfs_scanner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "process/process_key.h"

namespace vigil::process {
namespace {

namespace fs = std::filesystem;

// A string literal with its embedded NULs (and without the terminator).
template <std::size_t N>
std::string nul_str(const char (&s)[N]) {
    return std::string(s, N - 1);
}

void write_file(const fs::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    out << content;
}

struct FakePid {
    std::uint32_t pid = 0;
    std::uint32_t tgid = 0;  // 0: same as pid
    std::string comm = "proc";
    std::uint32_t ppid = 0;
    std::uint64_t starttime = 0;
    std::string cmdline;  // raw, NULs included
    std::string exe;      // symlink target; empty: no link
    std::string cwd;      // symlink target; empty: no link
    std::string loginuid = "4294967295";
    std::string cgroup = "0::/\n";
    std::string nspid_line;  // e.g. "NSpid:\t300\t5\n"
};

FakePid fake(std::uint32_t pid, std::uint32_t ppid, std::uint64_t starttime,
             std::string comm = "proc") {
    FakePid f;
    f.pid = pid;
    f.ppid = ppid;
    f.starttime = starttime;
    f.comm = std::move(comm);
    return f;
}

// A fake /proc in a fresh temp dir, removed at the end of the test.
class FakeProcfs : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "vigil-procfs-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << "mkdtemp " << tmpl;
        root_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    void add(const FakePid& f) {
        const fs::path dir = root_ / std::to_string(f.pid);
        fs::create_directories(dir / "ns");
        const std::uint32_t tgid = f.tgid == 0 ? f.pid : f.tgid;
        write_file(dir / "stat",
                   std::to_string(f.pid) + " (" + f.comm + ") S " + std::to_string(f.ppid) +
                       " 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 " + std::to_string(f.starttime) +
                       " 0 0 18446744073709551615 0 0\n");
        write_file(dir / "status", "Name:\t" + f.comm + "\nTgid:\t" + std::to_string(tgid) +
                                       "\nPid:\t" + std::to_string(f.pid) +
                                       "\nUid:\t1000\t1001\t1002\t1003\nGid:\t50\t51\t52\t53\n" +
                                       f.nspid_line +
                                       "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
                                       "CapEff:\t00000000a80425fb\n");
        write_file(dir / "cmdline", f.cmdline);
        write_file(dir / "loginuid", f.loginuid);
        write_file(dir / "cgroup", f.cgroup);
        if (!f.exe.empty()) fs::create_symlink(f.exe, dir / "exe");
        if (!f.cwd.empty()) fs::create_symlink(f.cwd, dir / "cwd");
        // Link targets need not exist: only their text is read.
        fs::create_symlink("mnt:[4026531841]", dir / "ns" / "mnt");
        fs::create_symlink("pid:[" + std::to_string(4026531836u + f.pid % 7) + "]",
                           dir / "ns" / "pid");
        fs::create_symlink("user:[4026531837]", dir / "ns" / "user");
    }

    std::map<std::uint32_t, model::Process> scan_by_pid(std::vector<std::uint32_t>* order) {
        auto r = scan_procfs(root_.string());
        EXPECT_TRUE(r.ok()) << r.error();
        std::map<std::uint32_t, model::Process> out;
        if (!r.ok()) return out;
        for (const auto& p : r.value()) {
            if (order) order->push_back(p.pid);
            out[p.pid] = p;
        }
        return out;
    }

    fs::path root_;
};

TEST_F(FakeProcfs, ReadsEveryField) {
    FakePid init = fake(1, 0, 2, "systemd");
    init.cmdline = nul_str("/sbin/init\0splash\0");
    init.exe = "/usr/lib/systemd/systemd";
    init.cwd = "/";
    add(init);

    FakePid sh = fake(300, 1, 500, "bash");
    sh.cmdline = nul_str("-bash\0-c\0\0echo hi\0");
    sh.exe = "/usr/bin/bash";
    sh.cwd = "/home/user";
    sh.loginuid = "1000";
    sh.cgroup = "12:cpu:/x\n0::/user.slice/user-1000.slice/session-3.scope\n";
    sh.nspid_line = "NSpid:\t300\t5\n";
    add(sh);

    auto procs = scan_by_pid(nullptr);
    ASSERT_EQ(procs.size(), 2u);

    const model::Process& p = procs.at(300);
    // procFS-style key: starttime in 10 ms ticks -> ns, as BPF derives it.
    EXPECT_EQ(p.key.pid, 300u);
    EXPECT_EQ(p.key.ktime, 5'000'000'000ull);
    EXPECT_EQ(p.start_ktime, 5'000'000'000ull);
    EXPECT_EQ(p.parent_key.pid, 1u);
    EXPECT_EQ(p.parent_key.ktime, 20'000'000ull) << "parent key uses the parent's starttime";
    EXPECT_EQ(p.pid, 300u);
    EXPECT_EQ(p.tid, 300u);
    EXPECT_EQ(p.ppid, 1u);
    EXPECT_EQ(p.nspid, 5u);
    EXPECT_EQ(p.auid, 1000u);
    EXPECT_EQ(p.creds.uid, 1000u);
    EXPECT_EQ(p.creds.fsuid, 1003u);
    EXPECT_EQ(p.creds.gid, 50u);
    EXPECT_EQ(p.creds.fsgid, 53u);
    EXPECT_EQ(p.caps.effective, 0xa80425fbull);
    EXPECT_EQ(p.caps.permitted, 0xa80425fbull);
    EXPECT_EQ(p.binary, "/usr/bin/bash") << "exe link wins over argv[0]";
    EXPECT_EQ(p.argv, (std::vector<std::string>{"-c", "", "echo hi"}));
    EXPECT_EQ(p.cwd, "/home/user");
    EXPECT_EQ(p.cgroup_name, "session-3.scope");
    EXPECT_EQ(p.cgroup_id, 0u);
    EXPECT_EQ(p.ns[2], 4026531841u);            // mnt
    EXPECT_EQ(p.ns[3], 4026531836u + 300 % 7);  // pid
    EXPECT_EQ(p.ns[9], 4026531837u);            // user
    EXPECT_EQ(p.ns[0], 0u) << "missing uts link reads as unknown";
    EXPECT_EQ(p.flags, static_cast<std::uint32_t>(model::kFlagProcFS));
    EXPECT_TRUE(p.exec_id.empty()) << "ids are the cache's job";

    const model::Process& i = procs.at(1);
    EXPECT_EQ(i.parent_key, kKernelKey) << "ppid 0 is the kernel";
    EXPECT_EQ(i.auid, 0xffffffffu);
    EXPECT_EQ(i.nspid, 1u);
    EXPECT_EQ(i.argv, (std::vector<std::string>{"splash"}));
    EXPECT_EQ(i.cgroup_name, "/");
    EXPECT_EQ(i.flags, static_cast<std::uint32_t>(model::kFlagProcFS | model::kFlagRootCwd));
}

TEST_F(FakeProcfs, KernelThreadsAndMissingLinks) {
    FakePid kthreadd = fake(2, 0, 2, "kthreadd");
    add(kthreadd);  // no cmdline, no exe, no cwd
    FakePid noexe = fake(40, 2, 9, "x");
    noexe.cmdline = nul_str("/opt/x\0--flag\0");
    noexe.cwd = "/srv";
    add(noexe);

    auto procs = scan_by_pid(nullptr);
    ASSERT_EQ(procs.size(), 2u);
    EXPECT_EQ(procs.at(2).binary, "[kthreadd]");
    EXPECT_TRUE(procs.at(2).argv.empty());
    EXPECT_EQ(procs.at(2).flags,
              static_cast<std::uint32_t>(model::kFlagProcFS | model::kFlagNoCwd));
    EXPECT_EQ(procs.at(40).binary, "/opt/x") << "unreadable exe falls back to argv[0]";
    EXPECT_EQ(procs.at(40).argv, (std::vector<std::string>{"--flag"}));
}

TEST_F(FakeProcfs, SkipsThreadsVanishedAndNonNumericEntries) {
    add(fake(1, 0, 1));
    FakePid thread = fake(51, 1, 3);
    thread.tgid = 50;  // a thread, not a leader
    add(thread);
    fs::create_directories(root_ / "77");  // vanished: no files
    fs::create_directories(root_ / "self");
    write_file(root_ / "uptime", "1.0 1.0\n");
    FakePid bad = fake(88, 1, 4);
    add(bad);
    write_file(root_ / "88" / "stat", "88 (x) S 1\n");  // truncated stat: skipped

    auto procs = scan_by_pid(nullptr);
    ASSERT_EQ(procs.size(), 1u);
    EXPECT_TRUE(procs.count(1));
}

TEST_F(FakeProcfs, ParentVanishedGivesUnknownParentKtime) {
    add(fake(60, 59, 70));
    auto procs = scan_by_pid(nullptr);
    ASSERT_EQ(procs.size(), 1u);
    EXPECT_EQ(procs.at(60).parent_key.pid, 59u);
    EXPECT_EQ(procs.at(60).parent_key.ktime, 0u);
}

// Start time alone does not order parents first: children started in the
// same tick as their parent may have lower pids (pid wrap-around).
TEST_F(FakeProcfs, ParentsComeBeforeChildren) {
    add(fake(1, 0, 1));
    add(fake(900, 1, 500));
    add(fake(20, 900, 500));  // same tick, lower pid
    add(fake(10, 20, 500));   // grandchild, lower still
    add(fake(5, 1, 600));
    add(fake(30, 2, 3));  // parent not in the tree

    std::vector<std::uint32_t> order;
    auto procs = scan_by_pid(&order);
    ASSERT_EQ(order.size(), 6u);
    auto pos = [&](std::uint32_t pid) {
        return std::find(order.begin(), order.end(), pid) - order.begin();
    };
    EXPECT_LT(pos(1), pos(900));
    EXPECT_LT(pos(900), pos(20));
    EXPECT_LT(pos(20), pos(10));
    EXPECT_LT(pos(1), pos(5));
    EXPECT_EQ(procs.at(10).parent_key, (model::ProcessKey{20, 5'000'000'000ull}));
}

TEST(ScanProcfs, MissingRootIsAnErrorNamingIt) {
    auto r = scan_procfs("/nonexistent/vigil-procfs");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("/nonexistent/vigil-procfs"), std::string::npos) << r.error();
}

// Restores the working directory on scope exit, even on assertion failure.
struct ChdirGuard {
    fs::path saved = fs::current_path();
    ~ChdirGuard() {
        std::error_code ec;
        fs::current_path(saved, ec);
    }
};

TEST(ScanProcfs, RealProcContainsThisTest) {
    // A known cwd, so the test checks a value it chose.
    std::string tmpl = (fs::temp_directory_path() / "vigil-cwd-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    const fs::path dir = fs::canonical(tmpl);
    std::vector<model::Process> all;
    {
        ChdirGuard guard;
        fs::current_path(dir);
        auto r = scan_procfs("/proc");
        ASSERT_TRUE(r.ok()) << r.error();
        all = std::move(r.value());
    }
    fs::remove(dir);

    const std::uint32_t self = static_cast<std::uint32_t>(::getpid());
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const model::Process& p) { return p.pid == self; });
    ASSERT_NE(it, all.end()) << "pid " << self << " not found among " << all.size();
    EXPECT_EQ(it->binary, fs::canonical("/proc/self/exe").string());
    EXPECT_EQ(it->cwd, dir.string());
    EXPECT_EQ(it->ppid, static_cast<std::uint32_t>(::getppid()));
    EXPECT_GT(it->key.ktime, 0u);
    EXPECT_EQ(it->key.ktime % kProcfsTickNs, 0u) << "procFS keys are whole ticks";

    // Parent-before-child holds on a real tree too.
    std::map<std::uint32_t, std::size_t> index;
    for (std::size_t i = 0; i < all.size(); ++i) index[all[i].pid] = i;
    for (std::size_t i = 0; i < all.size(); ++i) {
        auto parent = index.find(all[i].ppid);
        if (parent == index.end()) continue;
        EXPECT_LT(parent->second, i) << "pid " << all[i].pid << " before parent " << all[i].ppid;
        EXPECT_EQ(all[i].parent_key.ktime, all[parent->second].key.ktime);
    }
}

}  // namespace
}  // namespace vigil::process
