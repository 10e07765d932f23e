#include "cli/corpus_table.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/kernel_features.h"
#include "policy/tracepoint_format.h"

#include <sys/mount.h>
#include <unistd.h>
#include "policy/hook_plan.h"
#include "policy/policy.h"

namespace vigil::cli {
namespace {

// Tracepoint policies plan against this machine's tracefs; it is mounted
// here when nobody has (vigild does the same at start), so the table does
// not depend on whether vigild ran before.
const policy::TracepointFormatLookup& tracepoint_formats() {
    static const policy::TracepointFormatLookup lookup = [] {
        if (::access("/sys/kernel/tracing/events", F_OK) != 0) {
            ::mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr);
        }
        return policy::tracefs_format_lookup();
    }();
    return lookup;
}

namespace fs = std::filesystem;

// Problems start with "FILE:"; the row already names the file.
std::string without_file(const std::string& text, const std::string& file) {
    const std::string prefix = file + ":";
    return text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
}

// Table cells are one line and must not end the cell early.
std::string cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else out += c;
    }
    return out;
}

CorpusRow row_for(const fs::path& path, const std::string& rel,
                  const model::KernelFeatures& features) {
    CorpusRow row;
    row.file = rel;
    row.section = "-";
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        row.reason = "cannot open the file";
        return row;
    }
    std::ostringstream text;
    text << in.rdbuf();
    // Parsed under the relative name so no machine's paths reach the docs.
    policy::ParseResult r = policy::parse_policies(text.str(), rel);
    row.policies = r.policies.size();
    for (const auto& p : r.policies) {
        if (p.hook_kind) {
            row.section = std::string(policy::hook_kind_name(*p.hook_kind));
            break;
        }
    }
    for (const auto& d : r.diagnostics) {
        if (!policy::is_blocking(d.severity)) {
            ++row.warnings;
        } else if (row.reason.empty()) {
            row.reason = without_file(policy::format_diagnostic(d), rel);
        }
    }
    row.valid = r.ok();
    if (!row.valid) return row;
    row.loads = true;
    for (const auto& p : r.policies) {
        policy::HookPlan plan = policy::plan_hooks(p, features, tracepoint_formats());
        if (!plan.ok()) {
            row.loads = false;
            row.hooks = 0;
            row.reason = without_file(plan.errors.front(), rel);
            break;
        }
        row.hooks += plan.hooks.size();
    }
    return row;
}

}  // namespace

Result<std::vector<CorpusRow>> corpus_rows(const std::string& dir,
                                           const model::KernelFeatures& features) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return make_error(dir + ": not a directory");
    std::vector<std::pair<std::string, fs::path>> files;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto ext = it->path().extension();
        if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
            files.emplace_back(fs::relative(it->path(), dir).generic_string(), it->path());
        }
    }
    if (ec) return make_error(dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    std::vector<CorpusRow> rows;
    for (const auto& [rel, path] : files) rows.push_back(row_for(path, rel, features));
    return rows;
}

std::string corpus_table_markdown(const std::vector<CorpusRow>& rows,
                                  const std::string& target_name,
                                  const model::KernelFeatures& features) {
    std::size_t valid = 0, loads = 0;
    for (const auto& r : rows) {
        valid += r.valid;
        loads += r.loads;
    }
    std::ostringstream o;
    o << rows.size() << " files: " << valid << " valid, " << loads << " load on the `"
      << target_name << "` kernel (" << describe_features(features) << ").\n\n";
    o << "| File | Section | Policies | Valid | Warnings | Loads here | First reason it does not |\n";
    o << "|---|---|---|---|---|---|---|\n";
    for (const auto& r : rows) {
        o << "| `" << cell(r.file) << "` | " << r.section << " | " << r.policies << " | "
          << (r.valid ? "valid" : "**invalid**") << " | " << r.warnings << " | "
          << (r.loads ? "yes (" + std::to_string(r.hooks) + (r.hooks == 1 ? " hook)" : " hooks)")
                      : std::string("no"))
          << " | " << cell(r.reason) << " |\n";
    }
    return o.str();
}

namespace {

struct Block {
    std::size_t begin = 0;  // first byte after the begin marker's line
    std::size_t end = 0;    // first byte of the end marker
};

Result<Block> find_block(const std::string& doc) {
    const std::string begin = kCorpusTableBegin, end = kCorpusTableEnd;
    const std::size_t b = doc.find(begin);
    if (b == std::string::npos) return make_error("no line '" + begin + "'");
    std::size_t body = doc.find('\n', b);
    body = body == std::string::npos ? doc.size() : body + 1;
    const std::size_t e = doc.find(end, body);
    if (e == std::string::npos) return make_error("no line '" + end + "' after the begin marker");
    return Block{body, e};
}

}  // namespace

Result<std::string> extract_generated_block(const std::string& doc) {
    auto blk = find_block(doc);
    if (!blk.ok()) return make_error(blk.error());
    return doc.substr(blk->begin, blk->end - blk->begin);
}

Result<std::string> replace_generated_block(const std::string& doc, const std::string& block) {
    auto blk = find_block(doc);
    if (!blk.ok()) return make_error(blk.error());
    return doc.substr(0, blk->begin) + block + doc.substr(blk->end);
}

}  // namespace vigil::cli
