// The generated compatibility table (cli/corpus_table.h): rows for valid,
// invalid and unloadable files, the Markdown, the marker handling, and that
// docs/policy.md carries exactly what the generator makes today.
#include "cli/corpus_table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/kernel_features.h"
#include "run_cli.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

const std::string kExamples = std::string(VIGIL_SHARED_DIR) + "/corpus/tetragon-examples";
const std::string kPolicyDoc = std::string(VIGIL_SOURCE_DIR) + "/docs/policy.md";

TEST(CorpusTable, DocsPolicyMdIsUpToDate) {
    auto rows = corpus_rows(kExamples, ci_kernel_features());
    ASSERT_TRUE(rows.ok()) << rows.error();
    ASSERT_GE(rows->size(), 60u);
    const std::string expected = corpus_table_markdown(rows.value(), "ci", ci_kernel_features());
    auto block = extract_generated_block(cli_test::slurp(kPolicyDoc));
    ASSERT_TRUE(block.ok()) << kPolicyDoc << ": " << block.error();
    EXPECT_EQ(block.value(), expected)
        << "docs/policy.md's compatibility table is stale. Regenerate it with\n"
           "  build/vigil tracingpolicy corpus-table ../shared/corpus/tetragon-examples "
           "--update docs/policy.md";
}

TEST(CorpusTable, EveryTetragonExampleIsValid) {
    auto rows = corpus_rows(kExamples, ci_kernel_features());
    ASSERT_TRUE(rows.ok()) << rows.error();
    for (const auto& r : rows.value()) {
        EXPECT_TRUE(r.valid) << r.file << ": " << r.reason;
        EXPECT_GE(r.policies, 1u) << r.file;
        EXPECT_EQ(r.file.find(VIGIL_SHARED_DIR), std::string::npos) << "no absolute paths";
        if (!r.loads) {
            EXPECT_FALSE(r.reason.empty()) << r.file << ": no reason given";
        }
    }
}

class CorpusDir : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "vigil-corpus-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    void write(const std::string& rel, const std::string& text) {
        fs::create_directories((dir_ / rel).parent_path());
        std::ofstream(dir_ / rel, std::ios::binary) << text;
    }
    fs::path dir_;
};

const char* kSyscallHook = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: w
spec:
  kprobes:
  - call: sys_write
    syscall: true
    args:
    - index: 0
      type: "int|fd"
)";

TEST_F(CorpusDir, RowsSayValidLoadableAndWhyNot) {
    std::string loads = kSyscallHook;
    loads.replace(loads.find("\"int|fd\""), 8, "int");
    write("b/loads.yaml", loads);
    write("a/invalid.yml", kSyscallHook);  // type "int|fd" does not exist
    std::string kernel_fn = loads;
    const std::string syscall_hook = "call: sys_write\n    syscall: true";
    kernel_fn.replace(kernel_fn.find(syscall_hook), syscall_hook.size(),
                      "call: fd_install\n    syscall: false");
    write("kernel_fn.yaml", kernel_fn);
    write("notes.txt", "not a policy");

    auto rows = corpus_rows(dir_.string(), ci_kernel_features());
    ASSERT_TRUE(rows.ok()) << rows.error();
    ASSERT_EQ(rows->size(), 3u);
    const auto& invalid = rows->at(0);
    const auto& ok = rows->at(1);
    const auto& unloadable = rows->at(2);
    EXPECT_EQ(invalid.file, "a/invalid.yml");
    EXPECT_FALSE(invalid.valid);
    EXPECT_FALSE(invalid.loads);
    EXPECT_EQ(invalid.reason.rfind("11:13: error: spec.kprobes[0].args[0].type: ", 0), 0u)
        << invalid.reason;

    EXPECT_EQ(ok.file, "b/loads.yaml");
    EXPECT_TRUE(ok.valid);
    EXPECT_TRUE(ok.loads);
    EXPECT_EQ(ok.hooks, 1u);
    EXPECT_EQ(ok.section, "kprobes");
    EXPECT_EQ(ok.reason, "");

    EXPECT_EQ(unloadable.file, "kernel_fn.yaml");
    EXPECT_TRUE(unloadable.valid);
    EXPECT_FALSE(unloadable.loads);
    EXPECT_EQ(unloadable.reason.rfind("7:5: spec.kprobes[0].call: 'fd_install' is a kernel "
                                      "function",
                                      0),
              0u)
        << unloadable.reason;

    const std::string md = corpus_table_markdown(rows.value(), "ci", ci_kernel_features());
    EXPECT_EQ(md.substr(0, md.find('\n')),
              "3 files: 2 valid, 1 load on the `ci` kernel (ring_buffer, raw_tracepoint, "
              "tracepoint, uprobe, signal, bpf_cookie).");
    EXPECT_NE(md.find("| `b/loads.yaml` | kprobes | 1 | valid | 0 | yes (1 hook) |  |\n"),
              std::string::npos)
        << md;
    // A '|' inside a reason must not split the cell.
    EXPECT_NE(md.find("'int\\|fd'"), std::string::npos) << md;
}

