#include "process/procfs_parse.h"

#include <charconv>

namespace vigil::process {
namespace {

std::vector<std::string_view> split_ws(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
        std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

template <typename T>
bool parse_num(std::string_view s, T& out, int base = 10) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && ptr == s.data() + s.size();
}

// Calls fn(line) for each line of text, without the newline.
template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        fn(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

bool parse_ids(std::string_view value, std::uint32_t* dst[4]) {
    auto fields = split_ws(value);
    if (fields.size() < 4) return false;
    for (int i = 0; i < 4; ++i) {
        if (!parse_num(fields[i], *dst[i])) return false;
    }
    return true;
}

}  // namespace

Result<StatFields> parse_stat(std::string_view text) {
    std::size_t open = text.find('(');
    std::size_t close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
        return make_error("stat: no '(comm)' field");
    }
    StatFields f;
    f.comm = std::string(text.substr(open + 1, close - open - 1));
    // After ") ": field 3 (state) is index 0, so field N is index N - 3.
    auto fields = split_ws(text.substr(close + 1));
    constexpr std::size_t kPpid = 4 - 3;
    constexpr std::size_t kStarttime = 22 - 3;
    if (fields.size() <= kStarttime) {
        return make_error("stat: " + std::to_string(fields.size() + 2) +
                          " fields, starttime is field 22");
    }
    if (!parse_num(fields[kPpid], f.ppid)) return make_error("stat: bad ppid");
    if (!parse_num(fields[kStarttime], f.starttime)) return make_error("stat: bad starttime");
    return f;
}

Result<StatusFields> parse_status(std::string_view text) {
    StatusFields f;
    bool have_tgid = false, have_uid = false, have_gid = false, have_nspid = false;
    bool bad = false;
    for_each_line(text, [&](std::string_view line) {
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) return;
        std::string_view key = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        if (key == "Tgid") {
            auto v = split_ws(value);
            have_tgid = !v.empty() && parse_num(v[0], f.tgid);
        } else if (key == "Uid") {
            std::uint32_t* dst[4] = {&f.creds.uid, &f.creds.euid, &f.creds.suid, &f.creds.fsuid};
            have_uid = parse_ids(value, dst);
        } else if (key == "Gid") {
            std::uint32_t* dst[4] = {&f.creds.gid, &f.creds.egid, &f.creds.sgid, &f.creds.fsgid};
            have_gid = parse_ids(value, dst);
        } else if (key == "NSpid") {
            auto v = split_ws(value);
            have_nspid = !v.empty() && parse_num(v.back(), f.nspid);
        } else if (key == "CapInh" || key == "CapPrm" || key == "CapEff") {
            std::uint64_t* dst = key == "CapInh"   ? &f.caps.inheritable
                                 : key == "CapPrm" ? &f.caps.permitted
                                                   : &f.caps.effective;
            auto v = split_ws(value);
            if (v.empty() || !parse_num(v[0], *dst, 16)) bad = true;
        }
    });
    if (!have_tgid) return make_error("status: missing or bad Tgid");
    if (!have_uid) return make_error("status: missing or bad Uid");
    if (!have_gid) return make_error("status: missing or bad Gid");
    if (bad) return make_error("status: bad capability mask");
    if (!have_nspid) f.nspid = f.tgid;  // kernels before 4.1 have no NSpid
    return f;
}

std::vector<std::string> split_cmdline(std::string_view raw) {
    std::vector<std::string> argv;
    if (raw.empty()) return argv;
    if (raw.back() == '\0') raw.remove_suffix(1);
    while (true) {
        std::size_t nul = raw.find('\0');
        argv.emplace_back(raw.substr(0, nul));
        if (nul == std::string_view::npos) break;
        raw.remove_prefix(nul + 1);
    }
    return argv;
}

std::uint32_t parse_ns_link(std::string_view link) {
    std::size_t open = link.find(":[");
    if (open == std::string_view::npos || link.empty() || link.back() != ']') return 0;
    std::uint32_t inode = 0;
    if (!parse_num(link.substr(open + 2, link.size() - open - 3), inode)) return 0;
    return inode;
}

std::string cgroup_leaf(std::string_view cgroup_file) {
    std::string_view chosen;
    bool have_v2 = false, have_any = false;
    for_each_line(cgroup_file, [&](std::string_view line) {
        // "hierarchy-id:controllers:path"; the path may itself contain ':'.
        std::size_t c1 = line.find(':');
        if (c1 == std::string_view::npos) return;
        std::size_t c2 = line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) return;
        std::string_view path = line.substr(c2 + 1);
        if (line.substr(0, c2) == "0:") {
            chosen = path;
            have_v2 = true;
        } else if (!have_v2 && !have_any) {
            chosen = path;
        }
        have_any = true;
    });
    if (!have_any || chosen.empty()) return {};
    while (chosen.size() > 1 && chosen.back() == '/') chosen.remove_suffix(1);
    if (chosen == "/") return "/";
    std::size_t slash = chosen.rfind('/');
    return std::string(slash == std::string_view::npos ? chosen : chosen.substr(slash + 1));
}

}  // namespace vigil::process
