// Every upstream Tetragon example policy is a valid policy: each must parse
// with no error and no unsupported feature (warnings are allowed), without
// crashing. Read in place from the shared corpus; never copied.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "policy/policy.h"

namespace vigil::policy {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpus_files() {
    std::vector<fs::path> out;
    const fs::path root = fs::path(VIGIL_SHARED_DIR) / "corpus" / "tetragon-examples";
    if (!fs::is_directory(root)) return out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(PolicyCorpus, EveryUpstreamExampleParsesWithoutErrors) {
    const auto files = corpus_files();
    ASSERT_GE(files.size(), 60u) << "corpus not found under " << VIGIL_SHARED_DIR;
    size_t failed = 0;
    size_t policies = 0;
    for (const auto& f : files) {
        ParseResult r = load_policy_file(f.string());
        policies += r.policies.size();
        size_t warnings = 0;
        for (const auto& d : r.diagnostics) warnings += d.severity == Severity::Warning;
        std::string section = "-";
        if (!r.policies.empty() && r.policies[0].hook_kind)
            section = hook_kind_name(*r.policies[0].hook_kind);
        std::cout << (r.ok() ? "ok    " : "FAIL  ")
                  << fs::relative(f, fs::path(VIGIL_SHARED_DIR) / "corpus").string() << "  " << section
                  << "  (" << r.policies.size() << " policies, " << warnings << " warnings)\n";
        for (const auto& d : r.diagnostics) std::cout << "      " << format_diagnostic(d) << "\n";
        if (!r.ok() || r.policies.empty()) {
            ++failed;
            ADD_FAILURE() << f << " did not parse cleanly";
        }
    }
    std::cout << files.size() - failed << " of " << files.size() << " corpus files parse cleanly; "
              << policies << " policies\n";
}

}  // namespace
}  // namespace vigil::policy
