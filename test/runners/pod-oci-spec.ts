/**
 * The OCI runtime configuration containerd's CRI plugin gives the build container of a GitLab
 * Kubernetes-executor job pod, derived from the RENDERED config.toml (its security contexts, its
 * environment) and its pod_spec patch (user namespace, seccomp), so a test can run that container
 * with runc and see what a job would see.
 *
 * What containerd does and this mirrors: for `hostUsers: false` a user namespace whose ids 0-65535
 * map onto a 65536-id range of the node that belongs to no other pod, the rootfs owned accordingly
 * (idmapped or chowned snapshot); pid/ipc/uts/mount/network/cgroup namespaces of the pod; the
 * capability sets start from containerd's default set, `drop: [ALL]` empties them, `add` puts its
 * names back into bounding, permitted and effective; no_new_privs from allowPrivilegeEscalation:
 * false; the user from the container's runAsUser/runAsGroup (else the pod's), fsGroup as a
 * supplementary group; the seccomp profile: RuntimeDefault is containerd's default for the
 * container's capabilities, Localhost the file the kubelet reads; emptyDir volumes as bind mounts
 * of node directories the kubelet made 0777 and gave to fsGroup; containerd's masked and read-only
 * /proc paths. Not mirrored: AppArmor (this machine has none) and resource limits (cgroup knobs,
 * not security).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";

import { type SeccompProfile } from "../../components/runners/build-seccomp-profile";

type Obj = Record<string, unknown>;

/** The build container's security settings, as the rendered config.toml states them. */
export interface JobPodSecurity {
    readonly hostUsers: boolean;
    readonly uid: number;
    readonly gid: number;
    readonly fsGroup: number | undefined;
    readonly capAdd: readonly string[];
    readonly capDrop: readonly string[];
    readonly allowPrivilegeEscalation: boolean;
    readonly seccomp: { readonly type: "RuntimeDefault" } | { readonly type: "Localhost"; readonly path: string };
    readonly environment: readonly string[];
    readonly image: string;
}

function obj(value: unknown, where: string): Obj {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Error(`config.toml: ${where} is missing or not a table`);
    }
    return value as Obj;
}

function num(value: unknown): number | undefined {
    return typeof value === "number" ? value : undefined;
}

/** Reads the build container's security settings out of a rendered config.toml. */
export function jobPodSecurity(configToml: string): JobPodSecurity {
    const doc = parseToml(configToml) as Obj;
    const runner = obj((doc.runners as unknown[] | undefined)?.[0], "runners[0]");
    const k = obj(runner.kubernetes, "runners.kubernetes");
    const pod = obj(k.pod_security_context, "runners.kubernetes.pod_security_context");
    const build = obj(k.build_container_security_context, "runners.kubernetes.build_container_security_context");
    const caps = (build.capabilities ?? {}) as Obj;
    // The patch applies only with the feature flag; without it the pod would have none of it.
    const flags = (runner.feature_flags ?? {}) as Obj;
    const patches = flags.FF_USE_ADVANCED_POD_SPEC_CONFIGURATION === true ? ((k.pod_spec ?? []) as Obj[]) : [];
    let hostUsers = true;
    let seccomp: JobPodSecurity["seccomp"] | undefined;
    for (const entry of patches) {
        const patch = parseYaml(String(entry.patch)) as Obj;
        if (patch.hostUsers === false) {
            hostUsers = false;
        }
        const profile = ((patch.securityContext ?? {}) as Obj).seccompProfile as Obj | undefined;
        if (profile?.type === "RuntimeDefault") {
            seccomp = { type: "RuntimeDefault" };
        } else if (profile?.type === "Localhost") {
            seccomp = { type: "Localhost", path: String(profile.localhostProfile) };
        } else if (profile !== undefined) {
            throw new Error(`pod_spec patch: seccompProfile type ${String(profile.type)} is not mirrored here`);
        }
    }
    if (seccomp === undefined) {
        throw new Error("config.toml: no seccomp profile in the pod_spec patch (the kubelet would run Unconfined)");
    }
    const uid = num(build.run_as_user) ?? num(pod.run_as_user);
    if (uid === undefined) {
        throw new Error("config.toml: no run_as_user for the build container");
    }
    const allowEscalation = build.allow_privilege_escalation ?? k.allow_privilege_escalation;
    return {
        hostUsers,
        uid,
        gid: num(build.run_as_group) ?? num(pod.run_as_group) ?? 0,
        fsGroup: num(pod.fs_group),
        capAdd: (caps.add ?? k.cap_add ?? []) as string[],
        capDrop: (caps.drop ?? k.cap_drop ?? []) as string[],
        allowPrivilegeEscalation: allowEscalation !== false,
        seccomp,
        environment: (runner.environment ?? []) as string[],
        image: String(k.image),
    };
}

