/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one header shared by the BPF programs and vigild: event type numbers,
 * ring-buffer record layouts, map keys and values, limits.
 *
 * Rules: fixed-width types only, explicit padding, no bool, no pointers.
 * Every record starts with struct vigil_event_header. Variable data (paths,
 * argv, cwd, cgroup name) lives in a trailing area after the fixed part and is
 * described by offset/length pairs relative to the start of the record.
 */
#ifndef VIGIL_ABI_H
#define VIGIL_ABI_H

#ifdef __cplusplus
#include <linux/types.h>
#define VIGIL_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#elif defined(__VIGIL_BPF__)
#define VIGIL_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#else
#include <linux/types.h>
#define VIGIL_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* Bump when any record layout changes. */
#define VIGIL_ABI_VERSION 2

/* Record types (vigil_event_header.type). */
enum vigil_event_type {
	VIGIL_EVENT_EXEC = 1,
	VIGIL_EVENT_FORK = 2,
	VIGIL_EVENT_EXIT = 3,
	VIGIL_EVENT_HOOK = 4, /* a policy hook fired (struct vigil_hook_record) */
};

/* Limits of the variable area. Documented in docs/api.md. */
#define VIGIL_PATH_MAX 4096        /* binary path and cwd, bytes incl. NUL */
#define VIGIL_ARGS_MAX 4096        /* argv bytes (NUL-separated) copied */
#define VIGIL_CGROUP_NAME_MAX 256  /* leaf cgroup name incl. NUL */
#define VIGIL_PATH_COMPONENTS 64   /* dentry components walked per path */

/* Exec record flags (vigil_exec_record.flags). */
#define VIGIL_EXEC_F_CLONE 0x0001        /* previous image of this pid came from fork */
#define VIGIL_EXEC_F_TRUNC_ARGS 0x0002   /* argv longer than VIGIL_ARGS_MAX */
#define VIGIL_EXEC_F_TRUNC_PATH 0x0004   /* binary path deeper/longer than limits */
#define VIGIL_EXEC_F_ERR_PATH 0x0008     /* binary path could not be read */
#define VIGIL_EXEC_F_TRUNC_CWD 0x0010    /* cwd deeper/longer than limits */
#define VIGIL_EXEC_F_ERR_CWD 0x0020      /* cwd could not be read */
#define VIGIL_EXEC_F_ERR_ARGS 0x0040     /* argv could not be read */
#define VIGIL_EXEC_F_ERR_CGROUP 0x0080   /* cgroup name could not be read */
#define VIGIL_EXEC_F_PARENT_PROCFS 0x0100 /* parent key derived from task start time */
#define VIGIL_EXEC_F_PREV_PROCFS 0x0200  /* cleanup key derived from task start time */

/* Namespace slots in vigil_exec_record.ns, in Tetragon's Namespaces order. */
enum vigil_ns_slot {
	VIGIL_NS_UTS = 0,
	VIGIL_NS_IPC,
	VIGIL_NS_MNT,
	VIGIL_NS_PID,
	VIGIL_NS_PID_FOR_CHILDREN,
	VIGIL_NS_NET,
	VIGIL_NS_TIME,
	VIGIL_NS_TIME_FOR_CHILDREN,
	VIGIL_NS_CGROUP,
	VIGIL_NS_USER,
	VIGIL_NS_COUNT,
};

/* Per-CPU counter slots (map vigil_stats). */
enum vigil_stat {
	VIGIL_STAT_RB_RESERVE_FAIL = 0, /* ring buffer full: record lost */
	VIGIL_STAT_PROC_MAP_FULL,       /* vigil_procs update failed */
	VIGIL_STAT_READ_FAIL,           /* a kernel read helper failed */
	VIGIL_STAT_EXEC_SEEN,
	VIGIL_STAT_FORK_SEEN,
	VIGIL_STAT_EXIT_SEEN,
	VIGIL_STAT_HOOK_NO_CONFIG,      /* a hook fired with no vigil_hooks entry */
	VIGIL_STAT_RET_MAP_FULL,        /* return hook: entry args could not be saved */
	VIGIL_STAT_RET_MISSING,         /* return hook: no saved entry args */
	VIGIL_STAT_OUT_OF_SCOPE,        /* a scoped hook ran in a cgroup outside its policy's set */
	VIGIL_STAT_CREDS_MAP_FULL,      /* vigil_creds update failed: no *Changes baseline */
	VIGIL_STAT_COUNT,
};

