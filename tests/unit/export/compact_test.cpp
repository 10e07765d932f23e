#include "export/compact.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "export/json_codec.h"
#include "test_events.h"

namespace vigil::exporter {
namespace {

using testing::exec_event;
using testing::exit_event;
using testing::kprobe_event;
using testing::make_process;
using testing::set_pod;

tetragon::Process curl_in_pod() {
    auto p = make_process("/usr/bin/curl", "cilium.io");
    set_pod(p, "kube-system", "tetragon");
    return p;
}

std::string strip_ansi(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\x1b') {
            while (i < s.size() && s[i] != 'm') ++i;
            continue;
        }
        out += s[i];
    }
    return out;
}

// Expected strings below are Tetragon's own (pkg/encoder/encoder_test.go).
TEST(Compact, ExecShowsNodeOrPodBinaryAndArguments) {
    EXPECT_EQ(render_compact(exec_event(make_process("/usr/bin/curl", "cilium.io"))),
              "🚀 process my-node /usr/bin/curl cilium.io");
    EXPECT_EQ(render_compact(exec_event(curl_in_pod())), "🚀 process kube-system/tetragon /usr/bin/curl cilium.io");
}

TEST(Compact, ExitShowsStatusOrSignal) {
    auto ev = exit_event(curl_in_pod());
    ev.mutable_process_exit()->set_status(1);
    EXPECT_EQ(render_compact(ev), "💥 exit    kube-system/tetragon /usr/bin/curl cilium.io 1");

    ev.mutable_process_exit()->set_signal("SIGKILL");
    EXPECT_EQ(render_compact(ev), "💥 exit    kube-system/tetragon /usr/bin/curl cilium.io SIGKILL");

    ev.mutable_process_exit()->clear_signal();
    ev.mutable_process_exit()->set_status(0);
    EXPECT_EQ(render_compact(ev), "💥 exit    kube-system/tetragon /usr/bin/curl cilium.io 0");
}

TEST(Compact, KprobeUnknownFunctionShowsItsName) {
    auto ev = kprobe_event(curl_in_pod(), "unhandled_function");
    EXPECT_EQ(render_compact(ev), "❓ syscall kube-system/tetragon /usr/bin/curl unhandled_function");
}

TEST(Compact, KprobeWriteAndReadWithAndWithoutArgs) {
    auto ev = kprobe_event(curl_in_pod(), "__x64_sys_write");
    ev.mutable_process_kprobe()->mutable_process()->clear_arguments();
    EXPECT_EQ(render_compact(ev), "📝 write   kube-system/tetragon /usr/bin/curl  ");

    auto* k = ev.mutable_process_kprobe();
    k->add_args()->mutable_file_arg()->set_path("/etc/password");
    k->add_args();
    k->add_args()->set_size_arg(1234);
    EXPECT_EQ(render_compact(ev), "📝 write   kube-system/tetragon /usr/bin/curl /etc/password 1234 bytes");

    k->set_function_name("__arm64_sys_read");  // any arch prefix is cut
    EXPECT_EQ(render_compact(ev), "📚 read    kube-system/tetragon /usr/bin/curl /etc/password 1234 bytes");
}

TEST(Compact, KprobeOpenAndClose) {
    auto ev = kprobe_event(curl_in_pod(), "fd_install");
    EXPECT_EQ(render_compact(ev), "📬 open    kube-system/tetragon /usr/bin/curl ");
    auto* k = ev.mutable_process_kprobe();
    k->add_args();
    k->add_args()->mutable_file_arg()->set_path("/etc/password");
    EXPECT_EQ(render_compact(ev), "📬 open    kube-system/tetragon /usr/bin/curl /etc/password");

    auto close = kprobe_event(curl_in_pod(), "__x64_sys_close");
    EXPECT_EQ(render_compact(close), "📪 close   kube-system/tetragon /usr/bin/curl ");
    close.mutable_process_kprobe()->add_args()->mutable_file_arg()->set_path("/etc/password");
    EXPECT_EQ(render_compact(close), "📪 close   kube-system/tetragon /usr/bin/curl /etc/password");

    auto openat = kprobe_event(curl_in_pod(), "__x64_sys_openat");
    openat.mutable_process_kprobe()->add_args()->set_int_arg(-100);
    openat.mutable_process_kprobe()->add_args()->set_string_arg("/etc/shadow");
    EXPECT_EQ(render_compact(openat), "📬️ openat  kube-system/tetragon /usr/bin/curl /etc/shadow");
}

