/**
 * What gitlab-runner's Kubernetes executor (v17, the version of the runner image) does on a cluster,
 * for the tests that hold the runner's config and account against a real API server: the job pod it
 * creates from a config.toml (the fields that decide admission, built the way the executor builds
 * them) and the rules its service account holds in a namespace.
 */
import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";

import { kubectlWithInput } from "../support/kubectl";

export type Obj = Record<string, unknown>;

const MODELLED_KEYS = new Set([
    "namespace",
    "image",
    "helper_image",
    "privileged",
    "allow_privilege_escalation",
    "cap_add",
    "cap_drop",
    "service_account",
    "automount_service_account_token",
    "cpu_request",
    "cpu_limit",
    "memory_request",
    "memory_limit",
    "helper_cpu_request",
    "helper_cpu_limit",
    "helper_memory_request",
    "helper_memory_limit",
    "poll_timeout",
    "pod_security_context",
    "init_permissions_container_security_context",
    "build_container_security_context",
    "helper_container_security_context",
    "service_container_security_context",
    "pod_spec",
]);

export function table(value: unknown): Obj {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : {};
}
function strings(value: unknown): string[] | undefined {
    return Array.isArray(value) ? value.map(String) : undefined;
}

/**
 * The executor's container security context: the section's own values, else the executor-wide
 * `privileged` / `allow_privilege_escalation`; capabilities are the executor's default drop
 * (NET_RAW) with `cap_add`/`cap_drop`, replaced by the section's lists where it has them.
 */
function containerSecurityContext(k: Obj, sectionName: string): Obj {
    const section = table(k[sectionName]);
    const enabled = new Map<string, boolean>([["NET_RAW", false]]);
    for (const cap of strings(k.cap_add) ?? []) {
        enabled.set(cap, true);
    }
    for (const cap of strings(k.cap_drop) ?? []) {
        enabled.set(cap, false);
    }
    const own = table(section.capabilities);
    const add = strings(own.add) ?? [...enabled].filter(([, on]) => on).map(([cap]) => cap);
    const drop = strings(own.drop) ?? [...enabled].filter(([, on]) => !on).map(([cap]) => cap);
    const context: Obj = {
        capabilities: { ...(add.length > 0 ? { add } : {}), ...(drop.length > 0 ? { drop } : {}) },
        privileged: section.privileged ?? k.privileged,
        allowPrivilegeEscalation: section.allow_privilege_escalation ?? k.allow_privilege_escalation,
        runAsNonRoot: section.run_as_non_root,
        runAsUser: section.run_as_user,
        runAsGroup: section.run_as_group,
        readOnlyRootFilesystem: section.read_only_root_filesystem,
    };
    return Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
}

/** A strategic merge of a patch made of maps and scalars (a list would need merge keys: refused). */
function mergePatch(target: Obj, patch: Obj): Obj {
    const out: Obj = { ...target };
    for (const [key, value] of Object.entries(patch)) {
        if (Array.isArray(value)) {
            throw new Error(`pod_spec patch sets the list ${key}: model its merge key before relying on it`);
        }
        out[key] = value !== null && typeof value === "object" ? mergePatch(table(target[key]), value as Obj) : value;
    }
    return out;
}