/*
 * Identity of one process image: the host tgid and the boot-clock time (ns)
 * of the exec or fork that created it. Userspace turns it into an exec id.
 * Processes older than vigild have ktime = /proc starttime rounded to
 * clock ticks (see VIGIL_PROCFS_TICK_NS), so BPF and the /proc scan agree.
 */
struct vigil_process_key {
	__u32 pid;
	__u32 pad;
	__u64 ktime;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_process_key) == 16, "vigil_process_key size");

/* USER_HZ is 100 on every Linux ABI: /proc/<pid>/stat starttime unit. */
#define VIGIL_PROCFS_TICK_NS 10000000ULL

/* Value of map vigil_procs, keyed by tgid (__u32). */
struct vigil_proc_entry {
	struct vigil_process_key key;
	__u32 flags; /* VIGIL_EXEC_F_CLONE when created by fork */
	__u32 pad;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_proc_entry) == 24, "vigil_proc_entry size");

struct vigil_event_header {
	__u16 type;    /* enum vigil_event_type */
	__u16 version; /* VIGIL_ABI_VERSION */
	__u32 size;    /* whole record, header included */
	__u64 ktime;   /* bpf_ktime_get_boot_ns() at the hook */
	__u32 pid;     /* tgid */
	__u32 tid;
	__u64 cgroup_id;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_event_header) == 32, "vigil_event_header size");

/* A slice of the record's variable area. off is from the record start. */
struct vigil_slice {
	__u16 off;
	__u16 len; /* bytes, without a trailing NUL */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_slice) == 4, "vigil_slice size");

struct vigil_exec_record {
	struct vigil_event_header hdr;
	struct vigil_process_key key;     /* this image */
	struct vigil_process_key parent;  /* parent image (exec id source) */
	struct vigil_process_key cleanup; /* previous image of this pid; ktime 0 if none */
	__u32 ppid;                       /* tgid of real_parent */
	__u32 flags;                      /* VIGIL_EXEC_F_* */
	__u32 uid, euid, suid, fsuid;
	__u32 gid, egid, sgid, fsgid;
	__u32 auid;
	__u32 nspid; /* pid in the task's own pid namespace */
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 cap_inheritable;
	__u32 ns[VIGIL_NS_COUNT];
	__u32 args_size; /* full argv size in the task, before truncation */
	struct vigil_slice path;   /* resolved binary path */
	struct vigil_slice args;   /* argv, NUL-separated, argv[0] included */
	struct vigil_slice cwd;    /* working directory */
	struct vigil_slice cgroup; /* leaf cgroup name (default hierarchy) */
	__u32 pad;
	/* variable area follows */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_exec_record) == 216, "vigil_exec_record size");

#define VIGIL_EXEC_RECORD_MAX                                                  \
	(sizeof(struct vigil_exec_record) + VIGIL_PATH_MAX + VIGIL_ARGS_MAX +  \
	 VIGIL_PATH_MAX + VIGIL_CGROUP_NAME_MAX)

/* A new thread-group leader (fork/clone without CLONE_THREAD). */
struct vigil_fork_record {
	struct vigil_event_header hdr;
	struct vigil_process_key key;    /* the child */
	struct vigil_process_key parent; /* the parent's current image */
	__u32 ppid;
	__u32 flags; /* VIGIL_EXEC_F_PARENT_PROCFS */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_fork_record) == 72, "vigil_fork_record size");

