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
#define VIGIL_ABI_VERSION 1

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
	VIGIL_ARG_TYPE_COUNT,
};

/* vigil_hook_arg_config.flags */
#define VIGIL_ARG_CFG_RETURN_COPY 0x01 /* read the buffer at return, length = return value */

struct vigil_hook_arg_config {
	__u8 type;       /* enum vigil_arg_type */
	__u8 index;      /* 0-based argument position */
	__u8 size_index; /* 1-based position of the length argument; 0: none */
	__u8 flags;      /* VIGIL_ARG_CFG_* */
	__u32 max_data;  /* bytes captured at most (<= VIGIL_ARG_DATA_MAX) */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_hook_arg_config) == 8, "vigil_hook_arg_config size");

/* vigil_hook_config.flags */
#define VIGIL_HOOK_CFG_RETURN 0x01 /* emit at the return probe, with the return value */

/* Value of map vigil_hooks (array, key = hook id). */
struct vigil_hook_config {
	__u32 flags; /* VIGIL_HOOK_CFG_*; 0 with nargs 0 means "no such hook" */
	__u32 nargs;
	struct vigil_hook_arg_config args[VIGIL_HOOK_ARGS_MAX];
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_hook_config) == 48, "vigil_hook_config size");

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

struct vigil_hook_record {
	struct vigil_event_header hdr;
	struct vigil_process_key key; /* the calling process image */
	__u32 hook_id;
	__u32 flags;  /* VIGIL_HOOK_R_* */
	__s64 ret;    /* return value, with VIGIL_HOOK_R_RETURN */
	__u32 nargs;
	__u32 pad;
	struct vigil_hook_arg args[VIGIL_HOOK_ARGS_MAX];
	/* variable area follows */
};
VIGIL_STATIC_ASSERT(sizeof(struct vigil_hook_record) == 192, "vigil_hook_record size");

#endif /* VIGIL_ABI_H */
