/**
 * The seccomp profile of the build runner's job pods, from one definition: containerd's default
 * profile (what `RuntimeDefault` gives a container without CAP_SYS_ADMIN) plus the four syscalls
 * rootless Buildah needs inside the pod's own user namespace. Pulumi-free: the runner config, the
 * node installer, the SPO object, the policy pack and the tests all render it from here.
 */

/** One rule, in the JSON shape the kubelet's Localhost profiles and the OCI runtime spec share. */
export interface SeccompRule {
    readonly names: readonly string[];
    readonly action: "SCMP_ACT_ALLOW" | "SCMP_ACT_ERRNO";
    readonly errnoRet?: number;
    readonly args?: readonly {
        readonly index: number;
        readonly value: number;
        readonly valueTwo?: number;
        readonly op: "SCMP_CMP_EQ" | "SCMP_CMP_MASKED_EQ";
    }[];
}

export interface SeccompProfile {
    readonly defaultAction: "SCMP_ACT_ERRNO";
    readonly defaultErrnoRet: number;
    readonly architectures: readonly string[];
    readonly syscalls: readonly SeccompRule[];
}

const EPERM = 1;
const ENOSYS = 38;

/**
 * containerd's default allow-list: the syscalls it allows every container unconditionally. Names a
 * kernel or libseccomp does not know are skipped by the runtime, so the 32-bit and time64 variants
 * can stay in one list for every architecture.
 */
export const RUNTIME_DEFAULT_ALLOWED: readonly string[] = [
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
    "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
    "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
    "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
    "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64",
    "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
    "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu",
    "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
    "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
    "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
    "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
    "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
    "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
    "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
    "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
    "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
    "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
    "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect",
    "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
    "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
    "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
    "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
    "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
    "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
    "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
    "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
    "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64",
    "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
    "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
    "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit",
    "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
    "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
]; // prettier-ignore

/** The namespace flags of clone(2); containerd's default refuses them without CAP_SYS_ADMIN. */
const CLONE_NAMESPACE_FLAGS =
    0x00020000 /* NEWNS */ |
    0x04000000 /* NEWUTS */ |
    0x08000000 /* NEWIPC */ |
    0x10000000 /* NEWUSER */ |
    0x20000000 /* NEWPID */ |
    0x40000000 /* NEWNET */ |
    0x02000000; /* NEWCGROUP */

/** The conditional rules of containerd's default for a container without CAP_SYS_ADMIN. */
const RUNTIME_DEFAULT_CONDITIONAL: readonly SeccompRule[] = [
    // Only the execution domains a normal process uses (Linux, and the 32-bit/uname26 variants).
    ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map(
        (value): SeccompRule => ({
            names: ["personality"],
            action: "SCMP_ACT_ALLOW",
            args: [{ index: 0, value, op: "SCMP_CMP_EQ" }],
        }),
    ),
    // x86's thread-local storage setup; refused elsewhere as unknown names.
    { names: ["arch_prctl", "modify_ldt"], action: "SCMP_ACT_ALLOW" },
    // Threads and processes, but no new namespace through clone (the flags are argument 0 on x86-64).
    {
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
    },
    // clone3's flags sit behind a pointer seccomp cannot read: ENOSYS makes libc fall back to clone.
    { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS },
];

/**
 * What the build pods need beyond the default, and why. Leaving out any one of them breaks a
 * Buildah build in the pod (proven by test/runners/build-pod-runc.test.ts).
 */
export const BUILD_EXTRA_SYSCALLS: Readonly<Record<string, string>> = {
    unshare:
        "Buildah re-executes itself in a new user (and mount) namespace nested in the pod's own one; the default allows unshare only with CAP_SYS_ADMIN, which the pod does not have.",
    mount: "Inside that nested namespace Buildah mounts the image's rootfs, /proc and /dev for RUN steps; the mounts are confined to the nested mount namespace.",
    umount2: "Buildah detaches those mounts again after each RUN step and when the build container is removed.",
    chroot: "BUILDAH_ISOLATION=chroot runs each RUN step chrooted into the image's rootfs; the default allows chroot only with CAP_SYS_CHROOT.",
};

/** Architectures of the nodes the profile is installed on (x86-64 and arm64 with their 32-bit ABIs). */
const ARCHITECTURES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"];

/** containerd's default profile (`RuntimeDefault`) for a container without CAP_SYS_ADMIN. */
export function runtimeDefaultProfile(): SeccompProfile {
    return {
        defaultAction: "SCMP_ACT_ERRNO",
        defaultErrnoRet: EPERM,
        architectures: ARCHITECTURES,
        syscalls: [{ names: [...RUNTIME_DEFAULT_ALLOWED], action: "SCMP_ACT_ALLOW" }, ...RUNTIME_DEFAULT_CONDITIONAL],
    };
}

/** The build pods' profile: containerd's default plus BUILD_EXTRA_SYSCALLS. */
export function buildSeccompProfile(): SeccompProfile {
    const base = runtimeDefaultProfile();
    return {
        ...base,
        syscalls: [...base.syscalls, { names: Object.keys(BUILD_EXTRA_SYSCALLS), action: "SCMP_ACT_ALLOW" }],
    };
}

/** The profile as the JSON file the kubelet reads from its seccomp directory. */
export function renderBuildSeccompProfile(): string {
    return `${JSON.stringify(buildSeccompProfile(), null, 2)}\n`;
}
