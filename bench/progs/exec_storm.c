// The exec storm: WORKERS processes each fork+exec /bin/true (with a marker
// argument, so the runner can pick these processes out of the event stream)
// and wait for it, until COUNT children in all have run or SECONDS have
// passed. Prints "spawned <n> seconds <s> per_s <rate> failed <f>".
// Usage: vigil_bench_exec_storm WORKERS COUNT SECONDS MARKER
//        (COUNT 0: no count limit; SECONDS 0: no time limit)
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s WORKERS COUNT SECONDS MARKER\n", argv[0]);
        return 2;
    }
    int workers = atoi(argv[1]);
    long count = strtol(argv[2], NULL, 10);
    double seconds = strtod(argv[3], NULL);
    char* marker = argv[4];
    if (workers <= 0 || workers > 64 || count < 0 || seconds < 0 || (count == 0 && seconds == 0)) {
        fprintf(stderr, "%s: need 1..64 workers and a COUNT or SECONDS limit\n", argv[0]);
        return 2;
    }
    // Shared counters: the next ticket, children that failed, children forked.
    long* shared = mmap(NULL, 3 * sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                        -1, 0);
    if (shared == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    shared[0] = shared[1] = shared[2] = 0;
    double t0 = now_s();
    double deadline = seconds > 0 ? t0 + seconds : 0;
    for (int w = 0; w < workers; w++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork worker");
            return 1;
        }
        if (pid > 0) continue;
        for (;;) {
            long ticket = __atomic_fetch_add(&shared[0], 1, __ATOMIC_RELAXED);
            if (count > 0 && ticket >= count) break;
            if (deadline > 0 && now_s() >= deadline) break;
            pid_t child = fork();
            if (child > 0) __atomic_fetch_add(&shared[2], 1, __ATOMIC_RELAXED);
            if (child == 0) {
                char* args[] = {"/bin/true", marker, NULL};
                execv(args[0], args);
                _exit(127);
            }
            int status = 0;
            if (child < 0 || waitpid(child, &status, 0) < 0 || status != 0) {
                __atomic_fetch_add(&shared[1], 1, __ATOMIC_RELAXED);
            }
        }
        _exit(0);
    }
    int status;
    while (wait(&status) > 0 || errno == EINTR) {
    }
    double elapsed = now_s() - t0;
    long spawned = shared[2];
    printf("spawned %ld seconds %.3f per_s %.1f failed %ld\n", spawned, elapsed,
           (double)spawned / elapsed, shared[1]);
    return shared[1] == 0 ? 0 : 1;
}
