// vigild's configuration layers: defaults, YAML file, VIGIL_* environment,
// flags; and the errors each layer gives for bad input.
#include "agent/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vigil::agent {
namespace {

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("vigil-config-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        ::unsetenv("VIGIL_LOG_LEVEL");
        ::unsetenv("VIGIL_CONFIG");
        std::filesystem::remove_all(dir_);
    }
    std::string write_file(const std::string& name, const std::string& text) {
        auto p = dir_ / name;
        std::ofstream(p) << text;
        return p.string();
    }
    static ParseOutcome parse(std::vector<std::string> args) {
        args.insert(args.begin(), "vigild");
        std::vector<const char*> argv;
        for (auto& a : args) argv.push_back(a.c_str());
        return parse_config(static_cast<int>(argv.size()), argv.data(), nullptr);
    }
    std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsMatchTheDocumentedOnes) {
    auto r = parse({});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.server_address, "unix:///var/run/vigil/vigil.sock");
    EXPECT_EQ(r.config.export_filename, "");
    EXPECT_EQ(r.config.export_file_max_size_mb, 10u);
    EXPECT_EQ(r.config.export_file_max_backups, 5);
    EXPECT_EQ(r.config.procfs, "/proc");
    EXPECT_EQ(r.config.log_level, "info");
    EXPECT_EQ(r.config.print_events, PrintMode::kNone);
}

TEST_F(ConfigTest, FlagsAreParsed) {
    auto r = parse({"--server-address", "127.0.0.1:54321", "--export-filename=/tmp/x.json",
                    "--export-file-max-size-mb", "3", "--rb-size", "65536", "--print-events",
                    "json", "--procfs", "/host/proc"});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.server_address, "127.0.0.1:54321");
    EXPECT_EQ(r.config.export_filename, "/tmp/x.json");
    EXPECT_EQ(r.config.export_file_max_size_mb, 3u);
    EXPECT_EQ(r.config.rb_size, 65536u);
    EXPECT_EQ(r.config.print_events, PrintMode::kJson);
    EXPECT_EQ(r.config.procfs, "/host/proc");
}

TEST_F(ConfigTest, PrecedenceIsFlagThenEnvironmentThenFile) {
    auto file = write_file("a.yaml", "log-level: warn\nprocfs: /from/file\nnode-name: filenode\n");
    ::setenv("VIGIL_LOG_LEVEL", "error", 1);
    auto r = parse({"--config", file, "--node-name", "flagnode"});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.procfs, "/from/file");    // file only
    EXPECT_EQ(r.config.log_level, "error");      // env beats file
    EXPECT_EQ(r.config.node_name, "flagnode");   // flag beats file
    auto r2 = parse({"--config", file, "--log-level", "debug"});
    ASSERT_TRUE(r2.ok) << r2.error.message;
    EXPECT_EQ(r2.config.log_level, "debug");     // flag beats env
}

TEST_F(ConfigTest, EmptyValueWithEqualsDoesNotSwallowTheNextFlag) {
    auto r = parse({"--tracing-policy-dir=", "--export-filename", "/tmp/x.json"});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.tracing_policy_dir, "");
    EXPECT_EQ(r.config.export_filename, "/tmp/x.json");
    auto file = write_file("e.yaml", "export-filename: \"\"\n");
    auto r2 = parse({"--config", file, "--procfs", "/p"});
    ASSERT_TRUE(r2.ok) << r2.error.message;
    EXPECT_EQ(r2.config.export_filename, "");
    EXPECT_EQ(r2.config.procfs, "/p");
}

TEST_F(ConfigTest, RepeatableOptionTakesAListInTheFile) {
    auto file = write_file("f.yaml", "tracing-policy:\n  - /p/a.yaml\n  - /p/b.yaml\n");
    auto r = parse({"--config", file});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.tracing_policies, (std::vector<std::string>{"/p/a.yaml", "/p/b.yaml"}));
    auto bad = write_file("g.yaml", "procfs:\n  - /a\n");
    auto r2 = parse({"--config", bad});
    EXPECT_FALSE(r2.ok);
    EXPECT_NE(r2.error.message.find("single value"), std::string::npos) << r2.error.message;
}

TEST_F(ConfigTest, BundledConfigParses) {
    auto r = parse({"--config", std::string(VIGIL_SOURCE_DIR) + "/config/vigild.yaml"});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.print_events, PrintMode::kCompact);
    EXPECT_EQ(r.config.tracing_policies.size(), 5u);
    for (const auto& f : r.config.tracing_policies) {
        EXPECT_TRUE(std::filesystem::exists(std::string(VIGIL_SOURCE_DIR) + "/" + f)) << f;
    }
}

TEST_F(ConfigTest, ConfigFileFromEnvironment) {
    auto file = write_file("b.yaml", "procfs: /env/file\n");
    ::setenv("VIGIL_CONFIG", file.c_str(), 1);
    auto r = parse({});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.procfs, "/env/file");
}

TEST_F(ConfigTest, UnknownFileKeyNamesFileAndLine) {
    auto file = write_file("c.yaml", "procfs: /proc\nno-such-option: 1\n");
    auto r = parse({"--config", file});
    ASSERT_FALSE(r.ok);
    EXPECT_NE(r.error.message.find(file + ":2"), std::string::npos) << r.error.message;
    EXPECT_NE(r.error.message.find("no-such-option"), std::string::npos) << r.error.message;
}

TEST_F(ConfigTest, MalformedYamlNamesLineAndColumn) {
    auto file = write_file("d.yaml", "procfs: /proc\nlog-level: [unclosed\n");
    auto r = parse({"--config", file});
    ASSERT_FALSE(r.ok);
    EXPECT_NE(r.error.message.find(file + ":"), std::string::npos) << r.error.message;
    EXPECT_NE(r.error.message.find("invalid YAML"), std::string::npos) << r.error.message;
}

TEST_F(ConfigTest, MissingFileIsAnError) {
    auto r = parse({"--config", (dir_ / "absent.yaml").string()});
    ASSERT_FALSE(r.ok);
    EXPECT_NE(r.error.message.find("cannot read"), std::string::npos) << r.error.message;
}

TEST_F(ConfigTest, BadValuesNameTheFlag) {
    struct Case {
        std::vector<std::string> args;
        std::string flag;
    };
    std::vector<Case> cases = {
        {{"--log-level", "loud"}, "--log-level"},
        {{"--rb-size", "1000"}, "--rb-size"},
        {{"--export-file-max-size-mb", "abc"}, "--export-file-max-size-mb"},
        {{"--export-file-perm", "999"}, "--export-file-perm"},
        {{"--print-events", "xml"}, "--print-events"},
        {{"--no-such-flag"}, "--no-such-flag"},
    };
    for (const auto& c : cases) {
        auto r = parse(c.args);
        EXPECT_FALSE(r.ok) << c.flag;
        EXPECT_NE(r.error.exit_code, 0) << c.flag;
        EXPECT_NE(r.error.message.find(c.flag), std::string::npos)
            << c.flag << " not named in: " << r.error.message;
    }
}

TEST_F(ConfigTest, NodeNameFallsBackToEnvironment) {
    Config c;
    ::setenv("NODE_NAME", "node-from-env", 1);
    EXPECT_EQ(resolve_node_name(c), "node-from-env");
    ::unsetenv("NODE_NAME");
    c.node_name = "explicit";
    EXPECT_EQ(resolve_node_name(c), "explicit");
}

}  // namespace
}  // namespace vigil::agent