TEST(Compact, KprobeSecurityHooks) {
    auto perm = kprobe_event(curl_in_pod(), "security_file_permission");
    perm.mutable_process_kprobe()->add_args()->mutable_file_arg()->set_path("/etc/passwd");
    perm.mutable_process_kprobe()->add_args()->set_int_arg(0x04);
    EXPECT_EQ(render_compact(perm), "📚 read    kube-system/tetragon /usr/bin/curl /etc/passwd");
    perm.mutable_process_kprobe()->mutable_args(1)->set_int_arg(0x02);
    EXPECT_EQ(render_compact(perm), "📝 write   kube-system/tetragon /usr/bin/curl /etc/passwd");
    perm.mutable_process_kprobe()->mutable_args(1)->set_int_arg(0x08);
    EXPECT_EQ(render_compact(perm), "❓ security_file_permission kube-system/tetragon /usr/bin/curl /etc/passwd");

    auto mmap = kprobe_event(curl_in_pod(), "security_mmap_file");
    mmap.mutable_process_kprobe()->add_args()->mutable_file_arg()->set_path("/lib/libc.so.6");
    mmap.mutable_process_kprobe()->add_args()->set_uint_arg(0x05);
    EXPECT_EQ(render_compact(mmap), "📝 mmap-rx kube-system/tetragon /usr/bin/curl /lib/libc.so.6");

    auto trunc = kprobe_event(curl_in_pod(), "security_path_truncate");
    trunc.mutable_process_kprobe()->add_args()->mutable_path_arg()->set_path("/var/log/x");
    EXPECT_EQ(render_compact(trunc), "📝 truncate kube-system/tetragon /usr/bin/curl /var/log/x");
}

TEST(Compact, KprobeNetworkAndNamespaces) {
    auto connect = kprobe_event(curl_in_pod(), "tcp_connect");
    auto* sock = connect.mutable_process_kprobe()->add_args()->mutable_sock_arg();
    sock->set_saddr("10.0.0.1");
    sock->set_sport(40000);
    sock->set_daddr("1.1.1.1");
    sock->set_dport(443);
    EXPECT_EQ(render_compact(connect), "🔌 connect kube-system/tetragon /usr/bin/curl tcp 10.0.0.1:40000 -> 1.1.1.1:443");

    connect.mutable_process_kprobe()->set_function_name("tcp_sendmsg");
    connect.mutable_process_kprobe()->add_args()->set_int_arg(512);
    EXPECT_EQ(render_compact(connect),
              "📤 sendmsg kube-system/tetragon /usr/bin/curl tcp 10.0.0.1:40000 -> 1.1.1.1:443 bytes 512");

    auto setns = kprobe_event(curl_in_pod(), "__x64_sys_setns");
    setns.mutable_process_kprobe()->add_args()->set_int_arg(3);
    setns.mutable_process_kprobe()->add_args()->set_int_arg(0x40000000);
    EXPECT_EQ(render_compact(setns), "🔧 setns   kube-system/tetragon /usr/bin/curl net");

    auto setuid = kprobe_event(curl_in_pod(), "__x64_sys_setuid");
    setuid.mutable_process_kprobe()->add_args()->set_int_arg(0);
    EXPECT_EQ(render_compact(setuid), "🔑 setuid  kube-system/tetragon /usr/bin/curl 0");
}