/* The last thread of a thread group exited. */
struct vigil_exit_record {
	struct vigil_event_header hdr;
	struct vigil_process_key key; /* the image that exited */
	__u32 exit_code;              /* wait status: code << 8 | signal */
	__u32 flags;                  /* VIGIL_EXEC_F_PREV_PROCFS */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_exit_record) == 56, "vigil_exit_record size");

/*
 * Policy hooks. Each attachment of a generic program has a hook id (its BPF
 * cookie), indexing vigil_hooks, which tells the program which arguments to
 * capture and how.
 */
#define VIGIL_HOOK_MAX 1024       /* hook ids: 0 .. VIGIL_HOOK_MAX-1 */
#define VIGIL_HOOK_ARGS_MAX 5     /* arguments captured per hook (Tetragon's limit) */
#define VIGIL_ARG_DATA_MAX 4096   /* bytes of one buffer/string argument */
#define VIGIL_SOCKADDR_MAX 128    /* sizeof(struct sockaddr_storage) */

/* How one argument is captured (vigil_hook_arg_config.type). */
enum vigil_arg_type {
	VIGIL_ARG_NONE = 0,
	VIGIL_ARG_S32,      /* int */
	VIGIL_ARG_U32,      /* uint32 */
	VIGIL_ARG_S64,      /* int64, long */
	VIGIL_ARG_U64,      /* uint64, size_t */
	VIGIL_ARG_USTRING,  /* NUL-terminated string in user memory */
	VIGIL_ARG_UBUF,     /* user buffer; length from another argument or max_data */
	VIGIL_ARG_FD,       /* file descriptor, resolved to the file's path */
	VIGIL_ARG_SOCKADDR, /* struct sockaddr in user memory; length from another argument */
	VIGIL_ARG_KSTRING,  /* NUL-terminated string in kernel memory (user memory if not) */
	VIGIL_ARG_KBUF,     /* buffer in kernel memory (user memory if not); length as UBUF */
	VIGIL_ARG_FILE,     /* struct file *: its path */
	VIGIL_ARG_PATH,     /* struct path *: its path */
	VIGIL_ARG_DENTRY,   /* struct dentry *: its path inside its file system */
	VIGIL_ARG_BINPRM,   /* struct linux_binprm *: the path of the file being exec'd */
	VIGIL_ARG_SOCK,     /* struct sock *: struct vigil_sock_info */
	VIGIL_ARG_SKB,      /* struct sk_buff *: struct vigil_skb_info */
	VIGIL_ARG_CRED,     /* struct cred *: struct vigil_cred_info */
	VIGIL_ARG_CAPS,     /* kernel_cap_t *: the 64-bit mask in value */
	VIGIL_ARG_IOVEC,    /* struct iovec * in user memory, count from size_index: bytes */
	VIGIL_ARG_TYPE_COUNT,
};

/*
 * Several policies may hook the same syscall, but one program can be attached
 * to a tracepoint only once (the kernel answers EEXIST). So each hooked
 * syscall has one attachment whose cookie is a dispatch slot, and the slot
 * lists the hook ids to run, in order.
 */
#define VIGIL_DISPATCH_SLOTS 512
#define VIGIL_DISPATCH_MAX 16 /* hooks on one syscall */

struct vigil_dispatch {
	__u32 n;
	__u32 pad;
	__u32 hooks[VIGIL_DISPATCH_MAX];
};

/* Per-hook counter slots of map vigil_hook_stats (hook_id * SLOTS + slot). */
#define VIGIL_HOOK_STAT_CALLS 0
#define VIGIL_HOOK_STAT_POSTED 1
#define VIGIL_HOOK_STAT_ENFORCED 2  /* Sigkill/Signal taken */
#define VIGIL_HOOK_STAT_MONITORED 3 /* Sigkill/Signal due, not taken (monitor mode) */
#define VIGIL_HOOK_STAT_SLOTS 4

/* vigil_hook_arg_config.flags */
#define VIGIL_ARG_CFG_RETURN_COPY 0x01 /* read the buffer at return, length = return value */

