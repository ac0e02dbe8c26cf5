import { parse, TomlError } from "smol-toml";

import { dict, type Dict, isDict, list, str } from "./values";

/** Executors that start job containers through a Docker-compatible API (Docker or rootless Podman). */
export const DOCKER_EXECUTORS: ReadonlySet<string> = new Set([
    "docker",
    "docker-windows",
    "docker+machine",
    "docker-autoscaler",
]);
/** Executors whose `privileged` setting lives in `[runners.kubernetes]`. */
export const KUBERNETES_EXECUTORS: ReadonlySet<string> = new Set(["kubernetes"]);

/** Keys that grant job containers privileges when true, wherever they appear in a runner section. */
const PRIVILEGE_KEYS = ["privileged", "services_privileged", "allow_privilege_escalation"];

/**
 * The only capabilities a build container may add: namespaced in the job pod's own user namespace,
 * they let rootless Buildah map ids and call setgroups (the platform's build runner adds exactly these).
 */
export const BUILD_CAPABILITIES: ReadonlySet<string> = new Set(["SETUID", "SETGID", "SETFCAP"]);
/** Containers of a Kubernetes job pod that must add nothing at all. */
const NON_BUILD_CONTEXTS = [
    "helper_container_security_context",
    "service_container_security_context",
    "init_permissions_container_security_context",
];

/** Problems of a Kubernetes executor's job pods: added capabilities, and what confines them. */
function kubernetesPodProblems(kubernetes: Dict, label: string): string[] {
    const problems: string[] = [];
    const capName = (cap: unknown): string => String(cap).toUpperCase().replace(/^CAP_/, "");
    const buildAdds = [
        ...list(kubernetes.cap_add),
        ...list(dict(dict(kubernetes.build_container_security_context)?.capabilities)?.add),
    ].map(capName);
    const beyond = buildAdds.filter((cap) => !BUILD_CAPABILITIES.has(cap));
    if (beyond.length > 0) {
        problems.push(
            `${label} adds ${beyond.join(", ")} to the build container; only ${[...BUILD_CAPABILITIES].join(", ")} are allowed (namespaced in the pod's user namespace). Fix: remove them.`,
        );
    }
    for (const section of NON_BUILD_CONTEXTS) {
        const added = list(dict(dict(kubernetes[section])?.capabilities)?.add).map(capName);
        if (added.length > 0) {
            problems.push(
                `${label} adds ${added.join(", ")} in runners.kubernetes.${section}; only the build container may add capabilities. Fix: remove them.`,
            );
        }
    }
    const patches = list(kubernetes.pod_spec)
        .map((entry) => str(dict(entry)?.patch) ?? "")
        .join("\n");
    if (/\btype:\s*["']?Unconfined\b/.test(patches)) {
        problems.push(
            `${label} runs its job pods Unconfined (a seccompProfile or appArmorProfile of type Unconfined in runners.kubernetes.pod_spec). Fix: use RuntimeDefault or the platform's Localhost profile.`,
        );
    }
    if (buildAdds.length > 0) {
        if (!/\bhostUsers:\s*false\b/.test(patches)) {
            problems.push(
                `${label} adds capabilities without a user namespace per job pod, so they would be the node's. Fix: set hostUsers: false in a runners.kubernetes.pod_spec patch.`,
            );
        }
        if (!/\bseccompProfile:\s*\n\s*type:\s*["']?(RuntimeDefault|Localhost)\b/.test(patches)) {
            problems.push(
                `${label} adds capabilities but sets no seccomp profile for its job pods (the kubelet's default is Unconfined). Fix: set seccompProfile type Localhost (the platform's build profile) in a runners.kubernetes.pod_spec patch.`,
            );
        }
    }
    return problems;
}

/** True for a text that is a GitLab Runner config.toml (it has a `[[runners]]` table array). */
export function isRunnerConfig(key: string, text: string): boolean {
    return key.endsWith(".toml") && /^\s*\[\[\s*runners\s*\]\]/m.test(text);
}

function walk(value: unknown, path: string, visit: (key: string, value: unknown, path: string) => void): void {
    if (isDict(value)) {
        for (const [key, field] of Object.entries(value)) {
            visit(key, field, `${path}.${key}`);
            walk(field, `${path}.${key}`, visit);
        }
    } else if (Array.isArray(value)) {
        value.forEach((item, index) => {
            walk(item, `${path}[${index}]`, visit);
        });
    }
}

/**
 * Problems of a runner config.toml, each with where and how to fix it. The decision on an absent
 * `privileged`: it does not count as false. Docker-family and Kubernetes executors must say
 * `privileged = false` explicitly in their section (our renderers do), because that line is what a
 * reviewer sees and what survives a change of executor defaults; shell, ssh, custom and VM
 * executors have no such setting and are not checked for it.
 */
export function runnerConfigProblems(text: string): string[] {
    let document: Dict;
    try {
        document = parse(text) as Dict;
    } catch (error) {
        // The parser's message quotes the offending line, which may hold the runner token: leave it out.
        const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : "";
        return [`it does not parse as TOML${where}, so GitLab Runner would not start. Fix the syntax there.`];
    }
    const problems: string[] = [];
    list(document.runners).forEach((entry, index) => {
        const runner = dict(entry) ?? {};
        const label = `runners[${index}] ("${str(runner.name) ?? "unnamed"}")`;
        const executor = str(runner.executor) ?? "";

        walk(runner, `runners[${index}]`, (key, value, path) => {
            if (PRIVILEGE_KEYS.includes(key) && value === true) {
                problems.push(
                    `${label} sets ${path} = true, which lets jobs run privileged containers (root on the node). Fix: set ${key} = false.`,
                );
            }
        });

        const section = DOCKER_EXECUTORS.has(executor)
            ? "docker"
            : KUBERNETES_EXECUTORS.has(executor)
              ? "kubernetes"
              : undefined;
        if (section !== undefined) {
            const privileged = dict(runner[section])?.privileged;
            if (privileged === undefined) {
                problems.push(
                    `${label} uses the ${executor} executor but [runners.${section}] does not set privileged; an absent flag is not accepted. ` +
                        `Fix: add privileged = false to [runners.${section}].`,
                );
            }
        }

        const docker = dict(runner.docker);
        list(docker?.volumes).forEach((volume, volumeIndex) => {
            if (typeof volume === "string" && /docker\.sock|podman\.sock|containerd\.sock/.test(volume)) {
                problems.push(
                    `${label} mounts the container engine socket into jobs (runners.docker.volumes[${volumeIndex}] = "${volume}"), which is root on the host. ` +
                        "Fix: remove that volume; build with rootless Buildah/Podman inside the job instead.",
                );
            }
        });
        const added = list(docker?.cap_add).filter(
            (cap) => typeof cap === "string" && cap.toUpperCase().replace(/^CAP_/, "") !== "NET_BIND_SERVICE",
        );
        if (added.length > 0) {
            problems.push(
                `${label} adds capabilities ${added.map(String).join(", ")} to job containers (runners.docker.cap_add). Fix: remove them and keep cap_drop = ["ALL"].`,
            );
        }
        if (KUBERNETES_EXECUTORS.has(executor)) {
            problems.push(...kubernetesPodProblems(dict(runner.kubernetes) ?? {}, label));
        }
        const hostPaths = list(dict(dict(runner.kubernetes)?.volumes)?.host_path);
        if (hostPaths.length > 0) {
            problems.push(
                `${label} mounts hostPath volumes into job pods (runners.kubernetes.volumes.host_path). Fix: use empty_dir, pvc, secret or config_map volumes instead.`,
            );
        }
    });
    return problems;
}
