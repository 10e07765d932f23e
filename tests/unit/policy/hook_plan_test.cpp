// The policy compiler's choice of attach method per kernel feature set, its
// capture plans for each hook kind, and the tracefs format parser.
#include <gtest/gtest.h>

#include "policy/hook_plan.h"
#include "policy/tracepoint_format.h"
#include "policy_test_util.h"

namespace vigil::policy {
namespace {

using model::ArgKind;
using model::AttachMethod;

model::KernelFeatures host_like() {  // this project's CI kernel
    model::KernelFeatures f;
    f.ring_buffer = f.tracepoint = f.raw_tracepoint = f.uprobe = f.send_signal = f.attach_cookie = true;
    return f;
}

model::KernelFeatures with(model::KernelFeatures f, bool model::KernelFeatures::*member) {
    f.*member = true;
    return f;
}

HookPlan plan(const std::string& text, const model::KernelFeatures& f, const TracepointFormatLookup& formats = {}) {
    auto r = test::parse(text);
    EXPECT_TRUE(r.ok()) << test::dump(r);
    if (!r.ok() || r.policies.empty()) return {};
    return plan_hooks(r.policies[0], f, formats);
}

std::string errors(const HookPlan& p) {
    std::string out;
    for (const auto& e : p.errors) out += e + "\n";
    return out;
}

const std::string kOpenat = test::kprobe("    args:\n    - index: 1\n      type: string\n");

TEST(HookPlan, SyscallHookPrefersKprobeMultiThenKprobeThenTracepoints) {
    auto p = plan(kOpenat, host_like());
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.method, AttachMethod::kSyscallTracepoint);
    EXPECT_EQ(p.hooks[0].spec.syscall, "openat");
    EXPECT_EQ(p.hooks[0].info.function_name, "__x64_sys_openat");
    EXPECT_EQ(p.hooks[0].spec.args[0].kind, ArgKind::kUserString);

    auto k = with(host_like(), &model::KernelFeatures::kprobe);
    p = plan(kOpenat, k);
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.method, AttachMethod::kKprobe);
    EXPECT_EQ(p.hooks[0].spec.target, "__x64_sys_openat");
    EXPECT_EQ(p.hooks[0].spec.syscall, "openat") << "read from the syscall's user registers";

    p = plan(kOpenat, with(k, &model::KernelFeatures::kprobe_multi));
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.method, AttachMethod::kKprobeMulti);
}

const std::string kFilePerm = test::kprobe(
    "    syscall: false\n    args:\n    - index: 0\n      type: file\n    - index: 1\n      type: int\n",
    "security_file_permission");

TEST(HookPlan, KernelFunctionNeedsKprobesOrFentry) {
    auto p = plan(kFilePerm, host_like());
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("needs kprobes or fentry"), std::string::npos) << errors(p);
    EXPECT_NE(errors(p).find("test.yaml:"), std::string::npos) << errors(p);

    p = plan(kFilePerm, with(host_like(), &model::KernelFeatures::fentry));
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.method, AttachMethod::kFentry);
    EXPECT_TRUE(p.hooks[0].spec.syscall.empty());
    EXPECT_EQ(p.hooks[0].spec.args[0].kind, ArgKind::kFile);
    EXPECT_EQ(p.hooks[0].spec.args[1].kind, ArgKind::kS32);

    p = plan(kFilePerm, with(host_like(), &model::KernelFeatures::kprobe));
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.method, AttachMethod::kKprobe);
}

std::string override_on(const std::string& call, bool syscall) {
    return test::kprobe(std::string("    syscall: ") + (syscall ? "true" : "false") +
                            "\n    args:\n    - index: 0\n      type: " + (syscall ? "int" : "file") +
                            "\n    selectors:\n    - matchActions:\n      - action: Override\n        argError: -1\n",
                        call);
}