/** The pod the executor creates for a job from `configToml`, with `overrides` on `[runners.kubernetes]`. */
export function jobPod(configToml: string, runnerImage: string, overrides: Obj = {}): Obj {
    const doc = parseToml(configToml) as Obj;
    const runner = table((doc.runners as unknown[] | undefined)?.[0]);
    assert.equal(runner.executor, "kubernetes");
    const k = { ...table(runner.kubernetes), ...overrides };
    const unknown = Object.keys(k).filter((key) => !MODELLED_KEYS.has(key));
    assert.deepEqual(unknown, [], "config.toml sets [runners.kubernetes] keys this pod builder does not model");
    assert.equal(table(runner.feature_flags).FF_USE_LEGACY_KUBERNETES_EXECUTION_STRATEGY, undefined);

    // The executor's default helper image follows the runner's version.
    const version = /v\d+\.\d+\.\d+/.exec(runnerImage)?.[0];
    assert.ok(version !== undefined, `no version in the runner image ${runnerImage}`);
    const helperImage =
        (k.helper_image as string | undefined) ??
        `registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-${version}`;
    const quantities = (entries: Record<string, unknown>): Obj | undefined => {
        const set = Object.entries(entries).filter(([, v]) => v !== undefined);
        return set.length > 0 ? Object.fromEntries(set) : undefined;
    };
    const resources = (prefix: string): Obj => {
        const requests = quantities({ cpu: k[`${prefix}cpu_request`], memory: k[`${prefix}memory_request`] });
        const limits = quantities({ cpu: k[`${prefix}cpu_limit`], memory: k[`${prefix}memory_limit`] });
        return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
    };
    const mounts = [
        { name: "scripts", mountPath: "/scripts-1-1" },
        { name: "logs", mountPath: "/logs-1-1" },
        { name: "repo", mountPath: "/builds" },
    ];
    const podContext = table(k.pod_security_context);
    let spec: Obj = {
        restartPolicy: "Never",
        serviceAccountName: k.service_account,
        ...(k.automount_service_account_token === undefined
            ? {}
            : { automountServiceAccountToken: k.automount_service_account_token }),
        securityContext: Object.fromEntries(
            Object.entries({
                runAsNonRoot: podContext.run_as_non_root,
                runAsUser: podContext.run_as_user,
                runAsGroup: podContext.run_as_group,
                fsGroup: podContext.fs_group,
            }).filter(([, v]) => v !== undefined),
        ),
        volumes: ["repo", "scripts", "logs"].map((name) => ({ name, emptyDir: {} })),
        // Not under the legacy execution strategy (the default): the log file is prepared by this one.
        initContainers: [
            {
                name: "init-permissions",
                image: helperImage,
                command: ["sh", "-c", "touch /logs-1-1/output.log && (chmod 777 /logs-1-1/output.log || exit 0)"],
                resources: resources("helper_"),
                securityContext: containerSecurityContext(k, "init_permissions_container_security_context"),
                volumeMounts: mounts,
            },
        ],
        containers: [
            {
                name: "build",
                image: k.image,
                command: ["sh", "-c", "sleep 3600"],
                stdin: true,
                resources: resources(""),
                securityContext: containerSecurityContext(k, "build_container_security_context"),
                volumeMounts: mounts,
            },
            {
                name: "helper",
                image: helperImage,
                command: ["sh", "-c", "sleep 3600"],
                stdin: true,
                resources: resources("helper_"),
                securityContext: containerSecurityContext(k, "helper_container_security_context"),
                volumeMounts: mounts,
            },
        ],
    };
    // The pod_spec patches apply only with FF_USE_ADVANCED_POD_SPEC_CONFIGURATION, which the
    // feature_flags table sets beyond a job's reach (the environment would leave it to the job).
    if (table(runner.feature_flags).FF_USE_ADVANCED_POD_SPEC_CONFIGURATION === true) {
        for (const entry of (k.pod_spec as unknown[] | undefined) ?? []) {
            const patch = table(entry);
            assert.equal(patch.patch_type, "strategic", `pod_spec ${String(patch.name)}`);
            spec = mergePatch(spec, table(parseYaml(String(patch.patch))));
        }
    }
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            generateName: "runner-job-",
            namespace: k.namespace,
            labels: { "job.runner.gitlab.com/pod": "runner-job" },
        },
        spec,
    };
}

/** The SelfSubjectRulesReview of `as` in `namespace`: `resource:verb`, without what every user may do. */
export async function rulesReview(env: NodeJS.ProcessEnv, as: string, namespace: string): Promise<string[]> {
    const body = JSON.stringify({
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectRulesReview",
        spec: { namespace },
    });
    // Client-side validation would list CRDs cluster-wide, which this account may not.
    const out = await kubectlWithInput(env, ["create", "--validate=false", "-f", "-", "-o", "json", as], body);
    assert.equal(out.code, 0, out.stderr);
    const status = (JSON.parse(out.stdout) as { status: { resourceRules: { resources: string[]; verbs: string[] }[] } })
        .status;
    return status.resourceRules
        .flatMap((rule) => rule.resources.flatMap((r) => rule.verbs.map((v) => `${r}:${v}`)))
        .filter((rule) => !/^selfsubject\w+(\.[\w.]+)?:create$/.test(rule))
        .sort();
}