/* vigil_hook_arg_config.tp_flags: where a tracepoint field's value comes from */
#define VIGIL_TP_SIGNED 0x01  /* sign-extend the tp_size bytes at tp_off */
#define VIGIL_TP_DATALOC 0x02 /* __data_loc: u32 at tp_off = length << 16 | offset */
#define VIGIL_TP_INLINE 0x04  /* an array inside the record: the value is its address */

struct vigil_hook_arg_config {
	__u8 type;       /* enum vigil_arg_type */
	__u8 index;      /* 0-based argument position */
	__u8 size_index; /* 1-based position of the length argument; 0: none */
	__u8 flags;      /* VIGIL_ARG_CFG_* */
	__u32 max_data;  /* bytes captured at most (<= VIGIL_ARG_DATA_MAX) */
	__u16 tp_off;    /* tracepoints: the field's offset in the record */
	__u8 tp_size;    /* tracepoints: the field's size (1, 2, 4 or 8 for integers) */
	__u8 tp_flags;   /* VIGIL_TP_* */
	__u32 pad;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_hook_arg_config) == 16, "vigil_hook_arg_config size");

/* vigil_hook_config.flags */
#define VIGIL_HOOK_CFG_RETURN 0x01  /* emit at the return probe, with the return value */
#define VIGIL_HOOK_CFG_VALID 0x02   /* the entry describes an attached hook */
#define VIGIL_HOOK_CFG_MONITOR 0x04 /* policy in monitor mode: count enforcement, do not act */
#define VIGIL_HOOK_CFG_TRACEPOINT 0x08 /* arguments are tracepoint fields (tp_off/tp_size) */

/* Value of map vigil_hooks (array, key = hook id). */
struct vigil_hook_config {
	__u32 flags; /* VIGIL_HOOK_CFG_* */
	__u32 nargs;
	struct vigil_hook_arg_config args[VIGIL_HOOK_ARGS_MAX];
	__u32 nselectors; /* 0: every call is posted */
	__u32 sel_args;   /* bit i: selectors read argument i (captured before they run) */
	__u32 scope_id;   /* 0: every cgroup; else only cgroups in vigil_scope_cgroups[scope_id] */
	__u32 pad;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_hook_config) == 104, "vigil_hook_config size");

/*
 * In-kernel scoping (TracingPolicyNamespaced, podSelector, containerSelector,
 * hostSelector): a scoped hook runs only for tasks whose cgroup (v2, default
 * hierarchy), or one of its ancestors, is in its scope's set. vigild puts each
 * selected container's own cgroup in the set; cgroups nested below it match
 * through the ancestor walk, up to VIGIL_SCOPE_LEVELS levels deep.
 *
 * hostSelector {}: the scope's set also holds the pair (scope,
 * VIGIL_SCOPE_HOST_CGROUP), and the hook then also runs for tasks outside
 * every pod: those with no cgroup or ancestor in the set of the reserved scope
 * VIGIL_SCOPE_ALL_PODS, which vigild keeps equal to the cgroups of every
 * container of every pod on the node while any such scope exists.
 */
#define VIGIL_SCOPE_LEVELS 16
#define VIGIL_SCOPE_CGROUPS_MAX 16384 /* (scope, cgroup) pairs over all scopes */
#define VIGIL_SCOPE_ALL_PODS 0xffffffffU
#define VIGIL_SCOPE_HOST_CGROUP 0xffffffffffffffffULL

/* Key of vigil_scope_cgroups (hash, value __u8). */
struct vigil_scope_key {
	__u32 scope_id;
	__u32 pad;
	__u64 cgroup_id;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_scope_key) == 16, "vigil_scope_key size");

/* Fixed-size data of the structured argument types (in the record's variable area). */
struct vigil_sock_info {
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u8 state;
	__u8 pad;
	__u32 mark;
	__u32 priority;
	__u16 sport; /* host order */
	__u16 dport; /* host order */
	__u32 pad2;
	__u64 cookie; /* the socket's address, as Tetragon reports it */
	__u8 saddr[16]; /* AF_INET: the first 4 bytes */
	__u8 daddr[16];
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_sock_info) == 64, "vigil_sock_info size");

