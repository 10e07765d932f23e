// vigil_trigger: a tiny program the kernel tests run to make the kernel do one known thing
// (exec with recognisable arguments, exit with a known code, stay alive, fork and exec).
//
//   vigil_trigger exit <code> [args...]     exit with <code>; extra args only mark the exec
//   vigil_trigger sleep [args...]           sleep until killed
//   vigil_trigger fork-exec <path> [args...] fork; the child execs <path> with argv = <path> args...;
//                                           the parent exits with the child's status
//                                           (128 + signal number if it was killed)
//   vigil_trigger write <path> <payload>    open (create, no truncation) <path>, write <payload> at offset 0
//   vigil_trigger open <path>               openat(AT_FDCWD, <path>, O_RDONLY); exit 0 if it opened,
//                                           else 1 with strerror on stderr
//   vigil_trigger connect <ipv4> <port>     TCP connect (loopback only in tests); exit 0 if connected
//   vigil_trigger read <path> <bytes>       read up to <bytes> from <path> once; exit 0
//   vigil_trigger connect-send <ipv4> <port> <payload>   connect, send <payload>, exit 0
//   vigil_trigger write-many <path> <count> <size>   write <size> bytes to <path> <count> times; exit 0
//   vigil_trigger writev <path> <part1> <part2>   one writev() of the two parts to <path>; exit 0
//   vigil_trigger mkdir <path>              mkdir(<path>, 0755); exit 0 if it was made
//   vigil_trigger call <n> <text>           call vigil_trigger_probe_me(n, text), a function the
//                                           uprobe tests hook; exit 0
//   vigil_trigger steps <step>...           run the steps in order, in this one process:
//                                           open:<path> (as open, but fails the run), dropcap:<n>
//                                           (remove capability n from the effective set),
//                                           unshare-uts (enter a new UTS namespace), dup (dup(0)),
//                                           dup2 (dup2(0, 100)); each new fd is closed;
//                                           wait:<fifo> (block until a byte arrives); exit 0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sched.h>
#include <sys/syscall.h>
#include <linux/capability.h>

static int usage(void) {
  fprintf(stderr,
          "usage: vigil_trigger exit <code> [args...]\n"
          "       vigil_trigger sleep [args...]\n"
          "       vigil_trigger fork-exec <path> [args...]\n"
          "       vigil_trigger write <path> <payload>\n"
          "       vigil_trigger open <path>\n"
          "       vigil_trigger read <path> <bytes>\n"
          "       vigil_trigger connect <ipv4> <port>\n"
          "       vigil_trigger connect-send <ipv4> <port> <payload>\n"
          "       vigil_trigger write-many <path> <count> <size>\n"
          "       vigil_trigger writev <path> <part1> <part2>\n"
          "       vigil_trigger mkdir <path>\n"
          "       vigil_trigger call <n> <text>\n"
          "       vigil_trigger steps open:<path>|dropcap:<n>|unshare-uts|dup|dup2|wait:<fifo>...\n");
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

static int do_write(const char *path, const char *payload) {
  int fd = open(path, O_WRONLY | O_CREAT, 0644);  // no O_TRUNC: a blocked write must leave the file as it was
  if (fd < 0) {
    fprintf(stderr, "vigil_trigger: open %s: %s\n", path, strerror(errno));
    return 1;
  }
  size_t len = strlen(payload);
  ssize_t n = write(fd, payload, len);
  close(fd);
  return n == (ssize_t)len ? 0 : 1;
}

static int do_open(const char *path) {
  int fd = openat(AT_FDCWD, path, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "vigil_trigger: open %s: %s\n", path, strerror(errno));
    return 1;
  }
  close(fd);
  return 0;
}

static int do_read(const char *path, const char *count_text) {
  char buf[65536];
  long want = strtol(count_text, NULL, 10);
  if (want < 0 || want > (long)sizeof(buf))
    return 2;
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return 1;
  ssize_t n = read(fd, buf, (size_t)want);
  close(fd);
  return n >= 0 ? 0 : 1;
}

static int do_connect_send(const char *ip, const char *port_text, const char *payload) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((unsigned short)atoi(port_text));
  if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
    return 2;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 1;
  if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
    close(fd);
    return 1;
  }
  size_t len = strlen(payload);
  ssize_t n = write(fd, payload, len);
  close(fd);
  return n == (ssize_t)len ? 0 : 1;
}

static int do_connect(const char *ip, const char *port_text) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((unsigned short)atoi(port_text));
  if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
    return 2;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 1;
  int rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
  close(fd);
  return rc == 0 ? 0 : 1;
}

