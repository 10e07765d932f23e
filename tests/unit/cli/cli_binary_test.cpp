// The real `vigil` binary, no agent: JSON lines piped into `getevents` are
// printed as compact or JSON lines and filtered locally; malformed input is
// reported by line number with a failing exit status; an unreachable agent
// is a clear error.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "common/version.h"
#include "export/json_codec.h"
#include "run_cli.h"

namespace vigil::cli {
namespace {

// Field-wise: serialized bytes differ with map order.
using google::protobuf::util::MessageDifferencer;

using cli_test::run_cli;
using cli_test::stdin_file;
using cli_test::stdin_pipe;

const std::string kCorpusDir = std::string(VIGIL_SHARED_DIR) + "/corpus/tetragon-events/";
const std::string kDocs = kCorpusDir + "docs-samples.jsonl";
const std::string kEvents = kCorpusDir + "events.jsonl";
const std::string kNoAgent = "unix:///nonexistent/vigil-test/vigil.sock";

std::vector<std::string> file_lines(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    std::vector<std::string> v;
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
}

std::string file_text(const std::string& path) { return cli_test::slurp(path); }

// Corpus events matching `pred`, decided here from the parsed protos, not by
// the filter code under test.
std::size_t count_corpus(const std::string& path,
                         const std::function<bool(const tetragon::GetEventsResponse&)>& pred) {
    std::size_t n = 0;
    for (const auto& line : file_lines(path)) {
        auto ev = exporter::parse_json_line(line);
        EXPECT_TRUE(ev.ok()) << ev.error();
        if (ev.ok() && pred(ev.value())) ++n;
    }
    return n;
}

const tetragon::Process& process_of(const tetragon::GetEventsResponse& ev) {
    switch (ev.event_case()) {
        case tetragon::GetEventsResponse::kProcessExec:
            return ev.process_exec().process();
        case tetragon::GetEventsResponse::kProcessExit:
            return ev.process_exit().process();
        case tetragon::GetEventsResponse::kProcessKprobe:
            return ev.process_kprobe().process();
        default:
            return tetragon::Process::default_instance();
    }
}

TEST(CliStdin, CompactFromPipedCorpus) {
    auto r = run_cli({"getevents", "-o", "compact"}, stdin_pipe(file_text(kDocs)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const auto lines = r.out_lines();
    ASSERT_EQ(lines.size(), file_lines(kDocs).size());
    // Tetragon's compact layout: <emoji> <label %-7s> <namespace/pod> <binary> <args>.
    EXPECT_EQ(lines[0],
              "🚀 process tenant-jobs/elasticsearch-56f8fc6988-pb8c7 /usr/bin/curl www.google.com");
    EXPECT_EQ(lines[1].rfind("💥 exit    tenant-jobs/", 0), 0u) << lines[1];
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "auto colour is off when stdout is a file";
}

TEST(CliStdin, ColorAlwaysAddsAnsiEscapes) {
    auto r = run_cli({"getevents", "-o", "compact", "--color", "always"}, stdin_file(kEvents));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\x1b["), std::string::npos) << r.out;
}

TEST(CliStdin, JsonIsTheDefaultAndRoundTrips) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"getevents"},
          std::vector<std::string>{"getevents", "-o", "json"}}) {
        auto r = run_cli(args, stdin_file(kEvents));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto in = file_lines(kEvents);
        const auto out = r.out_lines();
        ASSERT_EQ(out.size(), in.size()) << r.out;
        for (std::size_t i = 0; i < in.size(); ++i) {
            auto want = exporter::parse_json_line(in[i]);
            auto got = exporter::parse_json_line(out[i]);
            ASSERT_TRUE(got.ok()) << "output line " << i + 1 << ": " << got.error();
            EXPECT_TRUE(MessageDifferencer::Equals(got.value(), want.value())) << "line " << i + 1;
            EXPECT_EQ(out[i].find(": "), std::string::npos) << "compact JSON, no spaces";
        }
    }
}

TEST(CliStdin, ProcessFilter) {
    auto r =
        run_cli({"getevents", "-o", "compact", "--process", "curl"}, stdin_pipe(file_text(kDocs)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::size_t want = count_corpus(kDocs, [](const auto& ev) {
        return process_of(ev).binary().find("curl") != std::string::npos;
    });
    ASSERT_GT(want, 0u);
    const auto lines = r.out_lines();
    EXPECT_EQ(lines.size(), want) << r.out;
    for (const auto& l : lines) EXPECT_NE(l.find("/usr/bin/curl"), std::string::npos) << l;
}

TEST(CliStdin, EventTypesFilterCommaListAndRepeat) {
    const std::size_t exits =
        count_corpus(kDocs, [](const auto& ev) { return ev.has_process_exit(); });
    const std::size_t kprobes =
        count_corpus(kDocs, [](const auto& ev) { return ev.has_process_kprobe(); });
    ASSERT_GT(exits, 0u);
    ASSERT_GT(kprobes, 0u);

    auto r = run_cli({"getevents", "-o", "compact", "--event-types", "process_exit"},
                     stdin_pipe(file_text(kDocs)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = r.out_lines();
    EXPECT_EQ(lines.size(), exits);
    for (const auto& l : lines) EXPECT_EQ(l.rfind("💥 exit", 0), 0u) << l;

    r = run_cli({"getevents", "-o", "json", "-e", "process_exit,PROCESS_KPROBE"},
                stdin_file(kDocs));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out_lines().size(), exits + kprobes);
}

TEST(CliStdin, FlagsAreAndedNamespaceAndPod) {
    const std::size_t want = count_corpus(kDocs, [](const auto& ev) {
        const auto& pod = process_of(ev).pod();
        return ev.has_process_exec() && pod.namespace_() == "default" &&
               pod.name().find("privileged") != std::string::npos;
    });
    ASSERT_GT(want, 0u);
    auto r = run_cli({"getevents", "-o", "compact", "-n", "default", "--pod", "privileged", "-e",
                      "process_exec"},
                     stdin_file(kDocs));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out_lines().size(), want) << r.out;
}

TEST(CliStdin, MalformedLineIsReportedByNumberAndFailsTheRun) {
    const auto good = file_lines(kEvents);
    const std::string input = good[0] + "\n" + "{\"process_exec\": oops}\n" + good[1] + "\n";
    auto r = run_cli({"getevents", "-o", "compact"}, stdin_pipe(input));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out_lines().size(), 2u) << "reading continues after the bad line:\n" << r.out;
    EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("line 1:"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("line 3:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("1 of 3"), std::string::npos) << "a summary at the end:\n" << r.err;
}

TEST(CliStdin, ForcedStdinReadsEvenDevNull) {
    auto r =
        run_cli({"getevents", "--stdin", "--server-address", kNoAgent}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(CliUsage, BadFlagsExitWithUsageStatus) {
    auto r = run_cli({"getevents", "-e", "process_fork"}, stdin_file(kEvents));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("process_fork"), std::string::npos) << r.err;

    r = run_cli({"getevents", "-o", "yaml"}, stdin_file(kEvents));
    EXPECT_EQ(r.exit_code, 2) << r.err;

    r = run_cli({"getevents", "--process", "("}, stdin_file(kEvents));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("binary_regex"), std::string::npos) << r.err;

    r = run_cli({"getevents", "--stdin", "--no-stdin"}, stdin_file(kEvents));
    EXPECT_EQ(r.exit_code, 2) << r.err;

    r = run_cli({}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
}

// TLS flags are checked and their files read before any call.
TEST(CliTlsFlags, BadCombinationsAndFilesAreUsageErrorsNamingTheFlag) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("vigil-cli-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string not_pem = (dir / "not.pem").string();
    std::ofstream(not_pem) << "just text\n";

    auto r = run_cli({"status", "--server-address", kNoAgent, "--tls-ca-file", not_pem}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("apply to a TCP --server-address"), std::string::npos) << r.err;

    r = run_cli({"status", "--server-address", "127.0.0.1:1", "--tls-cert-file", not_pem}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("only --tls-cert-file is set"), std::string::npos) << r.err;

    r = run_cli({"status", "--server-address", "127.0.0.1:1", "--tls-ca-file", not_pem}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--tls-ca-file " + not_pem + ": not a PEM file"), std::string::npos) << r.err;

    const std::string missing = (dir / "missing.pem").string();
    r = run_cli({"status", "--server-address", "127.0.0.1:1", "--tls-ca-file", missing}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--tls-ca-file " + missing + ": cannot read"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    fs::remove_all(dir);
}

TEST(CliNoAgent, StatusNamesTheAddressItCouldNotReach) {
    auto r = run_cli({"status", "--server-address", kNoAgent}, stdin_file("/dev/null"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("cannot reach vigild at " + kNoAgent + ": "), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(CliNoAgent, ServerAddressComesFromEnvironment) {
    const std::string env_addr = "unix:///nonexistent/vigil-test/from-env.sock";
    auto r = run_cli({"status"}, stdin_file("/dev/null"), {{"VIGIL_SERVER_ADDRESS", env_addr}});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("cannot reach vigild at " + env_addr), std::string::npos) << r.err;
}

TEST(CliNoAgent, GetEventsConnectsWhenStdinIsNotAPipeOrWhenTold) {
    auto r = run_cli({"getevents", "--server-address", kNoAgent}, stdin_file("/dev/null"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("cannot reach vigild at " + kNoAgent), std::string::npos) << r.err;

    r = run_cli({"getevents", "--no-stdin", "--server-address", kNoAgent},
                stdin_pipe(file_text(kEvents)));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("cannot reach vigild"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "") << "piped events must not be printed with --no-stdin";
}

TEST(CliVersion, ClientVersionAlwaysServerBestEffort) {
    auto r = run_cli({"version", "--client"}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string("CLI version: ") + kVersion + "\n");

    r = run_cli({"version", "--server-address", kNoAgent}, stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string("CLI version: ") + kVersion + "\n");
    EXPECT_NE(r.err.find("cannot reach vigild at " + kNoAgent), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vigil::cli
