/* tty.c - see tty.h. */
#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "sync.h"

int tty_resize(int master, uint16_t rows, uint16_t cols, struct berr *e) {
  struct winsize ws = {.ws_row = rows, .ws_col = cols};
  if (ioctl(master, TIOCSWINSZ, &ws) < 0) return berr_set(e, errno, "console", "TIOCSWINSZ: %s", strerror(errno));
  return 0;
}

/* runc's mountConsole: an empty file /dev/console with the slave bind-mounted on it. */
static int bind_dev_console(int master, struct berr *e) {
  int n;
  char pts[32];
  if (ioctl(master, TIOCGPTN, &n) < 0) return berr_set(e, errno, "console", "TIOCGPTN: %s", strerror(errno));
  snprintf(pts, sizeof pts, "/dev/pts/%d", n);
  cleanup_fd int fd = open("/dev/console", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) return berr_set(e, errno, "console", "create /dev/console: %s", strerror(errno));
  if (mount(pts, "/dev/console", NULL, MS_BIND, NULL) < 0)
    return berr_set(e, errno, "console", "bind %s on /dev/console: %s", pts, strerror(errno));
  return 0;
}

int tty_setup(const struct plan *p, int sync, int bind_console, struct berr *e) {
  struct stat st;
  struct statfs sfs;
  int unlock = 0;
  cleanup_fd int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (master < 0) return berr_set(e, errno, "console", "open /dev/pts/ptmx: %s", strerror(errno));
  if (fstat(master, &st) < 0 || fstatfs(master, &sfs) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 ||
      minor(st.st_rdev) != 2 || sfs.f_type != DEVPTS_SUPER_MAGIC)
    return berr_set(e, EINVAL, "console", "/dev/pts/ptmx is not a devpts ptmx");
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) return berr_set(e, errno, "console", "unlock pty: %s", strerror(errno));
  /* TIOCGPTPEER (4.13) opens the peer through the master: no path lookup of /dev/pts/N */
  cleanup_fd int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return berr_set(e, errno, "console", "TIOCGPTPEER: %s", strerror(errno));
  if ((p->console_rows || p->console_cols) && tty_resize(master, p->console_rows, p->console_cols, e) < 0) return -1;
  if (bind_console && bind_dev_console(master, e) < 0) return -1;
  if (fchown(slave, p->uid, (gid_t)-1) < 0) return berr_set(e, errno, "console", "chown pty: %s", strerror(errno));
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return berr_set(e, errno, "console", "TIOCSCTTY: %s", strerror(errno));
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0) return berr_set(e, errno, "console", "dup2: %s", strerror(errno));
  return sync_send_fd(sync, master, e);
}