/** containerd's default capability set of a container (what `drop`/`add` start from). */
const CONTAINERD_DEFAULT_CAPS = [
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
    "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
]; // prettier-ignore

export function capabilitySet(security: JobPodSecurity): string[] {
    const drop = security.capDrop.map((c) => c.toUpperCase());
    const kept = drop.includes("ALL") ? [] : CONTAINERD_DEFAULT_CAPS.filter((c) => !drop.includes(c));
    return [...new Set([...kept, ...security.capAdd.map((c) => c.toUpperCase())])].map((c) => `CAP_${c}`);
}

const MASKED_PATHS = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
]; // prettier-ignore
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

export interface Volume {
    /** Directory on the node. */
    readonly source: string;
    readonly destination: string;
}

export interface OciOptions {
    readonly security: JobPodSecurity;
    /** The profile the container gets: the Localhost file's content, or RuntimeDefault's. */
    readonly seccompProfile: SeccompProfile;
    /** First node id of the pod's 65536-id range. */
    readonly hostIdBase: number;
    readonly volumes: readonly Volume[];
    readonly args: readonly string[];
    readonly cwd: string;
    /** The image's own environment (its PATH). */
    readonly imageEnv: readonly string[];
    readonly cgroupsPath: string;
    /** The container's rootfs on the node (its /etc/passwd gives HOME). */
    readonly rootfs: string;
}

/** HOME as containerd sets it: the user's entry in the image's /etc/passwd, else "/". */
export function homeOf(rootfs: string, uid: number): string {
    const passwd = existsSync(join(rootfs, "etc", "passwd")) ? readFileSync(join(rootfs, "etc", "passwd"), "utf8") : "";
    const entry = passwd
        .split("\n")
        .map((line) => line.split(":"))
        .find((fields) => fields[2] === String(uid));
    return entry?.[5] ?? "/";
}

export function ociConfig(options: OciOptions): Obj {
    const { security } = options;
    const caps = capabilitySet(security);
    const ns = ["pid", "ipc", "uts", "mount", "network", "cgroup"].map((type) => ({ type }));
    const mapping = [{ containerID: 0, hostID: options.hostIdBase, size: 65536 }];
    return {
        ociVersion: "1.0.2",
        process: {
            terminal: false,
            user: {
                uid: security.uid,
                gid: security.gid,
                additionalGids: security.fsGroup === undefined ? [] : [security.fsGroup],
            },
            args: options.args,
            env: [...options.imageEnv, ...security.environment, `HOME=${homeOf(options.rootfs, security.uid)}`],
            cwd: options.cwd,
            capabilities: { bounding: caps, effective: caps, permitted: caps },
            noNewPrivileges: !security.allowPrivilegeEscalation,
        },
        root: { path: "rootfs", readonly: false },
        hostname: "job-pod",
        mounts: [
            { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
            {
                destination: "/dev",
                type: "tmpfs",
                source: "tmpfs",
                options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {
                destination: "/dev/pts",
                type: "devpts",
                source: "devpts",
                options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
            },
            {
                destination: "/dev/shm",
                type: "tmpfs",
                source: "shm",
                options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
            },
            { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
            { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
            ...options.volumes.map((v) => ({
                destination: v.destination,
                type: "bind",
                source: v.source,
                options: ["rbind", "rprivate", "rw"],
            })),
        ],
        linux: {
            namespaces: security.hostUsers ? ns : [...ns, { type: "user" }],
            ...(security.hostUsers ? {} : { uidMappings: mapping, gidMappings: mapping }),
            seccomp: options.seccompProfile,
            maskedPaths: MASKED_PATHS,
            readonlyPaths: READONLY_PATHS,
            cgroupsPath: options.cgroupsPath,
        },
    };
}