TEST(HookPlan, OverrideUsesFmodRetOnSecurityFunctionsAndIsRefusedElsewhere) {
    auto all = with(with(host_like(), &model::KernelFeatures::kprobe), &model::KernelFeatures::fmod_ret);
    auto p = plan(override_on("security_file_open", false), all);
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.method, AttachMethod::kFmodRet);
    ASSERT_EQ(p.hooks[0].spec.selectors.selectors.size(), 1u);
    ASSERT_EQ(p.hooks[0].spec.selectors.selectors[0].actions.size(), 1u);
    EXPECT_EQ(p.hooks[0].spec.selectors.selectors[0].actions[0].kind, model::ActionKind::kOverride);
    EXPECT_EQ(static_cast<std::int32_t>(p.hooks[0].spec.selectors.selectors[0].actions[0].arg), -1);

    p = plan(override_on("security_file_open", false), with(host_like(), &model::KernelFeatures::kprobe));
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("needs fmod_ret"), std::string::npos) << errors(p);

    p = plan(override_on("sys_openat", true), all);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("bpf_override_return"), std::string::npos) << errors(p);
    EXPECT_NE(errors(p).find("matchActions[0]"), std::string::npos) << errors(p);
}

// sched_process_fork as 6.18 lays it out (__data_loc comm) and as 6.1 does (inline arrays).
constexpr const char* kFork618 = R"(name: sched_process_fork
ID: 366
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:__data_loc char[] parent_comm;	offset:8;	size:4;	signed:0;
	field:pid_t parent_pid;	offset:12;	size:4;	signed:1;
	field:__data_loc char[] child_comm;	offset:16;	size:4;	signed:0;
	field:pid_t child_pid;	offset:20;	size:4;	signed:1;

print fmt: "comm=%s pid=%d", __get_str(parent_comm), REC->parent_pid
)";

constexpr const char* kFork61 = R"(name: sched_process_fork
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char parent_comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t parent_pid;	offset:24;	size:4;	signed:1;
	field:char child_comm[16];	offset:28;	size:16;	signed:0;
	field:pid_t child_pid;	offset:44;	size:4;	signed:1;
)";

constexpr const char* kOpenatFormat = R"(format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;
	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
)";

TEST(TracepointFormat, ParsesDataLocInlineArraysAndPointers) {
    auto f = parse_tracepoint_format(kFork618);
    ASSERT_TRUE(f.ok()) << f.error();
    ASSERT_EQ(f->size(), 8u);
    EXPECT_EQ((*f)[4].name, "parent_comm");
    EXPECT_TRUE((*f)[4].data_loc);
    EXPECT_EQ((*f)[5].name, "parent_pid");
    EXPECT_EQ((*f)[5].offset, 12u);
    EXPECT_TRUE((*f)[5].is_signed);

    auto g = parse_tracepoint_format(kFork61);
    ASSERT_TRUE(g.ok()) << g.error();
    EXPECT_TRUE((*g)[4].array);
    EXPECT_EQ((*g)[4].name, "parent_comm");
    EXPECT_EQ((*g)[4].size, 16u);

    auto o = parse_tracepoint_format(kOpenatFormat);
    ASSERT_TRUE(o.ok()) << o.error();
    EXPECT_TRUE((*o)[6].pointer);
    EXPECT_EQ((*o)[6].name, "filename");

    auto bad = parse_tracepoint_format("format:\n\tfield:int x;\toffset:zz;\tsize:4;\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().find("line 2"), std::string::npos) << bad.error();
}

TracepointFormatLookup fake_formats() {
    return [](const std::string& subsys, const std::string& event) -> Result<std::vector<TracepointField>> {
        if (subsys == "sched" && event == "sched_process_fork") return parse_tracepoint_format(kFork61);
        if (subsys == "syscalls" && event == "sys_enter_openat") return parse_tracepoint_format(kOpenatFormat);
        return make_error("no such tracepoint");
    };
}

TEST(HookPlan, TracepointArgumentsComeFromTheFormat) {
    const std::string fork = test::policy(
        "  tracepoints:\n  - subsystem: sched\n    event: sched_process_fork\n    args:\n"
        "    - index: 4\n      type: string\n    - index: 5\n      type: int\n");
    auto p = plan(fork, host_like(), fake_formats());
    ASSERT_TRUE(p.ok()) << errors(p);
    const auto& h = p.hooks[0];
    EXPECT_EQ(h.spec.method, AttachMethod::kTracepoint);
    EXPECT_EQ(h.spec.target, "sched/sched_process_fork");
    EXPECT_EQ(h.info.kind, model::HookEventKind::kTracepoint);
    EXPECT_EQ(h.spec.args[0].kind, ArgKind::kKernelString);
    EXPECT_EQ(h.spec.args[0].tp_source, model::TracepointSource::kInline);
    EXPECT_EQ(h.spec.args[0].tp_offset, 8);
    EXPECT_EQ(h.spec.args[1].tp_source, model::TracepointSource::kValue);
    EXPECT_EQ(h.spec.args[1].tp_offset, 24);
    EXPECT_EQ(h.spec.args[1].tp_size, 4);
    EXPECT_TRUE(h.spec.args[1].tp_signed);
    EXPECT_EQ(h.spec.args[1].index, 1) << "tracepoint values are read into the argument's own slot";

    const std::string openat = test::policy(
        "  tracepoints:\n  - subsystem: syscalls\n    event: sys_enter_openat\n    args:\n"
        "    - index: 6\n      type: string\n");
    p = plan(openat, host_like(), fake_formats());
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.args[0].kind, ArgKind::kUserString) << "syscall pointers are user memory";

    const std::string past = test::policy(
        "  tracepoints:\n  - subsystem: sched\n    event: sched_process_fork\n    args:\n"
        "    - index: 9\n      type: int\n");
    p = plan(past, host_like(), fake_formats());
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("has 8 fields"), std::string::npos) << errors(p);

    const std::string missing = test::policy("  tracepoints:\n  - subsystem: nope\n    event: nothing\n");
    p = plan(missing, host_like(), fake_formats());
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("no such tracepoint"), std::string::npos) << errors(p);
}