TEST_F(CorpusDir, MissingDirectoryIsAnError) {
    auto rows = corpus_rows((dir_ / "nope").string(), ci_kernel_features());
    ASSERT_FALSE(rows.ok());
    EXPECT_NE(rows.error().find("nope: not a directory"), std::string::npos) << rows.error();
}

TEST(CorpusTableMarkers, ReplaceKeepsEverythingAroundTheBlock) {
    const std::string doc = std::string("# Title\nintro\n") + kCorpusTableBegin + "\nold\ntable\n" +
                            kCorpusTableEnd + "\nafter\n";
    auto replaced = replace_generated_block(doc, "new\n");
    ASSERT_TRUE(replaced.ok()) << replaced.error();
    EXPECT_EQ(replaced.value(), std::string("# Title\nintro\n") + kCorpusTableBegin + "\nnew\n" +
                                    kCorpusTableEnd + "\nafter\n");
    auto block = extract_generated_block(replaced.value());
    ASSERT_TRUE(block.ok());
    EXPECT_EQ(block.value(), "new\n");
}

TEST(CorpusTableMarkers, MissingMarkersAreNamed) {
    auto no_begin = extract_generated_block("text\n");
    ASSERT_FALSE(no_begin.ok());
    EXPECT_NE(no_begin.error().find(kCorpusTableBegin), std::string::npos);
    auto no_end = replace_generated_block(std::string(kCorpusTableBegin) + "\nx\n", "y");
    ASSERT_FALSE(no_end.ok());
    EXPECT_NE(no_end.error().find(kCorpusTableEnd), std::string::npos);
}

TEST_F(CorpusDir, CommandUpdatesTheDocumentInPlace) {
    std::string loads = kSyscallHook;
    loads.replace(loads.find("\"int|fd\""), 8, "int");
    write("corpus/p.yaml", loads);
    const std::string doc_path = (dir_ / "doc.md").string();
    {
        std::ofstream(doc_path) << "# Doc\n" << kCorpusTableBegin << "\nstale\n"
                                << kCorpusTableEnd << "\ntail\n";
    }
    const std::string corpus = (dir_ / "corpus").string();
    auto r = cli_test::run_cli({"tracingpolicy", "corpus-table", corpus, "--update", doc_path},
                               cli_test::stdin_file("/dev/null"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "updated " + doc_path + " (1 files)\n");
    const std::string doc = cli_test::slurp(doc_path);
    EXPECT_EQ(doc.rfind("# Doc\n", 0), 0u);
    EXPECT_NE(doc.find("| `p.yaml` | kprobes | 1 | valid | 0 | yes (1 hook) |  |"),
              std::string::npos)
        << doc;
    EXPECT_EQ(doc.find("stale"), std::string::npos);
    EXPECT_EQ(doc.substr(doc.size() - 5), "tail\n");

    auto printed = cli_test::run_cli({"tp", "corpus-table", corpus},
                                     cli_test::stdin_file("/dev/null"));
    ASSERT_EQ(printed.exit_code, 0) << printed.err;
    EXPECT_EQ(extract_generated_block(doc).value(), printed.out);
}

TEST(CorpusTableCommand, IsHiddenFromHelp) {
    auto r = cli_test::run_cli({"tracingpolicy", "--help"}, cli_test::stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("validate"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("corpus-table"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace vigil::cli