TEST(Compact, TracepointUprobeUsdtLsm) {
    tetragon::GetEventsResponse tp;
    tp.set_node_name("node");
    auto* t = tp.mutable_process_tracepoint();
    *t->mutable_process() = make_process("/bin/sh");
    t->set_subsys("raw_syscalls");
    t->set_event("sys_enter");
    t->add_args()->set_long_arg(59);
    EXPECT_EQ(render_compact(tp), "☎  syscall node /bin/sh execve");
    t->mutable_args(0)->mutable_syscall_id()->set_id(1);
    t->mutable_args(0)->mutable_syscall_id()->set_abi("x64");
    EXPECT_EQ(render_compact(tp), "☎  syscall node /bin/sh write");
    t->mutable_args(0)->set_long_arg(100000);
    EXPECT_EQ(render_compact(tp), "☎  syscall node /bin/sh unknown");
    t->set_subsys("sched");
    t->set_event("sched_process_exec");
    EXPECT_EQ(render_compact(tp), "⁉️ tracepoint node /bin/sh sched sched_process_exec");

    tetragon::GetEventsResponse up;
    up.set_node_name("node");
    *up.mutable_process_uprobe()->mutable_process() = make_process("/usr/bin/bash");
    up.mutable_process_uprobe()->set_path("/usr/bin/bash");
    up.mutable_process_uprobe()->set_symbol("readline");
    EXPECT_EQ(render_compact(up), "🕵️ uprobe  node /usr/bin/bash /usr/bin/bash readline");

    tetragon::GetEventsResponse usdt;
    usdt.set_node_name("node");
    *usdt.mutable_process_usdt()->mutable_process() = make_process("/usr/bin/python3");
    usdt.mutable_process_usdt()->set_path("/usr/bin/python3");
    usdt.mutable_process_usdt()->set_provider("python");
    usdt.mutable_process_usdt()->set_name("function__entry");
    EXPECT_EQ(render_compact(usdt), "🕵️ usdt    node /usr/bin/python3 /usr/bin/python3 python function__entry");

    tetragon::GetEventsResponse lsm;
    lsm.set_node_name("node");
    *lsm.mutable_process_lsm()->mutable_process() = make_process("/usr/bin/cat");
    lsm.mutable_process_lsm()->set_function_name("file_open");
    EXPECT_EQ(render_compact(lsm), "🔒 LSM     node /usr/bin/cat file_open");
}

TEST(Compact, LoaderThrottleAndTest) {
    tetragon::GetEventsResponse loader;
    loader.set_node_name("node");
    *loader.mutable_process_loader()->mutable_process() = make_process("/usr/bin/ls");
    loader.mutable_process_loader()->set_path("/lib/x86_64-linux-gnu/libc.so.6");
    loader.mutable_process_loader()->set_buildid(std::string("\xde\xad\x01", 3));
    EXPECT_EQ(render_compact(loader), "🧬 loader  node /usr/bin/ls dead01 /lib/x86_64-linux-gnu/libc.so.6");

    tetragon::GetEventsResponse throttle;
    throttle.mutable_process_throttle()->set_type(tetragon::THROTTLE_START);
    throttle.mutable_process_throttle()->set_cgroup("/sys/fs/cgroup/noisy");
    EXPECT_EQ(render_compact(throttle), "🧬 throttle START /sys/fs/cgroup/noisy");
    throttle.mutable_process_throttle()->set_type(tetragon::THROTTLE_STOP);
    EXPECT_EQ(render_compact(throttle), "🧬 throttle STOP  /sys/fs/cgroup/noisy");

    tetragon::GetEventsResponse test;
    test.mutable_test();
    EXPECT_EQ(render_compact(test), "TEST EVENT");
}

TEST(Compact, EventsWithoutProcessOrUnshownRenderEmpty) {
    tetragon::GetEventsResponse none;
    EXPECT_EQ(render_compact(none), "");

    tetragon::GetEventsResponse rate;
    rate.mutable_rate_limit_info()->set_number_of_dropped_process_events(3);
    EXPECT_EQ(render_compact(rate), "");

    for (auto make : {+[](tetragon::GetEventsResponse& e) { e.mutable_process_exec(); },
                      +[](tetragon::GetEventsResponse& e) { e.mutable_process_exit(); },
                      +[](tetragon::GetEventsResponse& e) { e.mutable_process_kprobe()->set_function_name("x"); },
                      +[](tetragon::GetEventsResponse& e) { e.mutable_process_tracepoint(); },
                      +[](tetragon::GetEventsResponse& e) { e.mutable_process_uprobe(); },
                      +[](tetragon::GetEventsResponse& e) { e.mutable_process_lsm(); },
                      +[](tetragon::GetEventsResponse& e) { e.mutable_process_usdt(); },
                      +[](tetragon::GetEventsResponse& e) { e.mutable_process_loader(); }}) {
        tetragon::GetEventsResponse ev;
        ev.set_node_name("node");
        make(ev);
        EXPECT_EQ(render_compact(ev), "") << ev.ShortDebugString();
    }
}

