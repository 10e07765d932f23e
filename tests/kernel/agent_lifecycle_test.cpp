// vigild's life: readiness, clean shutdown leaving no BPF program or link
// behind, and refusing to start when it must not (second instance,
// unprivileged, bad flag).
#include <sys/wait.h>

#include <algorithm>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "bpf_objects.h"

namespace vigil::kt {
namespace {

const std::set<std::string> kBaseSensorPrograms = {"vigil_exec", "vigil_fork", "vigil_exit"};

class AgentLifecycleTest : public AgentTest {};

TEST_F(AgentLifecycleTest, ReadyAgentAnswersGetVersionAndGetHealth) {
    auto stub = agent().stub();
    {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + 5s);
        tetragon::GetVersionRequest req;
        tetragon::GetVersionResponse resp;
        const auto st = stub->GetVersion(&ctx, req, &resp);
        ASSERT_TRUE(st.ok()) << "GetVersion: " << st.error_code() << " " << st.error_message();
        EXPECT_FALSE(resp.version().empty());
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    tetragon::GetHealthStatusRequest req;
    tetragon::GetHealthStatusResponse resp;
    const auto st = stub->GetHealth(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << "GetHealth: " << st.error_code() << " " << st.error_message();
}

TEST_F(AgentLifecycleTest, ShutdownDetachesEveryProgramAndLink) {
    // What this vigild holds, from its own fds: the programs it loaded and the
    // links attaching them. Other vigild instances may be running on this
    // machine (their objects are held by their fds), so ids are what we track.
    const HeldBpfObjects ours = bpf_objects_held_by(agent().pid());
    VIGIL_ASSERT_OK_AND_ASSIGN(progs_before, list_bpf_programs());
    std::set<std::string> names_before;
    for (const auto& p : progs_before)
        if (ours.prog_ids.count(p.id)) names_before.insert(p.name);
    for (const auto& name : kBaseSensorPrograms)
        EXPECT_TRUE(names_before.count(name)) << "running vigild holds no program named " << name;
    VIGIL_ASSERT_OK_AND_ASSIGN(links_before, list_bpf_links());
    std::size_t our_links = 0;
    for (const auto& l : links_before) our_links += ours.link_ids.count(l.id);
    EXPECT_GE(our_links, kBaseSensorPrograms.size()) << "running vigild holds too few links";

    stop_agent();
    ASSERT_FALSE(HasFatalFailure());

    // The kernel frees programs asynchronously (RCU, workqueue) after the last
    // fd and link are gone, so wait until our ids leave the listings.
    std::vector<BpfProg> progs_after;
    std::vector<BpfLink> links_after;
    const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
    for (;;) {
        VIGIL_ASSERT_OK_AND_ASSIGN(progs, list_bpf_programs());
        VIGIL_ASSERT_OK_AND_ASSIGN(links, list_bpf_links());
        progs_after = std::move(progs);
        links_after = std::move(links);
        const bool ours_left =
            std::any_of(progs_after.begin(), progs_after.end(), [&](const BpfProg& p) { return ours.prog_ids.count(p.id); }) ||
            std::any_of(links_after.begin(), links_after.end(), [&](const BpfLink& l) { return ours.link_ids.count(l.id); });
        if (!ours_left || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(100ms);  // re-list; nothing to block on
    }
    const HeldBpfObjects anyone = bpf_objects_held_by_anyone();
    for (const auto& p : progs_after) {
        EXPECT_FALSE(ours.prog_ids.count(p.id)) << "program " << p.id << " (" << p.name << ") outlived vigild";
        // A base-sensor program nobody holds is pinned or leaked.
        if (kBaseSensorPrograms.count(p.name)) {
            EXPECT_TRUE(anyone.prog_ids.count(p.id))
                << "program " << p.id << " (" << p.name << ") is loaded but no process holds it";
        }
    }
    for (const auto& l : links_after) {
        EXPECT_FALSE(ours.link_ids.count(l.id)) << "link " << l.id << " (prog " << l.prog_id << ") outlived vigild";
        EXPECT_FALSE(ours.prog_ids.count(l.prog_id)) << "link " << l.id << " still attaches our prog " << l.prog_id;
    }
}

TEST_F(AgentLifecycleTest, SecondAgentOnSameRunDirRefusesAndFirstKeepsServing) {
    VigildOptions opts;
    opts.run_dir = agent().run_dir();
    VIGIL_ASSERT_OK_AND_ASSIGN(second, Vigild::start(opts));
    const auto status = second->wait_exit(kReadyTimeout);
    ASSERT_TRUE(status) << "second vigild on run dir " << opts.run_dir << " is still running; stderr:\n"
                        << second->stderr_tail();
    EXPECT_FALSE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "second vigild " << describe_wait_status(*status) << "; stderr:\n" << second->stderr_tail();
    EXPECT_TRUE(WIFEXITED(*status)) << "second vigild " << describe_wait_status(*status);
    EXPECT_NE(second->stderr_text().find("another vigild"), std::string::npos)
        << "stderr of second vigild:\n" << second->stderr_tail();

    ASSERT_TRUE(agent().running()) << "first vigild died";
    VIGIL_ASSERT_OK(agent().wait_ready(5s));
    // Events still flow: subscribe() waits until a trigger run is streamed.
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
}

// Start-up failures: no fixture, vigild must exit by itself.
void expect_startup_failure(const VigildOptions& opts, const std::vector<std::string>& any_of_words) {
    VIGIL_ASSERT_OK_AND_ASSIGN(agent, Vigild::start(opts));
    const auto status = agent->wait_exit(kReadyTimeout);
    ASSERT_TRUE(status) << "vigild still running; stderr:\n" << agent->stderr_tail();
    const std::string err = agent->stderr_text();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0)
        << "vigild " << describe_wait_status(*status) << ", expected a non-zero exit; stderr:\n" << err;
    const bool named = std::any_of(any_of_words.begin(), any_of_words.end(),
                                   [&](const std::string& w) { return err.find(w) != std::string::npos; });
    std::string words;
    for (const auto& w : any_of_words) words += " \"" + w + "\"";
    EXPECT_TRUE(named) << "stderr names none of" << words << ":\n" << err;
}

TEST(AgentStartupErrorTest, UnprivilegedAgentRefusesNamingTheMissingPrivilege) {
    VigildOptions opts;
    opts.uid = 65534;
    expect_startup_failure(opts, {"root", "CAP_BPF"});
}

TEST(AgentStartupErrorTest, BadFlagValueIsNamed) {
    VigildOptions opts;
    opts.log_level = "no-such-level";
    expect_startup_failure(opts, {"log-level"});
}

}  // namespace
}  // namespace vigil::kt
