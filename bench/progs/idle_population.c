// Keeps COUNT idle processes on the machine (the footprint benchmark's
// "node with ~1,000 processes"): forks them, prints "ready", and when stdin
// closes or it gets SIGTERM, kills and reaps them all.
// Usage: vigil_bench_idle_population COUNT
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
    long count = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    if (count <= 0 || count > 100000) {
        fprintf(stderr, "usage: %s COUNT (1..100000)\n", argv[0]);
        return 2;
    }
    pid_t* kids = calloc((size_t)count, sizeof *kids);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, NULL);
    pid_t self = getpid();
    long made = 0;
    for (; made < count; made++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            break;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != self) _exit(0);
            sigprocmask(SIG_UNBLOCK, &block, NULL);
            for (;;) pause();
        }
        kids[made] = pid;
    }
    printf("ready %ld\n", made);
    fflush(stdout);
    // Wait for stdin to close or a termination signal, whichever is first.
    pid_t reader = fork();
    if (reader == 0) {
        char buf[64];
        while (read(0, buf, sizeof buf) > 0) {
        }
        kill(self, SIGTERM);
        _exit(0);
    }
    int sig;
    sigwait(&block, &sig);
    if (reader > 0) kill(reader, SIGKILL);
    for (long i = 0; i < made; i++) kill(kids[i], SIGKILL);
    while (wait(NULL) > 0) {
    }
    return made == count ? 0 : 1;
}