struct vigil_skb_info {
	__u32 hash;
	__u32 len;
	__u32 priority;
	__u32 mark;
	__u16 family; /* 2 or 10 from the IP header's version; 0 if not IP */
	__u8 proto;   /* IP protocol */
	__u8 pad;
	__u16 sport;  /* host order; TCP and UDP */
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_skb_info) == 56, "vigil_skb_info size");

struct vigil_cred_info {
	__u32 uid, gid, suid, sgid, euid, egid, fsuid, fsgid;
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 cap_inheritable;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_cred_info) == 56, "vigil_cred_info size");

/*
 * In-kernel selectors (TracingPolicy `selectors`), evaluated after the
 * arguments are captured and before anything is posted. A hook's selectors
 * live in vigil_selectors at hook_id * VIGIL_SELECTORS_MAX + i. Selectors
 * are ORed and the first that matches supplies the actions; blocks inside a
 * selector are ANDed; values are ORed for positive operators and ANDed for
 * negated ones. Strings are compared on at most VIGIL_STR_MAX bytes through
 * the string-set maps, so sets have any size.
 */
#define VIGIL_SELECTORS_MAX 5
#define VIGIL_SEL_ARGS_MAX 5     /* matchArgs entries per selector */
#define VIGIL_SEL_RANGES_MAX 8   /* inline integer values/ranges per matchArgs */
#define VIGIL_SEL_PIDS_MAX 8     /* matchPIDs values per entry */
#define VIGIL_SEL_PID_ENTRIES 4  /* matchPIDs entries per selector, ANDed */
#define VIGIL_SEL_ACTIONS_MAX 3
#define VIGIL_STR_MAX 252        /* string bytes compared (LPM trie key limit 256 - set id) */
#define VIGIL_SET_V6 0x80000000u /* CIDR sets: IPv6 prefixes live under set_id | this */

enum vigil_sel_op {
	VIGIL_OP_NONE = 0,
	VIGIL_OP_EQ,          /* integers: in ranges; strings: in set */
	VIGIL_OP_NEQ,
	VIGIL_OP_PREFIX,      /* strings: some value is a prefix */
	VIGIL_OP_NOTPREFIX,
	VIGIL_OP_POSTFIX,     /* strings: some value is a suffix */
	VIGIL_OP_NOTPOSTFIX,
	VIGIL_OP_GT,          /* integers: > vals[0].min */
	VIGIL_OP_LT,
	VIGIL_OP_MASK,        /* integers: value & vals[i].min != 0 for some i */
	VIGIL_OP_ADDR,        /* sockaddr: address in the CIDR set (v6 set: set_id | VIGIL_SET_V6) */
	VIGIL_OP_NOTADDR,
	VIGIL_OP_PORT,        /* sockaddr: port in ranges (AF_INET/AF_INET6 only) */
	VIGIL_OP_NOTPORT,
	VIGIL_OP_FAMILY,      /* sockaddr: address family in ranges */
	VIGIL_OP_INMAP,       /* integers: the value (8 bytes, little-endian) in vigil_str_eq set set_id */
	VIGIL_OP_NOTINMAP,
	VIGIL_OP_COUNT,
};

struct vigil_range {
	__u64 min;
	__u64 max;
};

/* One matchArgs entry. */
struct vigil_sel_arg {
	__u8 op;        /* enum vigil_sel_op */
	__u8 pos;       /* position in the hook's captured args */
	__u8 nranges;
	__u8 is_signed; /* compare integer ranges as signed */
	__u32 set_id;   /* string operators: the value set in vigil_str_* maps */
	struct vigil_range ranges[VIGIL_SEL_RANGES_MAX];
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_sel_arg) == 136, "vigil_sel_arg size");

