/**
 * Syscall numbers per architecture, derived from the Linux UAPI headers
 * (asm/unistd_64.h, unistd_32.h, unistd_x32.h, asm-generic/unistd.h for arm64).
 * Encoded as runs of consecutive numbers: [first number, space-separated names].
 * Generated once; regenerate when a new kernel adds syscalls Docker's profile names.
 */

type Runs = ReadonlyArray<readonly [number, string]>;

const X86_64_RUNS: Runs = [
  [0, 'read write open close stat fstat lstat poll lseek mmap mprotect munmap'],
  [12, 'brk rt_sigaction rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select'],
  [24, 'sched_yield mremap msync mincore madvise shmget shmat shmctl dup dup2 pause nanosleep'],
  [36, 'getitimer alarm setitimer getpid sendfile socket connect accept sendto recvfrom sendmsg recvmsg'],
  [48, 'shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt clone fork vfork execve'],
  [60, 'exit wait4 kill uname semget semop semctl shmdt msgget msgsnd msgrcv msgctl'],
  [72, 'fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir rename mkdir'],
  [84, 'rmdir creat link unlink symlink readlink chmod fchmod chown fchown lchown umask'],
  [96, 'gettimeofday getrlimit getrusage sysinfo times ptrace getuid syslog getgid setuid setgid geteuid'],
  [108, 'getegid setpgid getppid getpgrp setsid setreuid setregid getgroups setgroups setresuid getresuid setresgid'],
  [
    120,
    'getresgid getpgid setfsuid setfsgid getsid capget capset rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack',
  ],
  [
    132,
    'utime mknod uselib personality ustat statfs fstatfs sysfs getpriority setpriority sched_setparam sched_getparam',
  ],
  [
    144,
    'sched_setscheduler sched_getscheduler sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock mlockall munlockall vhangup modify_ldt pivot_root',
  ],
  [156, '_sysctl prctl arch_prctl adjtimex setrlimit chroot sync acct settimeofday mount umount2 swapon'],
  [
    168,
    'swapoff reboot sethostname setdomainname iopl ioperm create_module init_module delete_module get_kernel_syms query_module quotactl',
  ],
  [
    180,
    'nfsservctl getpmsg putpmsg afs_syscall tuxcall security gettid readahead setxattr lsetxattr fsetxattr getxattr',
  ],
  [
    192,
    'lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr tkill time futex sched_setaffinity',
  ],
  [
    204,
    'sched_getaffinity set_thread_area io_setup io_destroy io_getevents io_submit io_cancel get_thread_area lookup_dcookie epoll_create epoll_ctl_old epoll_wait_old',
  ],
  [
    216,
    'remap_file_pages getdents64 set_tid_address restart_syscall semtimedop fadvise64 timer_create timer_settime timer_gettime timer_getoverrun timer_delete clock_settime',
  ],
  [
    228,
    'clock_gettime clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl tgkill utimes vserver mbind set_mempolicy get_mempolicy',
  ],
  [
    240,
    'mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl ioprio_set',
  ],
  [
    252,
    'ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat fchownat futimesat newfstatat unlinkat',
  ],
  [
    264,
    'renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll unshare set_robust_list get_robust_list splice',
  ],
  [
    276,
    'tee sync_file_range vmsplice move_pages utimensat epoll_pwait signalfd timerfd_create eventfd fallocate timerfd_settime timerfd_gettime',
  ],
  [
    288,
    'accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev rt_tgsigqueueinfo perf_event_open recvmmsg',
  ],
  [
    300,
    'fanotify_init fanotify_mark prlimit64 name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv process_vm_writev',
  ],
  [
    312,
    'kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create kexec_file_load bpf execveat userfaultfd',
  ],
  [
    324,
    'membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free statx io_pgetevents rseq',
  ],
  [
    424,
    'pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3',
  ],
  [
    436,
    'close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret',
  ],
  [448, 'process_mrelease futex_waitv set_mempolicy_home_node'],
];

