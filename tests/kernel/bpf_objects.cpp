#include "bpf_objects.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "agent_fixture.h"

namespace vigil::kt {
namespace {

namespace fs = std::filesystem;

// Runs `bpftool -j <what> list` and parses its JSON array (protobuf's
// ListValue reads a top-level JSON array; no extra JSON library needed).
Result<google::protobuf::ListValue> bpftool_list(const std::string& what) {
    TempDir dir("vigil-kt-bpftool");
    const std::string out = dir / "out.json";
    SpawnOptions so;
    so.stdout_path = out;
    so.stderr_path = dir / "err.txt";
    auto st = run_to_exit({"/usr/bin/env", "bpftool", "-j", what, "list"}, so);
    if (!st) return make_error("bpftool " + what + " list: " + st.error());
    auto read = [](const std::string& path) {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    if (*st != 0) {
        return make_error("bpftool -j " + what + " list " + describe_wait_status(*st) + ": " +
                          read(dir / "err.txt"));
    }
    google::protobuf::ListValue list;
    const std::string json = read(out);
    auto parsed = google::protobuf::util::JsonStringToMessage(json, &list);
    if (!parsed.ok()) {
        return make_error("bpftool -j " + what + " list: cannot parse output: " + std::string(parsed.message()) +
                          ": " + json.substr(0, 200));
    }
    return list;
}

const google::protobuf::Value* field(const google::protobuf::Value& v, const std::string& name) {
    if (!v.has_struct_value()) return nullptr;
    const auto& f = v.struct_value().fields();
    auto it = f.find(name);
    return it == f.end() ? nullptr : &it->second;
}

std::uint32_t number_field(const google::protobuf::Value& v, const std::string& name) {
    const auto* f = field(v, name);
    return f && f->has_number_value() ? static_cast<std::uint32_t>(f->number_value()) : 0;
}

// Adds the ids named by "prog_id:" and "link_id:" lines of every fdinfo file.
void collect_fdinfo(const fs::path& fdinfo_dir, HeldBpfObjects& held) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fdinfo_dir, ec)) {
        std::ifstream in(entry.path());
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream s(line);
            std::string key;
            std::uint32_t id = 0;
            if (!(s >> key >> id)) continue;
            if (key == "prog_id:") held.prog_ids.insert(id);
            if (key == "link_id:") held.link_ids.insert(id);
        }
    }
}

}  // namespace

Result<std::vector<BpfProg>> list_bpf_programs() {
    auto list = bpftool_list("prog");
    if (!list) return make_error(list.error());
    std::vector<BpfProg> progs;
    for (const auto& v : list->values()) {
        BpfProg p;
        p.id = number_field(v, "id");
        if (const auto* name = field(v, "name"); name && name->has_string_value()) p.name = name->string_value();
        progs.push_back(p);
    }
    return progs;
}

Result<std::vector<BpfLink>> list_bpf_links() {
    auto list = bpftool_list("link");
    if (!list) return make_error(list.error());
    std::vector<BpfLink> links;
    for (const auto& v : list->values()) links.push_back({number_field(v, "id"), number_field(v, "prog_id")});
    return links;
}

HeldBpfObjects bpf_objects_held_by(pid_t pid) {
    HeldBpfObjects held;
    collect_fdinfo(fs::path("/proc") / std::to_string(pid) / "fdinfo", held);
    return held;
}

HeldBpfObjects bpf_objects_held_by_anyone() {
    HeldBpfObjects held;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
        collect_fdinfo(entry.path() / "fdinfo", held);
    }
    return held;
}

}  // namespace vigil::kt