#define VIGIL_PIDS_F_NSPID 0x01  /* compare the pid in the task's own namespace */
#define VIGIL_PIDS_F_FOLLOW 0x02 /* processes forked after load inherit membership */

struct vigil_sel_pids {
	__u8 op;   /* 0 none, VIGIL_OP_EQ (In), VIGIL_OP_NEQ (NotIn) */
	__u8 flags;
	__u8 nvals;
	__u8 pad;
	__u32 follow_set; /* key prefix in vigil_followed: set id */
	__u32 vals[VIGIL_SEL_PIDS_MAX];
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_sel_pids) == 40, "vigil_sel_pids size");

/*
 * matchBinaries / matchParentBinaries: the exec path of the calling process
 * (or of its real parent) against a string set. With VIGIL_BINS_F_FOLLOW
 * (followChildren), a process also matches when an ancestor ran a binary of
 * the set: bit follow_slot of its vigil_bin.follow says so.
 */
#define VIGIL_BINS_F_FOLLOW 0x01
#define VIGIL_BIN_FOLLOW_MAX 64 /* followChildren sets: bits of vigil_bin.follow */

struct vigil_sel_bins {
	__u8 op; /* 0 none, EQ (In), NEQ (NotIn), PREFIX, NOTPREFIX, POSTFIX, NOTPOSTFIX */
	__u8 flags;       /* VIGIL_BINS_F_* */
	__u8 follow_slot; /* with VIGIL_BINS_F_FOLLOW: slot in vigil_bin_follow_sets */
	__u8 pad;
	__u32 set_id;
};

/* Value of vigil_bin_follow_sets: a followChildren set, for the fork program. */
struct vigil_bin_follow_set {
	__u32 set_id; /* 0: unused slot */
	__u8 op;      /* positive form: EQ, PREFIX or POSTFIX */
	__u8 pad[3];
};

/*
 * matchNamespaces: the calling task's namespace inode of one kind (slot:
 * enum vigil_ns_slot) In (EQ) or NotIn (NEQ) the values. host_ns values are
 * resolved by vigild to its own inodes before they are written.
 */
#define VIGIL_SEL_NS_MAX 10    /* entries per selector */
#define VIGIL_SEL_NS_VALS_MAX 4

struct vigil_sel_ns {
	__u8 op;   /* 0 none, EQ (In), NEQ (NotIn) */
	__u8 slot; /* enum vigil_ns_slot */
	__u8 nvals;
	__u8 pad;
	__u32 vals[VIGIL_SEL_NS_VALS_MAX];
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_sel_ns) == 20, "vigil_sel_ns size");

/*
 * matchCapabilities and matchCapabilityChanges entries (flag CHANGES), at
 * most VIGIL_SEL_CAPS_MAX in all per selector, ANDed. set indexes
 * vigil_creds.caps. Plain: In (EQ) holds if the task's set has any bit of
 * mask, NotIn (NEQ) if it has none. CHANGES: compares with the task's
 * baseline in vigil_creds (taken at exec, at fork, or by vigild's /proc
 * scan); In holds if a bit of mask changed, NotIn if only bits outside it
 * changed. NS_ONLY (isNamespaceCapability): never holds for a task in
 * host_userns, the host's user namespace.
 */
#define VIGIL_SEL_CAPS_MAX 4
#define VIGIL_CAPS_F_CHANGES 0x01
#define VIGIL_CAPS_F_NS_ONLY 0x02

enum vigil_cap_set {
	VIGIL_CAPS_EFFECTIVE = 0,
	VIGIL_CAPS_INHERITABLE,
	VIGIL_CAPS_PERMITTED,
	VIGIL_CAPS_COUNT,
};

struct vigil_sel_caps {
	__u8 op;    /* EQ (In) or NEQ (NotIn) */
	__u8 set;   /* enum vigil_cap_set */
	__u8 flags; /* VIGIL_CAPS_F_* */
	__u8 pad;
	__u32 host_userns;
	__u64 mask; /* bit (1 << capability number) */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_sel_caps) == 16, "vigil_sel_caps size");

