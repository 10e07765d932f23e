// Shared helpers for the export unit tests: the Tetragon corpus (read in place
// from shared/) and small event builders.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tetragon/events.pb.h"

namespace vigil::exporter::testing {

struct CorpusLine {
    std::string where;  // "file:line", for failure messages
    std::string text;
};

inline std::vector<CorpusLine> corpus_lines() {
    std::vector<CorpusLine> out;
    for (const char* name : {"events.jsonl", "docs-samples.jsonl"}) {
        const std::string path = std::string(VIGIL_SHARED_DIR) + "/corpus/tetragon-events/" + name;
        std::ifstream in(path);
        EXPECT_TRUE(in.good()) << "cannot read " << path;
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            out.push_back({std::string(name) + ":" + std::to_string(n), line});
        }
    }
    return out;
}

inline tetragon::Process make_process(const std::string& binary, const std::string& args = "", std::uint32_t pid = 0) {
    tetragon::Process p;
    p.set_binary(binary);
    p.set_arguments(args);
    if (pid != 0) p.mutable_pid()->set_value(pid);
    return p;
}

inline void set_pod(tetragon::Process& p, const std::string& ns, const std::string& name) {
    p.mutable_pod()->set_namespace_(ns);
    p.mutable_pod()->set_name(name);
}

inline tetragon::GetEventsResponse exec_event(const tetragon::Process& p, const std::string& node = "my-node") {
    tetragon::GetEventsResponse ev;
    *ev.mutable_process_exec()->mutable_process() = p;
    ev.set_node_name(node);
    return ev;
}

inline tetragon::GetEventsResponse exit_event(const tetragon::Process& p, const std::string& node = "my-node") {
    tetragon::GetEventsResponse ev;
    *ev.mutable_process_exit()->mutable_process() = p;
    ev.set_node_name(node);
    return ev;
}

inline tetragon::GetEventsResponse kprobe_event(const tetragon::Process& p, const std::string& function,
                                                const std::string& node = "my-node") {
    tetragon::GetEventsResponse ev;
    *ev.mutable_process_kprobe()->mutable_process() = p;
    ev.mutable_process_kprobe()->set_function_name(function);
    ev.set_node_name(node);
    return ev;
}

}  // namespace vigil::exporter::testing
