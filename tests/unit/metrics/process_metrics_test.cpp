#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "metrics/exposition.h"
#include "metrics/process_metrics.h"

namespace vigil::metrics {
namespace {

// A stat line whose command name holds spaces and a ')', fields 14/15
// (utime/stime), 22 (starttime), 23 (vsize), 24 (rss) set to known values.
constexpr const char* kStat =
    "1234 (vigil d) (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 4 0 5000 "
    "104857600 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcStat, FieldsAreCountedFromTheLastParen) {
    auto s = parse_proc_stat(kStat);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->utime_ticks, 250u);
    EXPECT_EQ(s->stime_ticks, 150u);
    EXPECT_EQ(s->start_ticks, 5000u);
    EXPECT_EQ(s->vsize_bytes, 104857600u);
    EXPECT_EQ(s->rss_pages, 2048u);
    EXPECT_FALSE(parse_proc_stat("1234 (x) S 1 2"));
    EXPECT_FALSE(parse_proc_stat("no paren"));
}

TEST(ProcStat, BootTime) {
    EXPECT_EQ(parse_boot_time("cpu 1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"), 1700000000u);
    EXPECT_FALSE(parse_boot_time("cpu 1\n"));
}

TEST(ProcessMetrics, ValuesComeFromTheGivenProcfs) {
    auto dir = std::filesystem::temp_directory_path() / ("vigil-procfs-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "self" / "fd");
    std::ofstream(dir / "self" / "stat") << kStat;
    std::ofstream(dir / "stat") << "cpu 1\nbtime 1700000000\n";
    for (const char* fd : {"0", "1", "2"}) std::ofstream(dir / "self" / "fd" / fd) << "";

    Registry r;
    ASSERT_TRUE(register_process_metrics(r, dir.string()));
    auto p = parse_exposition(render(r));
    ASSERT_TRUE(p) << p.error();
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    EXPECT_DOUBLE_EQ(*p->value("process_cpu_seconds_total"), 400 / tick);
    EXPECT_DOUBLE_EQ(*p->value("process_resident_memory_bytes"), 2048 * page);
    EXPECT_EQ(p->value("process_virtual_memory_bytes"), 104857600);
    EXPECT_DOUBLE_EQ(*p->value("process_start_time_seconds"), 1700000000 + 5000 / tick);
    EXPECT_EQ(p->value("process_open_fds"), 3);
    EXPECT_GT(*p->value("process_max_fds"), 0);
    EXPECT_EQ(p->type.at("process_cpu_seconds_total"), "counter");
    std::filesystem::remove_all(dir);
}

TEST(ProcessMetrics, UnreadableProcfsGivesNoSampleInsteadOfZero) {
    Registry r;
    ASSERT_TRUE(register_process_metrics(r, "/nonexistent-procfs"));
    auto p = parse_exposition(render(r));
    ASSERT_TRUE(p) << p.error();
    EXPECT_FALSE(p->value("process_cpu_seconds_total").has_value());
    EXPECT_FALSE(p->value("process_open_fds").has_value());
    EXPECT_EQ(p->type.at("process_open_fds"), "gauge");
}

}  // namespace
}  // namespace vigil::metrics
