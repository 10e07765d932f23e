// A steady file writer for the footprint benchmark's write policy: RATE
// writes of 64 bytes per second to PATH for SECONDS, rewinding the file so it
// stays small. Prints "writes <n>".
// Usage: vigil_bench_paced_writer PATH RATE SECONDS
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PATH RATE SECONDS\n", argv[0]);
        return 2;
    }
    long rate = strtol(argv[2], NULL, 10);
    double seconds = strtod(argv[3], NULL);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || rate <= 0 || rate > 1000000 || seconds <= 0) {
        fprintf(stderr, "%s: cannot open %s, or RATE/SECONDS out of range\n", argv[0], argv[1]);
        return 2;
    }
    static const char buf[64] = "vigil bench footprint write, sixty-four bytes long, padded....\n";
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long total = (long)(rate * seconds), step_ns = 1000000000L / rate, n = 0;
    for (; n < total; n++) {
        // write(), not pwrite(): the policy hooks sys_write.
        if (lseek(fd, 0, SEEK_SET) != 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) break;
        next.tv_nsec += step_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    printf("writes %ld\n", n);
    return n == total ? 0 : 1;
}