/*
 * A process's credentials baseline for the *Changes selectors: map
 * vigil_creds, key tgid. Written at exec and fork, seeded by vigild for the
 * processes it finds in /proc, refreshed when a selector with a *Changes
 * entry matches (so one change is reported once), deleted at exit.
 */
struct vigil_creds {
	__u64 caps[VIGIL_CAPS_COUNT]; /* enum vigil_cap_set */
	__u32 ns[VIGIL_NS_COUNT];     /* enum vigil_ns_slot; 0: unknown */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_creds) == 64, "vigil_creds size");

/* Post rateLimitScope (vigil_selector.rate_scope). */
enum vigil_rate_scope {
	VIGIL_RATE_THREAD = 0,
	VIGIL_RATE_PROCESS,
	VIGIL_RATE_GLOBAL,
};

/* vigil_sel_arg.pos of a matchReturnArgs entry: the hook's return value. */
#define VIGIL_SEL_POS_RETURN 0xff

enum vigil_action_kind {
	VIGIL_ACT_POST = 0,
	VIGIL_ACT_NOPOST,
	VIGIL_ACT_SIGKILL,
	VIGIL_ACT_SIGNAL,
	VIGIL_ACT_OVERRIDE, /* arg: the error returned instead (negative errno, as __s32) */
};

struct vigil_action {
	__u32 kind; /* enum vigil_action_kind */
	__u32 arg;  /* SIGNAL: the signal number */
};

/*
 * args holds matchArgs/matchData entries and, with pos VIGIL_SEL_POS_RETURN,
 * matchReturnArgs entries (5 in all). rate_ms > 0: a Post with rateLimit,
 * which posts an event at most once per rate_ms for identical arguments
 * within rate_scope.
 */
struct vigil_selector {
	__u32 nargs;
	__u32 nactions; /* 0: Post */
	struct vigil_sel_arg args[VIGIL_SEL_ARGS_MAX];
	struct vigil_sel_pids pids[VIGIL_SEL_PID_ENTRIES]; /* in order; op 0 ends the list */
	struct vigil_sel_bins bins;
	struct vigil_action actions[VIGIL_SEL_ACTIONS_MAX];
	struct vigil_sel_bins parent_bins;
	__u32 nns;
	struct vigil_sel_ns ns[VIGIL_SEL_NS_MAX];
	__u32 rate_ms;
	__u32 rate_scope; /* enum vigil_rate_scope */
	__u8 ncaps;
	__u8 nschg_op;    /* matchNamespaceChanges: 0 none, EQ (In), NEQ (NotIn) */
	__u16 nschg_mask; /* bit (1 << enum vigil_ns_slot): In: kinds watched; NotIn: kinds ignored */
	struct vigil_sel_caps caps[VIGIL_SEL_CAPS_MAX];
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_selector) == 1168, "vigil_selector size");

/*
 * Per-selector counter slots of map vigil_sel_stats, index
 * (hook_id * VIGIL_SELECTORS_MAX + selector) * VIGIL_SEL_STAT_SLOTS + slot.
 */
#define VIGIL_SEL_STAT_MATCHED 0     /* the selector was the first to match */
#define VIGIL_SEL_STAT_RATE_LIMITED 1 /* a Post suppressed by rateLimit */
#define VIGIL_SEL_STAT_SLOTS 2

/*
 * Key of vigil_rate (LRU hash, value: boot-clock ns of the last post): what
 * makes two events "identical" for rateLimit. Each argument contributes its
 * raw value, captured length and first VIGIL_RATE_ARG_BYTES bytes, as
 * Tetragon compares a bounded prefix of each argument.
 */
#define VIGIL_RATE_ARG_BYTES 16
struct vigil_rate_arg {
	__u64 value;
	__u32 len;
	__u32 pad;
	__u8 data[VIGIL_RATE_ARG_BYTES];
};
struct vigil_rate_key {
	__u32 hook_id;
	__u32 selector;
	__u64 scope; /* tid, tgid or 0 (global) */
	struct vigil_rate_arg args[VIGIL_HOOK_ARGS_MAX];
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_rate_key) == 176, "vigil_rate_key size");