const X86_RUNS: Runs = [
  [0, 'restart_syscall exit fork read write open close waitpid creat link unlink execve'],
  [12, 'chdir time mknod chmod lchown break oldstat lseek getpid mount umount setuid'],
  [24, 'getuid stime ptrace alarm oldfstat pause utime stty gtty access nice ftime'],
  [36, 'sync kill rename mkdir rmdir dup pipe times prof brk setgid getgid'],
  [48, 'signal geteuid getegid acct umount2 lock ioctl fcntl mpx setpgid ulimit oldolduname'],
  [60, 'umask chroot ustat dup2 getppid getpgrp setsid sigaction sgetmask ssetmask setreuid setregid'],
  [
    72,
    'sigsuspend sigpending sethostname setrlimit getrlimit getrusage gettimeofday settimeofday getgroups setgroups select symlink',
  ],
  [84, 'oldlstat readlink uselib swapon reboot readdir mmap munmap truncate ftruncate fchmod fchown'],
  [96, 'getpriority setpriority profil statfs fstatfs ioperm socketcall syslog setitimer getitimer stat lstat'],
  [108, 'fstat olduname iopl vhangup idle vm86old wait4 swapoff sysinfo ipc fsync sigreturn'],
  [
    120,
    'clone setdomainname uname modify_ldt adjtimex mprotect sigprocmask create_module init_module delete_module get_kernel_syms quotactl',
  ],
  [132, 'getpgid fchdir bdflush sysfs personality afs_syscall setfsuid setfsgid _llseek getdents _newselect flock'],
  [144, 'msync readv writev getsid fdatasync _sysctl mlock munlock mlockall munlockall sched_setparam sched_getparam'],
  [
    156,
    'sched_setscheduler sched_getscheduler sched_yield sched_get_priority_max sched_get_priority_min sched_rr_get_interval nanosleep mremap setresuid getresuid vm86 query_module',
  ],
  [
    168,
    'poll nfsservctl setresgid getresgid prctl rt_sigreturn rt_sigaction rt_sigprocmask rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend',
  ],
  [180, 'pread64 pwrite64 chown getcwd capget capset sigaltstack sendfile getpmsg putpmsg vfork ugetrlimit'],
  [
    192,
    'mmap2 truncate64 ftruncate64 stat64 lstat64 fstat64 lchown32 getuid32 getgid32 geteuid32 getegid32 setreuid32',
  ],
  [
    204,
    'setregid32 getgroups32 setgroups32 fchown32 setresuid32 getresuid32 setresgid32 getresgid32 chown32 setuid32 setgid32 setfsuid32',
  ],
  [216, 'setfsgid32 pivot_root mincore madvise getdents64 fcntl64'],
  [
    224,
    'gettid readahead setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr',
  ],
  [
    236,
    'lremovexattr fremovexattr tkill sendfile64 futex sched_setaffinity sched_getaffinity set_thread_area get_thread_area io_setup io_destroy io_getevents',
  ],
  [248, 'io_submit io_cancel fadvise64'],
  [
    252,
    'exit_group lookup_dcookie epoll_create epoll_ctl epoll_wait remap_file_pages set_tid_address timer_create timer_settime timer_gettime timer_getoverrun timer_delete',
  ],
  [
    264,
    'clock_settime clock_gettime clock_getres clock_nanosleep statfs64 fstatfs64 tgkill utimes fadvise64_64 vserver mbind get_mempolicy',
  ],
  [276, 'set_mempolicy mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid'],
  [
    286,
    'add_key request_key keyctl ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat',
  ],
  [298, 'fchownat futimesat fstatat64 unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll'],
  [
    310,
    'unshare set_robust_list get_robust_list splice sync_file_range tee vmsplice move_pages getcpu epoll_pwait utimensat signalfd',
  ],
  [
    322,
    'timerfd_create eventfd fallocate timerfd_settime timerfd_gettime signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv',
  ],
  [
    334,
    'pwritev rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64 name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg',
  ],
  [
    346,
    'setns process_vm_readv process_vm_writev kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create bpf',
  ],
  [358, 'execveat socket socketpair bind connect listen accept4 getsockopt setsockopt getsockname getpeername sendto'],
  [
    370,
    'sendmsg recvfrom recvmsg shutdown userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc',
  ],
  [382, 'pkey_free statx arch_prctl io_pgetevents rseq'],
  [393, 'semget semctl shmget shmctl shmat shmdt msgget msgsnd msgrcv msgctl clock_gettime64 clock_settime64'],
  [
    405,
    'clock_adjtime64 clock_getres_time64 clock_nanosleep_time64 timer_gettime64 timer_settime64 timerfd_gettime64 timerfd_settime64 utimensat_time64 pselect6_time64 ppoll_time64',
  ],
  [
    416,
    'io_pgetevents_time64 recvmmsg_time64 mq_timedsend_time64 mq_timedreceive_time64 semtimedop_time64 rt_sigtimedwait_time64 futex_time64 sched_rr_get_interval_time64 pidfd_send_signal io_uring_setup io_uring_enter io_uring_register',
  ],
  [
    428,
    'open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd faccessat2',
  ],
  [
    440,
    'process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret process_mrelease futex_waitv set_mempolicy_home_node',
  ],
];

