#include "k8s/pod_json.h"

#include <ctime>
#include <limits>

#include <nlohmann/json.hpp>

#include "k8s/workload.h"

namespace vigil::k8s {
namespace {

using nlohmann::json;

// A present, non-null member, or nullptr.
const json* member(const json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

// Reads an optional string member into out; an error if it has another type.
Status read_string(const json& obj, const char* key, const std::string& where, std::string& out) {
    const json* v = member(obj, key);
    if (v == nullptr) return {};
    if (!v->is_string()) return make_error(where + "." + key + " is not a string");
    out = v->get<std::string>();
    return {};
}

Status read_string_map(const json& obj, const char* key, const std::string& where, Labels& out) {
    const json* v = member(obj, key);
    if (v == nullptr) return {};
    if (!v->is_object()) return make_error(where + "." + key + " is not an object");
    for (const auto& [k, val] : v->items()) {
        if (!val.is_string()) return make_error(where + "." + key + "[" + k + "] is not a string");
        out.emplace(k, val.get<std::string>());
    }
    return {};
}

Status read_string_list(const json* v, const std::string& where, std::vector<std::string>& out) {
    if (v == nullptr) return {};
    if (!v->is_array()) return make_error(where + " is not an array");
    for (const auto& item : *v) {
        if (!item.is_string()) return make_error(where + " has a non-string item");
        out.push_back(item.get<std::string>());
    }
    return {};
}

const json* path(const json& obj, std::initializer_list<const char*> keys) {
    const json* cur = &obj;
    for (const char* k : keys) {
        cur = member(*cur, k);
        if (cur == nullptr) return nullptr;
    }
    return cur;
}

Result<std::vector<OwnerReference>> owners_from(const json& meta) {
    std::vector<OwnerReference> owners;
    const json* refs = member(meta, "ownerReferences");
    if (refs == nullptr) return owners;
    if (!refs->is_array()) return make_error("metadata.ownerReferences is not an array");
    for (const auto& r : *refs) {
        OwnerReference o;
        std::string where = "metadata.ownerReferences[]";
        if (auto s = read_string(r, "kind", where, o.kind); !s) return make_error(s.error());
        if (auto s = read_string(r, "name", where, o.name); !s) return make_error(s.error());
        if (auto s = read_string(r, "apiVersion", where, o.api_version); !s) {
            return make_error(s.error());
        }
        const json* c = member(r, "controller");
        o.controller = c != nullptr && c->is_boolean() && c->get<bool>();
        owners.push_back(std::move(o));
    }
    return owners;
}

// Spec facts per container name: privileged and exec probes.
struct SpecFacts {
    bool privileged = false;
    std::vector<std::string> liveness_exec, readiness_exec;
};

Result<std::map<std::string, SpecFacts>> spec_facts(const json& spec) {
    std::map<std::string, SpecFacts> facts;
    for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
        const json* arr = member(spec, list);
        if (arr == nullptr) continue;
        std::string where = std::string("spec.") + list;
        if (!arr->is_array()) return make_error(where + " is not an array");
        for (const auto& c : *arr) {
            std::string name;
            if (auto s = read_string(c, "name", where + "[]", name); !s) return make_error(s.error());
            SpecFacts f;
            const json* priv = path(c, {"securityContext", "privileged"});
            f.privileged = priv != nullptr && priv->is_boolean() && priv->get<bool>();
            if (auto s = read_string_list(path(c, {"livenessProbe", "exec", "command"}),
                                          where + "[" + name + "].livenessProbe.exec.command",
                                          f.liveness_exec);
                !s) {
                return make_error(s.error());
            }
            if (auto s = read_string_list(path(c, {"readinessProbe", "exec", "command"}),
                                          where + "[" + name + "].readinessProbe.exec.command",
                                          f.readiness_exec);
                !s) {
                return make_error(s.error());
            }
            facts[name] = std::move(f);
        }
    }
    return facts;
}

Status read_statuses(const json& status, const char* list, bool init, bool ephemeral,
                     const std::map<std::string, SpecFacts>& facts,
                     std::vector<ContainerInfo>& out) {
    const json* arr = member(status, list);
    if (arr == nullptr) return {};
    std::string where = std::string("status.") + list;
    if (!arr->is_array()) return make_error(where + " is not an array");
    for (const auto& cs : *arr) {
        ContainerInfo c;
        c.init = init;
        c.ephemeral = ephemeral;
        for (auto [key, field] : {std::pair{"containerID", &c.id}, std::pair{"name", &c.name},
                                  std::pair{"imageID", &c.image_id},
                                  std::pair{"image", &c.image_name}}) {
            if (auto s = read_string(cs, key, where + "[]", *field); !s) return s;
        }
        if (const json* started = path(cs, {"state", "running", "startedAt"})) {
            if (!started->is_string()) return make_error(where + "[].state.running.startedAt is not a string");
            auto ns = parse_rfc3339_ns(started->get_ref<const std::string&>());
            if (!ns) {
                return make_error(where + "[" + c.name + "].state.running.startedAt '" +
                                  started->get<std::string>() + "' is not an RFC 3339 time");
            }
            c.start_time_unix_ns = *ns;
        }
        if (auto it = facts.find(c.name); it != facts.end()) {
            c.privileged = it->second.privileged;
            c.liveness_exec = it->second.liveness_exec;
            c.readiness_exec = it->second.readiness_exec;
        }
        out.push_back(std::move(c));
    }
    return {};
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_ns(std::string_view t) {
    // YYYY-MM-DDTHH:MM:SS
    int year = digits(t, 0, 4), mon = digits(t, 5, 2), day = digits(t, 8, 2);
    int hour = digits(t, 11, 2), min = digits(t, 14, 2), sec = digits(t, 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 60 || t[4] != '-' || t[7] != '-' ||
        (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':') {
        return std::nullopt;
    }
    std::size_t pos = 19;
    std::int64_t frac_ns = 0;
    if (pos < t.size() && t[pos] == '.') {
        ++pos;
        std::size_t start = pos;
        std::int64_t scale = 100000000;
        while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
            frac_ns += (t[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }
    int offset_s = 0;
    if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
        ++pos;
    } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
        int oh = digits(t, pos + 1, 2), om = digits(t, pos + 4, 2);
        if (oh < 0 || om < 0 || pos + 3 >= t.size() || t[pos + 3] != ':') return std::nullopt;
        offset_s = (oh * 3600 + om * 60) * (t[pos] == '+' ? 1 : -1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != t.size()) return std::nullopt;

    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    std::int64_t secs = static_cast<std::int64_t>(timegm(&tm)) - offset_s;
    // int64 ns spans 1677..2262; a year outside it would overflow (found by fuzz_k8s_pod_json).
    constexpr std::int64_t kMaxSecs = std::numeric_limits<std::int64_t>::max() / 1000000000 - 1;
    if (secs < -kMaxSecs || secs > kMaxSecs) return std::nullopt;
    return secs * 1000000000 + frac_ns;
}

Result<Labels> labels_from_json(const json& object) {
    Labels labels;
    const json* meta = member(object, "metadata");
    if (meta == nullptr) return make_error("object has no metadata");
    if (auto s = read_string_map(*meta, "labels", "metadata", labels); !s) return make_error(s.error());
    return labels;
}

Result<PodInfo> pod_from_json(const json& pod) {
    if (!pod.is_object()) return make_error("pod is not a JSON object");
    const json* meta = member(pod, "metadata");
    if (meta == nullptr || !meta->is_object()) return make_error("pod has no metadata object");

    PodInfo p;
    std::string generate_name;
    for (auto [key, field] : {std::pair{"namespace", &p.namespace_}, std::pair{"name", &p.name},
                              std::pair{"uid", &p.uid},
                              std::pair{"resourceVersion", &p.resource_version},
                              std::pair{"generateName", &generate_name}}) {
        if (auto s = read_string(*meta, key, "metadata", *field); !s) return make_error(s.error());
    }
    if (p.uid.empty()) return make_error("pod metadata.uid is missing");
    if (p.name.empty()) return make_error("pod " + p.uid + " has no metadata.name");
    if (p.namespace_.empty()) return make_error("pod " + p.name + " has no metadata.namespace");
    std::string where = "pod " + p.namespace_ + "/" + p.name + ": ";

    if (auto s = read_string_map(*meta, "labels", "metadata", p.labels); !s) return make_error(where + s.error());
    if (auto s = read_string_map(*meta, "annotations", "metadata", p.annotations); !s) {
        return make_error(where + s.error());
    }
    auto owners = owners_from(*meta);
    if (!owners) return make_error(where + owners.error());
    Workload w = derive_workload(p.name, generate_name, p.labels, *owners);
    p.workload = std::move(w.name);
    p.workload_kind = std::move(w.kind);

    static const json kEmpty = json::object();
    const json* spec = member(pod, "spec");
    const json* status = member(pod, "status");
    if (spec != nullptr) {
        if (auto s = read_string(*spec, "nodeName", "spec", p.node_name); !s) return make_error(where + s.error());
    }
    auto facts = spec_facts(spec != nullptr ? *spec : kEmpty);
    if (!facts) return make_error(where + facts.error());
    if (status != nullptr) {
        if (auto s = read_string(*status, "phase", "status", p.phase); !s) return make_error(where + s.error());
        if (auto s = read_statuses(*status, "initContainerStatuses", true, false, *facts, p.containers); !s) {
            return make_error(where + s.error());
        }
        if (auto s = read_statuses(*status, "containerStatuses", false, false, *facts, p.containers); !s) {
            return make_error(where + s.error());
        }
        if (auto s = read_statuses(*status, "ephemeralContainerStatuses", false, true, *facts,
                                   p.containers);
            !s) {
            return make_error(where + s.error());
        }
    }
    return p;
}

}  // namespace vigil::k8s
