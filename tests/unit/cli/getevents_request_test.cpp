// Flag -> GetEventsRequest mapping, event type names, output/colour choices
// and the stdin-or-agent decision.
#include "cli/getevents_request.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "cli/agent_client.h"
#include "cli/event_printer.h"
#include "cli/event_types.h"
#include "cli/stdin_events.h"

namespace vigil::cli {
namespace {

TEST(BuildRequest, NoFlagsMeansEmptyAllowList) {
    auto req = build_request({});
    ASSERT_TRUE(req.ok()) << req.error();
    EXPECT_EQ(req->allow_list_size(), 0);
    EXPECT_EQ(req->deny_list_size(), 0);
}

TEST(BuildRequest, AllFlagsGoIntoOneAllowFilter) {
    FilterFlags f;
    f.namespaces = {"kube-system", ""};
    f.pods = {"^tetragon-"};
    f.processes = {"curl$", "/usr/bin/wget"};
    f.event_types = {"process_exec", "PROCESS_EXIT", "Process_Kprobe"};
    auto req = build_request(f);
    ASSERT_TRUE(req.ok()) << req.error();
    ASSERT_EQ(req->allow_list_size(), 1) << "flags are ANDed inside one Filter, as tetra does";
    const tetragon::Filter& filter = req->allow_list(0);
    ASSERT_EQ(filter.namespace__size(), 2);
    EXPECT_EQ(filter.namespace_(0), "kube-system");
    EXPECT_EQ(filter.namespace_(1), "");
    ASSERT_EQ(filter.pod_regex_size(), 1);
    EXPECT_EQ(filter.pod_regex(0), "^tetragon-");
    ASSERT_EQ(filter.binary_regex_size(), 2);
    EXPECT_EQ(filter.binary_regex(1), "/usr/bin/wget");
    ASSERT_EQ(filter.event_set_size(), 3);
    EXPECT_EQ(filter.event_set(0), tetragon::PROCESS_EXEC);
    EXPECT_EQ(filter.event_set(1), tetragon::PROCESS_EXIT);
    EXPECT_EQ(filter.event_set(2), tetragon::PROCESS_KPROBE);
    EXPECT_EQ(req->deny_list_size(), 0);
}

TEST(BuildRequest, UnknownEventTypeNamesFlagAndValue) {
    FilterFlags f;
    f.event_types = {"process_exec", "process_fork"};
    auto req = build_request(f);
    ASSERT_FALSE(req.ok());
    EXPECT_NE(req.error().find("--event-types"), std::string::npos) << req.error();
    EXPECT_NE(req.error().find("\"process_fork\""), std::string::npos) << req.error();
    EXPECT_NE(req.error().find("process_exit"), std::string::npos) << "lists valid names";
}

TEST(EventTypes, UndefAndEmptyAreRefused) {
    EXPECT_FALSE(parse_event_type("undef").ok());
    EXPECT_FALSE(parse_event_type("").ok());
    EXPECT_EQ(parse_event_type("process_lsm").value(), tetragon::PROCESS_LSM);
    EXPECT_EQ(event_type_names().find("undef"), std::string::npos);
}

TEST(OutputChoices, FormatAndColorNames) {
    EXPECT_EQ(parse_output_format("json").value(), OutputFormat::kJson);
    EXPECT_EQ(parse_output_format("compact").value(), OutputFormat::kCompact);
    EXPECT_FALSE(parse_output_format("yaml").ok());
    EXPECT_EQ(parse_color_mode("never").value(), ColorMode::kNever);
    EXPECT_FALSE(parse_color_mode("sometimes").ok());
}

TEST(OutputChoices, AutoColorOnlyOnAPlainTerminal) {
    EXPECT_TRUE(use_color(ColorMode::kAuto, true, nullptr, "xterm-256color"));
    EXPECT_FALSE(use_color(ColorMode::kAuto, false, nullptr, "xterm"));
    EXPECT_FALSE(use_color(ColorMode::kAuto, true, "1", "xterm"));
    EXPECT_FALSE(use_color(ColorMode::kAuto, true, nullptr, "dumb"));
    EXPECT_TRUE(use_color(ColorMode::kAlways, false, "1", "dumb"));
    EXPECT_FALSE(use_color(ColorMode::kNever, true, nullptr, "xterm"));
}

TEST(ServerAddress, EnvironmentElseDefaultSocket) {
    EXPECT_EQ(default_server_address(nullptr), "unix:///var/run/vigil/vigil.sock");
    EXPECT_EQ(default_server_address(""), "unix:///var/run/vigil/vigil.sock");
    EXPECT_EQ(default_server_address("localhost:54321"), "localhost:54321");
}

// Closes an fd on scope exit.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

TEST(StdinDetection, PipeAndFileAreInputDevNullIsNot) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    Fd r{fds[0]}, w{fds[1]};
    EXPECT_TRUE(read_events_from_stdin(StdinMode::kAuto, r.fd));

    Fd file{::open(VIGIL_SOURCE_DIR "/CMakeLists.txt", O_RDONLY)};
    ASSERT_GE(file.fd, 0);
    EXPECT_TRUE(read_events_from_stdin(StdinMode::kAuto, file.fd));

    Fd null{::open("/dev/null", O_RDONLY)};
    ASSERT_GE(null.fd, 0);
    EXPECT_FALSE(read_events_from_stdin(StdinMode::kAuto, null.fd));
    EXPECT_TRUE(read_events_from_stdin(StdinMode::kForce, null.fd));
    EXPECT_FALSE(read_events_from_stdin(StdinMode::kNever, r.fd));
    EXPECT_FALSE(read_events_from_stdin(StdinMode::kAuto, -1)) << "closed stdin: use the agent";
}

}  // namespace
}  // namespace vigil::cli