const X32_RUNS: Runs = [
  [0, 'read write open close stat fstat lstat poll lseek mmap mprotect munmap'],
  [12, 'brk'],
  [14, 'rt_sigprocmask'],
  [17, 'pread64 pwrite64'],
  [21, 'access pipe select sched_yield mremap msync mincore madvise shmget shmat shmctl dup'],
  [33, 'dup2 pause nanosleep getitimer alarm setitimer getpid sendfile socket connect accept sendto'],
  [48, 'shutdown bind listen getsockname getpeername socketpair'],
  [56, 'clone fork vfork'],
  [60, 'exit wait4 kill uname semget semop semctl shmdt msgget msgsnd msgrcv msgctl'],
  [72, 'fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir rename mkdir'],
  [84, 'rmdir creat link unlink symlink readlink chmod fchmod chown fchown lchown umask'],
  [96, 'gettimeofday getrlimit getrusage sysinfo times'],
  [102, 'getuid syslog getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid'],
  [114, 'setregid getgroups setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget'],
  [126, 'capset'],
  [130, 'rt_sigsuspend'],
  [132, 'utime mknod'],
  [
    135,
    'personality ustat statfs fstatfs sysfs getpriority setpriority sched_setparam sched_getparam sched_setscheduler sched_getscheduler sched_get_priority_max',
  ],
  [147, 'sched_get_priority_min sched_rr_get_interval mlock munlock mlockall munlockall vhangup modify_ldt pivot_root'],
  [157, 'prctl arch_prctl adjtimex setrlimit chroot sync acct settimeofday mount umount2 swapon swapoff'],
  [169, 'reboot sethostname setdomainname iopl ioperm'],
  [175, 'init_module delete_module'],
  [179, 'quotactl'],
  [
    181,
    'getpmsg putpmsg afs_syscall tuxcall security gettid readahead setxattr lsetxattr fsetxattr getxattr lgetxattr',
  ],
  [
    193,
    'fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr tkill time futex sched_setaffinity sched_getaffinity',
  ],
  [207, 'io_destroy io_getevents'],
  [210, 'io_cancel'],
  [212, 'lookup_dcookie epoll_create'],
  [216, 'remap_file_pages getdents64 set_tid_address restart_syscall semtimedop fadvise64'],
  [
    223,
    'timer_settime timer_gettime timer_getoverrun timer_delete clock_settime clock_gettime clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl tgkill',
  ],
  [235, 'utimes'],
  [237, 'mbind set_mempolicy get_mempolicy mq_open mq_unlink mq_timedsend mq_timedreceive'],
  [245, 'mq_getsetattr'],
  [
    248,
    'add_key request_key keyctl ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat',
  ],
  [
    260,
    'fchownat futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll',
  ],
  [272, 'unshare'],
  [275, 'splice tee sync_file_range'],
  [
    280,
    'utimensat epoll_pwait signalfd timerfd_create eventfd fallocate timerfd_settime timerfd_gettime accept4 signalfd4 eventfd2 epoll_create1',
  ],
  [292, 'dup3 pipe2 inotify_init1'],
  [298, 'perf_event_open'],
  [300, 'fanotify_init fanotify_mark prlimit64 name_to_handle_at open_by_handle_at clock_adjtime syncfs'],
  [308, 'setns getcpu'],
  [312, 'kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create kexec_file_load bpf'],
  [323, 'userfaultfd membarrier mlock2 copy_file_range'],
  [329, 'pkey_mprotect pkey_alloc pkey_free statx io_pgetevents rseq'],
  [
    424,
    'pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3',
  ],
  [
    436,
    'close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret',
  ],
  [448, 'process_mrelease futex_waitv set_mempolicy_home_node'],
  [
    512,
    'rt_sigaction rt_sigreturn ioctl readv writev recvfrom sendmsg recvmsg execve ptrace rt_sigpending rt_sigtimedwait',
  ],
  [
    524,
    'rt_sigqueueinfo sigaltstack timer_create mq_notify kexec_load waitid set_robust_list get_robust_list vmsplice move_pages preadv pwritev',
  ],
  [
    536,
    'rt_tgsigqueueinfo recvmmsg sendmmsg process_vm_readv process_vm_writev setsockopt getsockopt io_setup io_submit execveat preadv2 pwritev2',
  ],
];

