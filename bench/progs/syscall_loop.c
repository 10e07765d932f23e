// The syscall hot-path workload: a tight loop of one syscall, timed in
// batches; prints the median batch's ns per call:
// "<syscall> <ns_per_call> <timed_calls> <all_calls>" (all: warm-up included). The median of batches keeps a batch
// that another process interrupted on this shared machine from moving the
// result; the runner takes the median again across runs.
// Usage: vigil_bench_syscall_loop write|getppid CALLS [BATCHES]
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void* a, const void* b) {
    uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s write|getppid CALLS [BATCHES]\n", argv[0]);
        return 2;
    }
    int is_write = strcmp(argv[1], "write") == 0;
    if (!is_write && strcmp(argv[1], "getppid") != 0) {
        fprintf(stderr, "%s: unknown syscall '%s' (write, getppid)\n", argv[0], argv[1]);
        return 2;
    }
    long calls = strtol(argv[2], NULL, 10);
    int batches = argc > 3 ? atoi(argv[3]) : 20;
    if (calls <= 0 || batches <= 0 || batches > 1000) {
        fprintf(stderr, "%s: CALLS and BATCHES (1..1000) must be positive\n", argv[0]);
        return 2;
    }
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) {
        perror("open /dev/null");
        return 1;
    }
    static char buf[64] = "vigil bench write loop payload, 64 bytes, to /dev/null......\n";
    long per_batch = calls / batches;
    if (per_batch < 1) per_batch = 1;

    // Warm-up: caches, TLB, the CPU's frequency.
    for (long i = 0; i < per_batch; i++) {
        if (is_write) (void)!write(fd, buf, sizeof buf);
        else (void)getppid();
    }
    uint64_t ns[1000];
    for (int b = 0; b < batches; b++) {
        uint64_t t0 = now_ns();
        if (is_write) {
            for (long i = 0; i < per_batch; i++) {
                if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
                    perror("write /dev/null");
                    return 1;
                }
            }
        } else {
            for (long i = 0; i < per_batch; i++) (void)getppid();
        }
        ns[b] = now_ns() - t0;
    }
    qsort(ns, (size_t)batches, sizeof ns[0], cmp_u64);
    printf("%s %.2f %ld %ld\n", argv[1], (double)ns[batches / 2] / (double)per_batch,
           per_batch * batches, per_batch * (batches + 1));
    return 0;
}
