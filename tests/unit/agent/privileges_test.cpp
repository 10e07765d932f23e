// Capability drop across every thread of a process. The drop is irreversible,
// so it runs in a forked child that reports through its exit status.
#include "agent/privileges.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace vigil::agent {
namespace {

constexpr int kCapChown = 0;
constexpr int kCapDacOverride = 1;
constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

TEST(Privileges, DescribesCapabilitiesByName) {
    EXPECT_EQ(describe_caps(0), "none");
    EXPECT_EQ(describe_caps(cap_bit(kCapChown) | cap_bit(kCapBpf)), "CAP_CHOWN,CAP_BPF");
    EXPECT_EQ(describe_caps(cap_bit(50)), "cap_50");
}

TEST(Privileges, RuntimeSetIsTheDocumentedOne) {
    EXPECT_EQ(runtime_capabilities(), cap_bit(kCapBpf) | cap_bit(kCapPerfmon) | cap_bit(kCapSysAdmin) | cap_bit(2));  // 2: CAP_DAC_READ_SEARCH
    EXPECT_NE(known_capabilities() & cap_bit(kCapSysAdmin), 0u);
}

TEST(Privileges, ReadsEveryThreadsSets) {
    std::atomic<bool> stop{false};
    std::atomic<bool> started{false};
    std::thread t([&] {
        started.store(true);
        while (!stop.load()) std::this_thread::yield();
    });
    while (!started.load()) std::this_thread::yield();
    auto caps = read_thread_caps();
    stop.store(true);
    t.join();
    ASSERT_TRUE(caps.ok()) << caps.error();
    EXPECT_GE(caps->size(), 2u);
    for (const auto& c : *caps) {
        EXPECT_GT(c.tid, 0);
        EXPECT_EQ(c.effective & ~c.permitted, 0u) << "effective is a subset of permitted";
    }
}

// Child: starts threads that sit in a wait, drops, checks every thread's sets
// from /proc. Exit 0: all good; 1: drop failed; 2: a thread kept more; 3: the
// threads' sets could not be read.
int child_drop_and_check(CapMask keep) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] { return done; });
        });
    }
    int rc = 0;
    if (!drop_capabilities(keep)) rc = 1;
    auto caps = read_thread_caps();
    if (rc == 0 && (!caps || caps->size() < 5)) rc = 3;
    if (rc == 0) {
        for (const auto& c : *caps) {
            if ((c.effective | c.permitted | c.bounding) & ~keep & known_capabilities()) rc = 2;
            if (c.inheritable || c.ambient) rc = 2;
        }
    }
    {
        std::lock_guard lock(mu);
        done = true;
    }
    cv.notify_all();
    for (auto& t : threads) t.join();
    return rc;
}

TEST(Privileges, DropReachesEveryThread) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: nothing to drop otherwise";
    const CapMask keep = cap_bit(kCapDacOverride) | cap_bit(kCapBpf);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(child_drop_and_check(keep));
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "child ended by a signal: " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: drop_capabilities failed, 2: a thread kept a dropped "
                                         "capability, 3: could not read the threads' sets";
}

}  // namespace
}  // namespace vigil::agent