/* Key of vigil_str_eq (hash): exact strings of every set. */
struct vigil_str_key {
	__u32 set_id;
	__u32 len;
	__u8 data[VIGIL_STR_MAX];
};

/*
 * Key of vigil_str_prefix and vigil_str_postfix (LPM tries): prefixlen in
 * bits covers the set id and the value's bytes; postfix values are stored
 * reversed and looked up with the reversed string.
 */
struct vigil_lpm_key {
	__u32 prefixlen;
	__u32 set_id; /* big-endian, so it is the leading 32 bits */
	__u8 data[VIGIL_STR_MAX];
};

/* Key of vigil_followed: a process (by key) that joined a followForks set. */
struct vigil_follow_entry {
	__u32 set_id;
	__u32 pad;
	struct vigil_process_key key;
};

/* Value of vigil_follow_sets: a matchPIDs set with followForks. */
#define VIGIL_FOLLOW_SETS_MAX 64
struct vigil_follow_set {
	__u32 set_id; /* 0: unused slot */
	__u8 flags;   /* VIGIL_PIDS_F_NSPID */
	__u8 nvals;
	__u16 pad;
	__u32 vals[VIGIL_SEL_PIDS_MAX];
};

/*
 * Value of vigil_bins (key: tgid): the exec'd binary, for matchBinaries,
 * and the followChildren sets an ancestor's binary put the process in
 * (bit i: slot i of vigil_bin_follow_sets), kept across exec and fork.
 */
struct vigil_bin {
	__u32 len;
	__u8 path[VIGIL_STR_MAX];
	__u64 follow;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_bin) == 264, "vigil_bin size");

/* Saved at a syscall entry for a return hook: map vigil_ret_args, key pid_tgid. */
struct vigil_ret_args {
	__u64 args[6];
	__u32 hook_id;
	__u32 pad;
	__u64 ktime;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_ret_args) == 64, "vigil_ret_args size");

/* vigil_hook_arg.flags */
#define VIGIL_ARG_F_TRUNCATED 0x01 /* data cut at max_data; orig_size says how long it was */
#define VIGIL_ARG_F_ERROR 0x02     /* could not be read (bad pointer, closed fd) */

struct vigil_hook_arg {
	__u8 type;  /* enum vigil_arg_type */
	__u8 flags; /* VIGIL_ARG_F_* */
	__u16 pad;
	__u32 orig_size;         /* full length of buffer data before truncation */
	__u64 value;             /* raw register value (the pointer, fd, integer) */
	struct vigil_slice data; /* captured bytes: buffer, string, fd path, sockaddr */
	__u32 pad2;
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_hook_arg) == 24, "vigil_hook_arg size");

/* vigil_hook_record.flags */
#define VIGIL_HOOK_R_RETURN 0x01 /* ret is set */
#define VIGIL_HOOK_R_PROCFS 0x02 /* key derived from the task's start time */
#define VIGIL_HOOK_R_MONITOR 0x04 /* the action was counted, not taken (monitor mode) */

struct vigil_hook_record {
	struct vigil_event_header hdr;
	struct vigil_process_key key; /* the calling process image */
	__u32 hook_id;
	__u32 flags;  /* VIGIL_HOOK_R_* */
	__s64 ret;    /* return value, with VIGIL_HOOK_R_RETURN */
	__u32 nargs;
	__u8 action;   /* enum vigil_action_kind taken (or due, in monitor mode) */
	__u8 selector; /* index of the matching selector + 1; 0: hook has none */
	__u16 pad;
	struct vigil_hook_arg args[VIGIL_HOOK_ARGS_MAX];
	/* variable area follows */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_hook_record) == 192, "vigil_hook_record size");

#endif /* VIGIL_ABI_H */