TEST(Compact, TimestampsPrefixUtcWithNanoseconds) {
    auto ev = exec_event(curl_in_pod());
    ev.mutable_time();  // zero time, as Tetragon's test
    EXPECT_EQ(render_compact(ev, {.timestamps = true}),
              "1970-01-01T00:00:00.000000000Z 🚀 process kube-system/tetragon /usr/bin/curl cilium.io");
    ev.mutable_time()->set_seconds(1666062978);
    ev.mutable_time()->set_nanos(273546);
    EXPECT_EQ(render_compact(ev, {.timestamps = true}),
              "2022-10-18T03:16:18.000273546Z 🚀 process kube-system/tetragon /usr/bin/curl cilium.io");

    tetragon::GetEventsResponse unshown;
    unshown.mutable_rate_limit_info();
    EXPECT_EQ(render_compact(unshown, {.timestamps = true}), "") << "no lone timestamp for unshown events";
}

TEST(Compact, ColorsWrapPartsWithoutChangingText) {
    auto ev = exit_event(curl_in_pod());
    ev.mutable_process_exit()->set_signal("SIGKILL");
    const std::string colored = render_compact(ev, {.color = true});
    EXPECT_NE(colored.find("\x1b[34m💥 exit   \x1b[0m"), std::string::npos) << colored;
    EXPECT_NE(colored.find("\x1b[32mkube-system/tetragon\x1b[0m"), std::string::npos) << colored;
    EXPECT_NE(colored.find("\x1b[35m/usr/bin/curl\x1b[0m"), std::string::npos) << colored;
    EXPECT_NE(colored.find("\x1b[36mcilium.io\x1b[0m"), std::string::npos) << colored;
    EXPECT_NE(colored.find("\x1b[31mSIGKILL\x1b[0m"), std::string::npos) << colored;
    EXPECT_EQ(strip_ansi(colored), render_compact(ev));
    EXPECT_EQ(render_compact(ev).find('\x1b'), std::string::npos);
}

TEST(Compact, SysAdminCapabilityTrailerReachesColumn120) {
    auto p = curl_in_pod();
    p.mutable_cap()->add_effective(tetragon::CAP_CHOWN);
    auto ev = exec_event(p);
    EXPECT_EQ(render_compact(ev), "🚀 process kube-system/tetragon /usr/bin/curl cilium.io");

    ev.mutable_process_exec()->mutable_process()->mutable_cap()->add_effective(tetragon::CAP_SYS_ADMIN);
    const std::string line = render_compact(ev);
    const std::string caps = "🛑 CAP_SYS_ADMIN";
    ASSERT_GE(line.size(), caps.size());
    EXPECT_EQ(line.substr(line.size() - caps.size()), caps) << line;
    // Go's "%s %*s": the caps (15 runes) are right-aligned so the line spans 120 + 1 columns.
    EXPECT_EQ(line.size() - caps.size(), 120u + 1u - 15u) << line;
    EXPECT_EQ(line.rfind("🚀 process kube-system/tetragon /usr/bin/curl cilium.io ", 0), 0u) << line;

    // Colour codes do not shift the column.
    const std::string colored = strip_ansi(render_compact(ev, {.color = true}));
    EXPECT_EQ(colored, line);
}