const AARCH64_RUNS: Runs = [
  [
    0,
    'io_setup io_destroy io_submit io_cancel io_getevents setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr',
  ],
  [
    12,
    'llistxattr flistxattr removexattr lremovexattr fremovexattr getcwd lookup_dcookie eventfd2 epoll_create1 epoll_ctl epoll_pwait dup',
  ],
  [
    24,
    'dup3 fcntl inotify_init1 inotify_add_watch inotify_rm_watch ioctl ioprio_set ioprio_get flock mknodat mkdirat unlinkat',
  ],
  [36, 'symlinkat linkat renameat umount2 mount pivot_root nfsservctl statfs fstatfs truncate ftruncate fallocate'],
  [48, 'faccessat chdir fchdir chroot fchmod fchmodat fchownat fchown openat close vhangup pipe2'],
  [60, 'quotactl getdents64 lseek read write readv writev pread64 pwrite64 preadv pwritev sendfile'],
  [72, 'pselect6 ppoll signalfd4 vmsplice splice tee readlinkat newfstatat fstat sync fsync fdatasync'],
  [
    84,
    'sync_file_range timerfd_create timerfd_settime timerfd_gettime utimensat acct capget capset personality exit exit_group waitid',
  ],
  [
    96,
    'set_tid_address unshare futex set_robust_list get_robust_list nanosleep getitimer setitimer kexec_load init_module delete_module timer_create',
  ],
  [
    108,
    'timer_gettime timer_getoverrun timer_settime timer_delete clock_settime clock_gettime clock_getres clock_nanosleep syslog ptrace sched_setparam sched_setscheduler',
  ],
  [
    120,
    'sched_getscheduler sched_getparam sched_setaffinity sched_getaffinity sched_yield sched_get_priority_max sched_get_priority_min sched_rr_get_interval restart_syscall kill tkill tgkill',
  ],
  [
    132,
    'sigaltstack rt_sigsuspend rt_sigaction rt_sigprocmask rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigreturn setpriority getpriority reboot setregid',
  ],
  [144, 'setgid setreuid setuid setresuid getresuid setresgid getresgid setfsuid setfsgid times setpgid getpgid'],
  [156, 'getsid setsid getgroups setgroups uname sethostname setdomainname getrlimit setrlimit getrusage umask prctl'],
  [168, 'getcpu gettimeofday settimeofday adjtimex getpid getppid getuid geteuid getgid getegid gettid sysinfo'],
  [
    180,
    'mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr msgget msgctl msgrcv msgsnd semget semctl',
  ],
  [192, 'semtimedop semop shmget shmctl shmat shmdt socket socketpair bind listen accept connect'],
  [204, 'getsockname getpeername sendto recvfrom setsockopt getsockopt shutdown sendmsg recvmsg readahead brk munmap'],
  [216, 'mremap add_key request_key keyctl clone execve mmap fadvise64 swapon swapoff mprotect msync'],
  [
    228,
    'mlock munlock mlockall munlockall mincore madvise remap_file_pages mbind get_mempolicy set_mempolicy migrate_pages move_pages',
  ],
  [240, 'rt_tgsigqueueinfo perf_event_open accept4 recvmmsg arch_specific_syscall'],
  [
    260,
    'wait4 prlimit64 fanotify_init fanotify_mark name_to_handle_at open_by_handle_at clock_adjtime syncfs setns sendmmsg process_vm_readv process_vm_writev',
  ],
  [
    272,
    'kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create bpf execveat userfaultfd membarrier',
  ],
  [
    284,
    'mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free statx io_pgetevents rseq kexec_file_load',
  ],
  [
    424,
    'pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3',
  ],
  [
    436,
    'close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret',
  ],
  [448, 'process_mrelease futex_waitv set_mempolicy_home_node'],
];

function expand(runs: Runs): ReadonlyMap<string, number> {
  const map = new Map<string, number>();
  for (const [first, names] of runs) {
    names.split(' ').forEach((name, i) => {
      if (!map.has(name)) map.set(name, first + i);
    });
  }
  return map;
}

/** The seccomp architectures berth can compile filters for. */
export type SyscallArch = 'x86_64' | 'x86' | 'x32' | 'aarch64';

const cache = new Map<SyscallArch, ReadonlyMap<string, number>>();
const RUNS: Record<SyscallArch, Runs> = { x86_64: X86_64_RUNS, x86: X86_RUNS, x32: X32_RUNS, aarch64: AARCH64_RUNS };

/** name -> number for one architecture (x32 numbers without the 0x40000000 bit). */
export function syscallTable(arch: SyscallArch): ReadonlyMap<string, number> {
  let table = cache.get(arch);
  if (table === undefined) {
    table = expand(RUNS[arch]);
    cache.set(arch, table);
  }
  return table;
}