TEST(HookPlan, RawTracepointUprobeAndLsm) {
    const std::string raw = test::policy(
        "  tracepoints:\n  - subsystem: sched\n    event: sched_process_exec\n    raw: true\n    args:\n"
        "    - index: 2\n      type: linux_binprm\n");
    auto p = plan(raw, host_like());
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.method, AttachMethod::kRawTracepoint);
    EXPECT_EQ(p.hooks[0].spec.target, "sched_process_exec");
    EXPECT_EQ(p.hooks[0].spec.args[0].kind, ArgKind::kBinprm);
    EXPECT_EQ(p.hooks[0].spec.args[0].index, 2);

    const std::string up = test::policy(
        "  uprobes:\n  - path: /bin/bash\n    symbols:\n    - readline\n    - main\n    args:\n"
        "    - index: 0\n      type: string\n");
    p = plan(up, host_like());
    ASSERT_TRUE(p.ok()) << errors(p);
    ASSERT_EQ(p.hooks.size(), 2u);
    EXPECT_EQ(p.hooks[1].spec.method, AttachMethod::kUprobe);
    EXPECT_EQ(p.hooks[1].spec.binary, "/bin/bash");
    EXPECT_EQ(p.hooks[1].spec.target, "main");
    EXPECT_EQ(p.hooks[1].info.kind, model::HookEventKind::kUprobe);
    EXPECT_EQ(p.hooks[1].spec.args[0].kind, ArgKind::kUserString);

    const std::string lsm = test::policy("  lsmhooks:\n  - hook: file_open\n    args:\n    - index: 0\n      type: file\n");
    p = plan(lsm, host_like());
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("need BPF LSM"), std::string::npos) << errors(p);
    p = plan(lsm, with(host_like(), &model::KernelFeatures::lsm));
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(p.hooks[0].spec.method, AttachMethod::kLsm);
    EXPECT_EQ(p.hooks[0].spec.target, "file_open");
    EXPECT_EQ(p.hooks[0].info.kind, model::HookEventKind::kLsm);
}

}  // namespace
}  // namespace vigil::policy