// The uprobe tests' target: a real call with arguments in registers (noinline, and
// used so the symbol stays in the binary's symbol table).
__attribute__((noinline, used)) int vigil_trigger_probe_me(int n, const char *text) {
  __asm__ volatile("" ::: "memory");  // keeps the call from being folded away
  return n * 2 + (text[0] != '\0');
}

static int do_write_many(const char *path, const char *count_text, const char *size_text) {
  long count = strtol(count_text, NULL, 10), size = strtol(size_text, NULL, 10);
  static char buf[65536];
  if (count < 0 || size < 0 || size > (long)sizeof(buf))
    return 2;
  memset(buf, 'w', (size_t)size);
  int fd = open(path, O_WRONLY | O_CREAT, 0644);
  if (fd < 0)
    return 1;
  for (long i = 0; i < count; i++) {
    if (write(fd, buf, (size_t)size) != size)
      return 1;
  }
  close(fd);
  return 0;
}

static int do_writev(const char *path, char *a, char *b) {
  struct iovec iov[2] = {{a, strlen(a)}, {b, strlen(b)}};
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return 1;
  ssize_t n = writev(fd, iov, 2);
  close(fd);
  return n == (ssize_t)(iov[0].iov_len + iov[1].iov_len) ? 0 : 1;
}

static int do_call(const char *n_text, const char *text) {
  int n = atoi(n_text);
  int r = vigil_trigger_probe_me(n, text);
  return r == n * 2 + (text[0] != '\0') ? 0 : 1;
}

// Removes capability `cap` from the effective set (permitted is kept).
static int drop_effective_cap(int cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof(data));
  if (syscall(SYS_capget, &hdr, data) != 0 || cap < 0 || cap >= 64) return 1;
  data[cap / 32].effective &= ~(1u << (cap % 32));
  return syscall(SYS_capset, &hdr, data) == 0 ? 0 : 1;
}

/* Blocks until a writer opens the fifo at `path` and writes a byte. */
static int wait_fifo(const char *path) {
  char c;
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return 1;
  ssize_t n = read(fd, &c, 1);
  close(fd);
  return n == 1 ? 0 : 1;
}

/* A dup step's result: close the new descriptor; 0 if there was one. */
static int close_dup(int fd) {
  if (fd < 0)
    return 1;
  close(fd);
  return 0;
}

static int do_steps(int n, char **steps) {
  for (int i = 0; i < n; i++) {
    const char *s = steps[i];
    int rc;
    if (strncmp(s, "open:", 5) == 0)
      rc = do_open(s + 5);
    else if (strncmp(s, "dropcap:", 8) == 0)
      rc = drop_effective_cap(atoi(s + 8));
    else if (strcmp(s, "unshare-uts") == 0)
      rc = unshare(CLONE_NEWUTS);
    else if (strncmp(s, "wait:", 5) == 0)
      rc = wait_fifo(s + 5);
    else if (strcmp(s, "dup") == 0)
      rc = close_dup(dup(0));
    else if (strcmp(s, "dup2") == 0)
      rc = close_dup(dup2(0, 100));
    else
      return usage();
    if (rc != 0) {
      fprintf(stderr, "vigil_trigger: step %s failed: %s\n", s, strerror(errno));
      return 1;
    }
  }
  return 0;
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
  if (strcmp(mode, "write") == 0 && argc >= 4)
    return do_write(argv[2], argv[3]);
  if (strcmp(mode, "open") == 0 && argc >= 3)
    return do_open(argv[2]);
  if (strcmp(mode, "read") == 0 && argc >= 4)
    return do_read(argv[2], argv[3]);
  if (strcmp(mode, "connect-send") == 0 && argc >= 5)
    return do_connect_send(argv[2], argv[3], argv[4]);
  if (strcmp(mode, "connect") == 0 && argc >= 4)
    return do_connect(argv[2], argv[3]);
  if (strcmp(mode, "write-many") == 0 && argc >= 5)
    return do_write_many(argv[2], argv[3], argv[4]);
  if (strcmp(mode, "writev") == 0 && argc >= 5)
    return do_writev(argv[2], argv[3], argv[4]);
  if (strcmp(mode, "mkdir") == 0 && argc >= 3)
    return mkdir(argv[2], 0755) == 0 ? 0 : 1;
  if (strcmp(mode, "call") == 0 && argc >= 4)
    return do_call(argv[2], argv[3]);
  if (strcmp(mode, "steps") == 0)
    return do_steps(argc - 2, &argv[2]);
  return usage();
}
