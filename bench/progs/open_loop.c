// The openat workload: CALLS openat+close of varied paths in DIR (100 files
// f00..f99, created first), with DIR/secret opened every EVERY-th call; the
// sensitive path is what the policies look for. Prints
// "calls <n> sensitive <k> seconds <s> ns_per_call <ns>"; k counts every
// openat of DIR/secret, its creation included.
// Usage: vigil_bench_open_loop DIR CALLS EVERY
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s DIR CALLS EVERY\n", argv[0]);
        return 2;
    }
    const char* dir = argv[1];
    long calls = strtol(argv[2], NULL, 10);
    long every = strtol(argv[3], NULL, 10);
    if (calls <= 0 || every <= 0) {
        fprintf(stderr, "%s: CALLS and EVERY must be positive\n", argv[0]);
        return 2;
    }
    char paths[101][512];
    for (int i = 0; i < 100; i++) snprintf(paths[i], sizeof paths[i], "%s/f%02d", dir, i);
    snprintf(paths[100], sizeof paths[100], "%s/secret", dir);
    for (int i = 0; i <= 100; i++) {
        int fd = open(paths[i], O_WRONLY | O_CREAT, 0600);
        if (fd < 0) {
            perror(paths[i]);
            return 1;
        }
        close(fd);
    }
    long sensitive = 1;  // creating DIR/secret above was an openat of it too
    double t0 = now_s();
    for (long i = 1; i <= calls; i++) {
        const char* p = (i % every == 0) ? paths[100] : paths[i % 100];
        int fd = openat(AT_FDCWD, p, O_RDONLY);
        if (fd < 0) {
            perror(p);
            return 1;
        }
        close(fd);
        if (p == paths[100]) sensitive++;
    }
    double elapsed = now_s() - t0;
    printf("calls %ld sensitive %ld seconds %.3f ns_per_call %.1f\n", calls, sensitive, elapsed,
           elapsed * 1e9 / (double)calls);
    return 0;
}