TEST(Compact, UntrustedTextIsQuotedOnlyWhenNeeded) {
    EXPECT_EQ(quote_if_needed("/usr/bin/curl"), "/usr/bin/curl");
    EXPECT_EQ(quote_if_needed("café/日本"), "café/日本");
    EXPECT_EQ(quote_if_needed(""), "");
    EXPECT_EQ(quote_if_needed("-la /tmp"), "\"-la /tmp\"");
    EXPECT_EQ(quote_if_needed("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
    EXPECT_EQ(quote_if_needed("\x1b[31mred"), "\"\\x1b[31mred\"");
    EXPECT_EQ(quote_if_needed("a\tb\nc"), "\"a\\tb\\nc\"");
    EXPECT_EQ(quote_if_needed("bad\xff"), "\"bad\\xff\"");
    EXPECT_EQ(quote_if_needed("\xc0\xaf"), "\"\\xc0\\xaf\"") << "overlong encodings are invalid";
    EXPECT_EQ(quote_if_needed("evil\u202Etxt.exe"), "\"evil\\u202etxt.exe\"") << "bidi override";
    EXPECT_EQ(quote_if_needed("nbsp\u00A0x"), "\"nbsp\\u00a0x\"");
    EXPECT_EQ(quote_if_needed("\xf3\xa0\x80\x81"), "\"\\U000e0001\"") << "tag characters are format characters";
}

TEST(Compact, UntrustedFieldsCannotInjectEscapes) {
    auto p = make_process("/tmp/\x1b]0;pwned\x07", "-la /tmp");
    auto ev = exec_event(p, "host\x1b[2J");
    const std::string line = render_compact(ev);
    EXPECT_EQ(line, "🚀 process \"host\\x1b[2J\" \"/tmp/\\x1b]0;pwned\\a\" \"-la /tmp\"");
    EXPECT_EQ(line.find('\x1b'), std::string::npos);

    auto k = kprobe_event(make_process("/bin/x"), "fd_install", "n");
    k.mutable_process_kprobe()->add_args();
    k.mutable_process_kprobe()->add_args()->mutable_file_arg()->set_path("/tmp/a\rb");
    EXPECT_EQ(render_compact(k), "📬 open    n /bin/x \"/tmp/a\\rb\"");
}

// Arguments of unexpected types or counts must never crash the renderer.
TEST(Compact, KprobeArgumentShapesNeverCrash) {
    const char* functions[] = {"__x64_sys_write", "__x64_sys_read", "fd_install", "__x64_sys_openat",
                               "__x64_sys_open", "__x64_sys_close", "__x64_sys_mount", "__x64_sys_pivot_root",
                               "__x64_sys_setuid", "__x64_sys_clock_settime", "proc_exec_connector",
                               "__x64_sys_setns", "tcp_connect", "tcp_close", "tcp_sendmsg", "bpf_check",
                               "security_perf_event_alloc", "security_bpf_map_alloc", "security_bpf_map_create",
                               "security_file_permission", "security_mmap_file", "security_path_truncate",
                               "security_file_truncate", "", "__x64_"};
    for (const char* fn : functions) {
        for (int nargs = 0; nargs <= 3; ++nargs) {
            for (int shape = 0; shape < 3; ++shape) {
                auto ev = kprobe_event(make_process("/bin/x"), fn, "n");
                for (int i = 0; i < nargs; ++i) {
                    auto* a = ev.mutable_process_kprobe()->add_args();
                    if (shape == 1) a->set_string_arg("s");
                    if (shape == 2) a->mutable_sock_arg()->set_saddr("x");
                }
                const std::string line = render_compact(ev);
                EXPECT_FALSE(line.empty()) << fn << " nargs=" << nargs;
                EXPECT_NE(line.find("n /bin/x"), std::string::npos) << line;
            }
        }
    }
}

TEST(Compact, EveryCorpusLineRendersAndEveryTypeIsShown) {
    std::map<int, int> shown_by_type;
    for (const auto& line : testing::corpus_lines()) {
        auto ev = parse_json_line(line.text);
        ASSERT_TRUE(ev.ok()) << line.where << ": " << ev.error();
        const std::string text = render_compact(*ev, {.color = true, .timestamps = true});
        const std::string plain = render_compact(*ev);
        EXPECT_FALSE(plain.empty()) << line.where << " (" << ev->event_case() << ") rendered nothing";
        EXPECT_EQ(plain.find('\n'), std::string::npos) << line.where;
        EXPECT_FALSE(text.empty()) << line.where;
        ++shown_by_type[ev->event_case()];
    }
    // The corpus holds exec, exit and kprobe events; all of them were shown.
    EXPECT_GT(shown_by_type[tetragon::GetEventsResponse::kProcessExec], 0);
    EXPECT_GT(shown_by_type[tetragon::GetEventsResponse::kProcessExit], 0);
    EXPECT_GT(shown_by_type[tetragon::GetEventsResponse::kProcessKprobe], 0);
}

TEST(Compact, CorpusSamplesRenderLikeTetra) {
    std::map<std::string, std::string> first_line_of_kind;
    for (const auto& line : testing::corpus_lines()) {
        auto ev = parse_json_line(line.text);
        ASSERT_TRUE(ev.ok()) << line.where;
        const std::string text = render_compact(*ev);
        if (text.rfind("📝 write", 0) == 0 && !first_line_of_kind.count("write")) first_line_of_kind["write"] = text;
        if (line.where == "events.jsonl:1") first_line_of_kind["exec"] = text;
    }
    EXPECT_EQ(first_line_of_kind["exec"], "🚀 process default/tiefighter /usr/bin/netserver -D");
    EXPECT_EQ(first_line_of_kind["write"],
              "📝 write   tenant-jobs/elasticsearch-56f8fc6988-sh8rm /usr/bin/vi etc/passwd 627 bytes");
}

}  // namespace
}  // namespace vigil::exporter
