/* probe.c - berth-probe, a static binary run inside containers by the tests: it reports what
 * the process sees as one JSON object, or performs one action.
 *
 *   probe [json]            print the report
 *   probe alloc <MB>        touch memory 1 MiB at a time until done or killed
 *   probe forkbomb          fork until fork fails, print how many, exit 0
 *   probe write <path> <text>   write text to path; exit 1 with the error
 *   probe sleep <s>         sleep
 *   probe exit <code>       exit with code
 *   probe udp-echo <port>   answer every UDP datagram on 0.0.0.0:<port> with the same bytes
 *                           (busybox has no UDP server: the tests' UDP echo)
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

static void jstr(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static void status_field(const char *key, const char *name, int first) {
  char line[512];
  FILE *f = fopen("/proc/self/status", "r");
  size_t n = strlen(name);
  printf("%s\"%s\":", first ? "" : ",", key);
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, name, n) == 0 && line[n] == ':') {
      char *v = line + n + 1;
      while (*v == ' ' || *v == '\t') v++;
      v[strcspn(v, "\n")] = '\0';
      jstr(v);
      fclose(f);
      return;
    }
  }
  if (f) fclose(f);
  printf("null");
}

static void rlimit_field(const char *key, int res) {
  struct rlimit rl;
  getrlimit(res, &rl);
  printf("\"%s\":[%lld,%lld]", key, rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
         rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
}

static int report(void) {
  char buf[4096];
  gid_t groups[256];
  int ng = getgroups(256, groups);
  printf("{\"pid\":%d,\"ppid\":%d,\"pid1comm\":", getpid(), getppid());
  FILE *c1 = fopen("/proc/1/comm", "r");
  if (c1 && fgets(buf, sizeof buf, c1)) {
    buf[strcspn(buf, "\n")] = '\0';
    jstr(buf);
  } else {
    printf("null");
  }
  if (c1) fclose(c1);
  printf(",");
  gethostname(buf, sizeof buf);
  printf("\"hostname\":");
  jstr(buf);
  printf(",\"uid\":%u,\"gid\":%u,\"groups\":[", getuid(), getgid());
  for (int i = 0; i < ng; i++) printf("%s%u", i ? "," : "", groups[i]);
  printf("],\"cwd\":");
  jstr(getcwd(buf, sizeof buf) ? buf : "");
  printf(",");
  status_field("CapEff", "CapEff", 1);
  status_field("CapBnd", "CapBnd", 0);
  status_field("CapPrm", "CapPrm", 0);
  status_field("CapInh", "CapInh", 0);
  status_field("CapAmb", "CapAmb", 0);
  status_field("NoNewPrivs", "NoNewPrivs", 0);
  status_field("Seccomp", "Seccomp", 0);
  printf(",\"cgroup\":[");
  FILE *f = fopen("/proc/self/cgroup", "r");
  for (int i = 0; f && fgets(buf, sizeof buf, f); i++) {
    buf[strcspn(buf, "\n")] = '\0';
    printf("%s", i ? "," : "");
    jstr(buf);
  }
  if (f) fclose(f);
  printf("],\"mounts\":[");
  /* mountinfo: id parent maj:min root target options [optional...] - fstype source superopts */
  f = fopen("/proc/self/mountinfo", "r");
  for (int i = 0; f && fgets(buf, sizeof buf, f); i++) {
    char *fld[12] = {0}, *save = NULL, *t;
    int n = 0;
    buf[strcspn(buf, "\n")] = '\0';
    for (t = strtok_r(buf, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save)) fld[n++] = t;
    while (t && strcmp(t, "-") != 0) t = strtok_r(NULL, " ", &save);
    char *fstype = t ? strtok_r(NULL, " ", &save) : NULL;
    char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
    char *super = source ? strtok_r(NULL, " ", &save) : NULL;
    printf("%s{\"target\":", i ? "," : "");
    jstr(fld[4] ? fld[4] : "");
    printf(",\"root\":");
    jstr(fld[3] ? fld[3] : "");
    printf(",\"fstype\":");
    jstr(fstype ? fstype : "");
    printf(",\"options\":");
    jstr(fld[5] ? fld[5] : "");
    printf(",\"super\":");
    jstr(super ? super : "");
    printf("}");
  }
  if (f) fclose(f);
  printf("],\"rlimits\":{");
  rlimit_field("NOFILE", RLIMIT_NOFILE);
  printf(",");
  rlimit_field("NPROC", RLIMIT_NPROC);
  printf("},\"env\":[");
  for (int i = 0; environ[i]; i++) {
    printf("%s", i ? "," : "");
    jstr(environ[i]);
  }
  printf("]}\n");
  return 0;
}

/* Echoes UDP datagrams back to their sender until killed. */
static int udp_echo(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  char buf[65536];
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("udp-echo");
    return 1;
  }
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("udp-echo");
      return 1;
    }
    sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "json") == 0) return report();
  if (strcmp(argv[1], "alloc") == 0 && argc == 3) {
    long mb = atol(argv[2]);
    for (long i = 0; i < mb; i++) {
      char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
      }
      memset(p, 1, 1 << 20);
    }
    printf("allocated %ld MB\n", mb);
    return 0;
  }
  if (strcmp(argv[1], "forkbomb") == 0) {
    long n = 0;
    for (;;) {
      pid_t pid = fork();
      if (pid == 0) {
        pause();
        _exit(0);
      }
      if (pid < 0) break;
      n++;
    }
    printf("forked %ld\n", n);
    fflush(stdout);
    return 0;
  }
  if (strcmp(argv[1], "write") == 0 && argc == 4) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, argv[3], strlen(argv[3])) < 0) {
      fprintf(stderr, "write %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    close(fd);
    return 0;
  }
  if (strcmp(argv[1], "sleep") == 0 && argc == 3) {
    sleep((unsigned)atoi(argv[2]));
    return 0;
  }
  if (strcmp(argv[1], "exit") == 0 && argc == 3) return atoi(argv[2]);
  if (strcmp(argv[1], "udp-echo") == 0 && argc == 3) return udp_echo(atoi(argv[2]));
  fprintf(stderr,
          "usage: probe [json] | alloc <MB> | forkbomb | write <path> <text> | sleep <s> | exit <code> | "
          "udp-echo <port>\n");
  return 2;
}
