#include "cli/app.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/agent_client.h"
#include "cli/event_printer.h"
#include "cli/event_types.h"
#include "cli/getevents_request.h"
#include "cli/global_flags.h"
#include "cli/policy_commands.h"
#include "cli/stdin_events.h"
#include "common/version.h"
#include "export/filters.h"

namespace vigil::cli {
namespace {

struct GetEventsFlags {
    std::string output = "json";
    std::string color = "auto";
    bool timestamps = false;
    bool force_stdin = false;
    bool no_stdin = false;
    FilterFlags filter;
};

int run_getevents(const GlobalFlags& global, const GetEventsFlags& flags) {
    auto request = build_request(flags.filter);
    if (!request.ok()) {
        std::cerr << "vigil getevents: " << request.error() << '\n';
        return kExitUsage;
    }
    // Compiled in both modes: a bad regex is reported before connecting.
    auto filter = exporter::EventFilter::compile(request->allow_list(), request->deny_list());
    if (!filter.ok()) {
        std::cerr << "vigil getevents: invalid filter: " << filter.error() << '\n';
        return kExitUsage;
    }
    const OutputFormat format = parse_output_format(flags.output).value();
    const ColorMode color = parse_color_mode(flags.color).value();
    exporter::CompactOptions compact;
    compact.color = use_color(color, ::isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"),
                              std::getenv("TERM"));
    compact.timestamps = flags.timestamps;
    const EventPrinter printer(format, compact);

    const StdinMode mode = flags.force_stdin ? StdinMode::kForce
                           : flags.no_stdin  ? StdinMode::kNever
                                             : StdinMode::kAuto;
    if (read_events_from_stdin(mode, STDIN_FILENO)) {
        StdinStats stats =
            print_events_from(std::cin, filter.value(), printer, std::cout, std::cerr);
        std::cout.flush();
        if (std::cin.bad()) {
            std::cerr << "vigil getevents: reading stdin failed after " << stats.lines
                      << " lines\n";
            return kExitFailure;
        }
        if (stats.malformed > 0) {
            std::cerr << "vigil getevents: " << stats.malformed << " of " << stats.lines
                      << " input lines were malformed\n";
            return kExitFailure;
        }
        return 0;
    }

    AgentClient client = global.client();
    Status st = client.stream_events(request.value(), [&](const tetragon::GetEventsResponse& ev) {
        std::string text = printer.format(ev);
        if (text.empty()) return;
        // Flushed per event: a live stream piped into grep must not sit in a buffer.
        std::cout << text << std::endl;
    });
    if (!st.ok()) {
        std::cerr << "vigil getevents: " << st.error() << '\n';
        return kExitFailure;
    }
    return 0;
}

int run_status(const GlobalFlags& global) {
    AgentClient client = global.client();
    auto health = client.health();
    if (!health.ok()) {
        std::cerr << "vigil status: " << health.error() << '\n';
        return kExitFailure;
    }
    bool running = !health->health_status().empty();
    for (const auto& s : health->health_status()) {
        std::cout << "Health Status: "
                  << (s.details().empty() ? tetragon::HealthStatusResult_Name(s.status())
                                          : s.details())
                  << '\n';
        running = running && s.status() == tetragon::HEALTH_STATUS_RUNNING;
    }
    auto version = client.server_version();
    if (version.ok()) {
        std::cout << "Server version: " << version.value() << '\n';
    } else {
        std::cerr << "vigil status: " << version.error() << '\n';
    }
    // The agent's kernel feature probe: what decides each hook's attach method.
    if (auto info = client.info(); info.ok()) {
        std::string present, absent;
        for (const auto& p : info->probes()) {
            std::string& list = p.enabled().value() ? present : absent;
            list += (list.empty() ? "" : ", ") + p.name();
        }
        std::cout << "Kernel features: " << (present.empty() ? "(none)" : present) << '\n';
        if (!absent.empty()) std::cout << "Kernel lacks: " << absent << '\n';
    }
    if (!running) {
        std::cerr << "vigil status: vigild at " << client.address() << " is not running normally\n";
        return kExitFailure;
    }
    return version.ok() ? 0 : kExitFailure;
}

// The server part is best effort: the CLI version is useful on its own.
int run_version(const GlobalFlags& global, bool client_only) {
    std::cout << "CLI version: " << kVersion << '\n';
    if (client_only) return 0;
    AgentClient client = global.client();
    auto version = client.server_version();
    if (version.ok()) {
        std::cout << "Server version: " << version.value() << '\n';
    } else {
        std::cerr << "vigil version: server version unavailable: " << version.error() << '\n';
    }
    return 0;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App app("vigil: command line client for the vigild runtime-security agent", "vigil");
    app.require_subcommand(1);
    app.fallthrough();  // global flags are also accepted after the subcommand
    app.set_version_flag("--version", std::string("vigil ") + kVersion);

    GlobalFlags global;
    global.server_address = default_server_address(std::getenv("VIGIL_SERVER_ADDRESS"));
    app.add_option("--server-address", global.server_address,
                   "gRPC address of vigild: unix:///path or host:port "
                   "(default: $VIGIL_SERVER_ADDRESS, else " +
                       std::string(kDefaultServerAddress) + ")");
    app.add_option("--timeout", global.timeout_s,
                   "seconds to wait for a reply (every call but the event stream)")
        ->check(CLI::PositiveNumber);
    app.add_option("--tls-ca-file", global.tls.ca_file,
                   "TLS to a host:port vigild: PEM CA that signed its certificate "
                   "(vigild --server-tls-cert-file)");
    app.add_option("--tls-cert-file", global.tls.cert_file,
                   "PEM client certificate to present (vigild --server-tls-client-ca-file)");
    app.add_option("--tls-key-file", global.tls.key_file, "PEM key of --tls-cert-file");
    app.add_option("--tls-server-name", global.tls.server_name,
                   "name to verify in vigild's certificate instead of the address's host");

    GetEventsFlags ge;
    CLI::App* getevents = app.add_subcommand(
        "getevents", "print events from vigild, or filter JSON event lines read from stdin");
    getevents->add_option("-o,--output", ge.output, "json or compact")
        ->check(CLI::IsMember({"json", "compact"}))
        ->capture_default_str();
    getevents
        ->add_option("-n,--namespace", ge.filter.namespaces,
                     "pod namespaces to show (\"\" = host processes)")
        ->delimiter(',');
    getevents->add_option("--pod", ge.filter.pods, "RE2 regexes on the pod name");
    getevents->add_option("--process", ge.filter.processes, "RE2 regexes on the process binary");
    getevents
        ->add_option("-e,--event-types", ge.filter.event_types,
                     "event types to show: " + event_type_names())
        ->delimiter(',');
    getevents->add_flag("--timestamps", ge.timestamps, "prefix compact lines with the event time");
    getevents->add_option("--color", ge.color, "colour compact output: auto, always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    CLI::Option* in =
        getevents->add_flag("--stdin", ge.force_stdin,
                            "read JSON event lines from stdin (default when it is a pipe or file)");
    CLI::Option* no_in =
        getevents->add_flag("--no-stdin", ge.no_stdin, "connect to vigild even if stdin is a pipe");
    in->excludes(no_in);

    CLI::App* status =
        app.add_subcommand("status", "check that vigild is up and print its version");
    bool client_only = false;
    CLI::App* version = app.add_subcommand("version", "print the CLI and server versions");
    version->add_flag("--client", client_only, "do not contact the server");

    TracingPolicyCommand tracingpolicy(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : kExitUsage;
    }
    if (Status st = global.tls.load(global.server_address); !st) {
        std::cerr << "vigil: " << st.error() << '\n';
        return kExitUsage;
    }
    if (getevents->parsed()) return run_getevents(global, ge);
    if (status->parsed()) return run_status(global);
    if (version->parsed()) return run_version(global, client_only);
    if (tracingpolicy.parsed()) return tracingpolicy.run(global);
    return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace vigil::cli
