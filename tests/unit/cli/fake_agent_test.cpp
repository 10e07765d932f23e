// The real `vigil` binary against an in-process fake vigild (a
// tetragon.FineGuidanceSensors server on a unix socket): what status and
// version print, which GetEventsRequest getevents sends, and how a server
// error surfaces.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/version.h"
#include <utility>

#include "fake_agent.h"
#include "run_cli.h"

namespace vigil::cli {
namespace {

using cli_test::run_cli;
using cli_test::WithFakeAgent;
using cli_test::stdin_file;
using cli_test::stdin_pipe;

TEST_F(WithFakeAgent, StatusPrintsHealthServerVersionAndKernelFeatures) {
    for (auto [name, on] : {std::pair{"kprobe", false}, {"tracepoint", true}, {"lsm", false}, {"uprobe", true}}) {
        auto* p = agent_.info.add_probes();
        p->set_name(name);
        p->mutable_enabled()->set_value(on);
    }
    start();
    auto r = run_cli({"status", "--server-address", address_}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "Health Status: running\nServer version: 9.9.9-fake\n"
                     "Kernel features: tracepoint, uprobe\nKernel lacks: kprobe, lsm\n");
    EXPECT_EQ(r.err, "");
}

TEST_F(WithFakeAgent, StatusFailsWhenAgentIsNotRunning) {
    agent_.health = tetragon::HEALTH_STATUS_STOPPED;
    start();
    auto r = run_cli({"status", "--server-address", address_}, stdin_file("/dev/null"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.out.find("Health Status: stopped"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("not running"), std::string::npos) << r.err;
}

TEST_F(WithFakeAgent, VersionPrintsBoth) {
    start();
    auto r = run_cli({"version"}, stdin_file("/dev/null"), {{"VIGIL_SERVER_ADDRESS", address_}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string("CLI version: ") + kVersion + "\nServer version: 9.9.9-fake\n");
}

TEST_F(WithFakeAgent, GetEventsSendsOneAllowFilterAndPrintsTheStream) {
    start();
    auto r = run_cli({"getevents", "--server-address", address_, "-o", "compact", "-n",
                      "default,kube-system", "--pod", "^x-", "--process", "curl", "--process",
                      "a{1,3}", "-e", "process_exec,process_exit"},
                     stdin_file("/dev/null"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Filtering is the agent's job in this mode: all it sends is printed.
    EXPECT_EQ(r.out_lines().size(), agent_.events.size()) << r.out;
    EXPECT_EQ(r.out.rfind("🚀 process ", 0), 0u) << r.out;

    const auto reqs = agent_.requests();
    ASSERT_EQ(reqs.size(), 1u);
    ASSERT_EQ(reqs[0].allow_list_size(), 1);
    EXPECT_EQ(reqs[0].deny_list_size(), 0);
    const tetragon::Filter& f = reqs[0].allow_list(0);
    ASSERT_EQ(f.namespace__size(), 2);
    EXPECT_EQ(f.namespace_(0), "default");
    EXPECT_EQ(f.namespace_(1), "kube-system");
    ASSERT_EQ(f.pod_regex_size(), 1);
    EXPECT_EQ(f.pod_regex(0), "^x-");
    ASSERT_EQ(f.binary_regex_size(), 2) << "regexes are not split at commas";
    EXPECT_EQ(f.binary_regex(0), "curl");
    EXPECT_EQ(f.binary_regex(1), "a{1,3}");
    ASSERT_EQ(f.event_set_size(), 2);
    EXPECT_EQ(f.event_set(0), tetragon::PROCESS_EXEC);
    EXPECT_EQ(f.event_set(1), tetragon::PROCESS_EXIT);
}

TEST_F(WithFakeAgent, NoStdinIgnoresPipedInputAndUsesTheAgent) {
    start();
    auto r = run_cli({"getevents", "--no-stdin", "--server-address", address_},
                     stdin_pipe("this is not json\n"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out_lines().size(), agent_.events.size());
    EXPECT_EQ(agent_.requests().size(), 1u);
    EXPECT_EQ(agent_.requests()[0].allow_list_size(), 0) << "no flags: no filter";
}

TEST_F(WithFakeAgent, ServerErrorIsReportedWithCodeAndMessage) {
    agent_.events.clear();
    agent_.events_status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "filter rejected");
    start();
    auto r = run_cli({"getevents", "--server-address", address_}, stdin_file("/dev/null"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("INVALID_ARGUMENT: filter rejected"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(address_), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vigil::cli
