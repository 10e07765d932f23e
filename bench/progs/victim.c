// The enforcement victim: open PROTECTED and MARKER, write to PROTECTED (the
// policy's violation), then, if still alive, append a line to MARKER and
// stay alive up to LINGER_MS so a user-space killer has something to kill.
// Prints "<pid>" on stdout first and waits for a byte on stdin, so the
// runner knows the pid before the violation.
// Usage: vigil_bench_victim PROTECTED MARKER LINGER_MS
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PROTECTED MARKER LINGER_MS\n", argv[0]);
        return 2;
    }
    int prot = open(argv[1], O_WRONLY | O_CREAT, 0600);
    int mark = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (prot < 0 || mark < 0) {
        perror("open");
        return 1;
    }
    long linger_ms = strtol(argv[3], NULL, 10);
    printf("%d\n", (int)getpid());
    fflush(stdout);
    char go;
    if (read(0, &go, 1) != 1) return 1;

    (void)!write(prot, "violation\n", 10);
    char line[64];
    int n = snprintf(line, sizeof line, "alive %d\n", (int)getpid());
    (void)!write(mark, line, (size_t)n);
    struct timespec ts = {linger_ms / 1000, (linger_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}
