// Loads and attaches the floor programs (floor.bpf.c) named on the command
// line, prints "attached" on stdout, and holds them until SIGINT/SIGTERM or
// until stdin reaches end of file (so a dying runner never leaves them
// behind). Usage: vigil_bench_floor tp_write|raw_sys_enter ...
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static int libbpf_quiet(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_WARN) return vfprintf(stderr, fmt, args);
    return 0;
}

int main(int argc, char** argv) {
    int want_tp = 0, want_raw = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "tp_write") == 0) want_tp = 1;
        else if (strcmp(argv[i], "raw_sys_enter") == 0) want_raw = 1;
        else {
            fprintf(stderr, "vigil_bench_floor: unknown program '%s' (tp_write, raw_sys_enter)\n",
                    argv[i]);
            return 2;
        }
    }
    if (!want_tp && !want_raw) {
        fprintf(stderr, "usage: %s tp_write|raw_sys_enter ...\n", argv[0]);
        return 2;
    }
    libbpf_set_print(libbpf_quiet);

    struct floor_bpf* skel = floor_bpf__open();
    if (!skel) {
        fprintf(stderr, "vigil_bench_floor: open failed: %s\n", strerror(errno));
        return 1;
    }
    bpf_program__set_autoload(skel->progs.floor_tp_write, want_tp);
    bpf_program__set_autoload(skel->progs.floor_raw_sys_enter, want_raw);
    int err = floor_bpf__load(skel);
    if (!err) err = floor_bpf__attach(skel);
    if (err) {
        fprintf(stderr, "vigil_bench_floor: load/attach failed: %s\n", strerror(-err));
        floor_bpf__destroy(skel);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("attached\n");
    fflush(stdout);

    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    char buf[256];
    while (!stop) {
        int n = poll(&pfd, 1, 500);
        if (n > 0 && read(0, buf, sizeof buf) <= 0) break;  // runner went away
    }
    floor_bpf__destroy(skel);
    return 0;
}
