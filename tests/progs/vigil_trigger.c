// vigil_trigger: a tiny program the kernel tests run to make the kernel do one known thing
// (exec with recognisable arguments, exit with a known code, stay alive, fork and exec).
//
//   vigil_trigger exit <code> [args...]     exit with <code>; extra args only mark the exec
//   vigil_trigger sleep [args...]           sleep until killed
//   vigil_trigger fork-exec <path> [args...] fork; the child execs <path> with argv = <path> args...;
//                                           the parent exits with the child's status
//                                           (128 + signal number if it was killed)
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr,
          "usage: vigil_trigger exit <code> [args...]\n"
          "       vigil_trigger sleep [args...]\n"
          "       vigil_trigger fork-exec <path> [args...]\n");
  return 2;
}

static int do_exit(const char *code_text) {
  char *end = NULL;
  errno = 0;
  long code = strtol(code_text, &end, 10);
  if (errno != 0 || end == code_text || *end != '\0' || code < 0 || code > 255) {
    fprintf(stderr, "vigil_trigger: exit code '%s' is not in 0..255\n", code_text);
    return 2;
  }
  exit((int)code);
}

_Noreturn static void do_sleep(void) {
  for (;;)
    pause();  // returns only after a caught signal; we catch none, so a signal ends us
}

static int do_fork_exec(char **child_argv) {
  pid_t pid = fork();
  if (pid < 0) {
    perror("vigil_trigger: fork");
    return 1;
  }
  if (pid == 0) {
    execv(child_argv[0], child_argv);
    fprintf(stderr, "vigil_trigger: execv %s: %s\n", child_argv[0], strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      perror("vigil_trigger: waitpid");
      return 1;
    }
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return usage();
  const char *mode = argv[1];
  if (strcmp(mode, "exit") == 0 && argc >= 3)
    return do_exit(argv[2]);
  if (strcmp(mode, "sleep") == 0)
    do_sleep();
  if (strcmp(mode, "fork-exec") == 0 && argc >= 3)
    return do_fork_exec(&argv[2]);  // argv is NULL-terminated, so this is a valid child argv
  return usage();
}
