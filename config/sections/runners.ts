import { z } from "zod";

import {
    BUILD_RUNNER_DEFAULTS,
    JENKINS_AGENT_DEFAULTS,
    RUNNER_DEFAULTS,
    RUNNER_NAMESPACE_DEFAULTS,
} from "../../components/shared/defaults";
import { isQuantity, quantityValue } from "../../components/shared/validators";
import type { namespacesSchema } from "./cluster";
import type { privateRegistrySchema } from "./registry";
import {
    describe,
    dnsLabel,
    type Environment,
    ENVIRONMENTS,
    imageReference,
    integer,
    quantity,
    registryHost,
    resourcesSchema,
    strict,
} from "../schema-fields";

/** The `runners` section: Kubernetes-executor runners, rootless Podman hosts and the rules between them. */

export function isHttpUrl(value: string): boolean {
    try {
        const url = new URL(value);
        return (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "";
    } catch {
        return false;
    }
}

export const gitlabUrl = z.string({ error: (i) => `${describe(i.input)} is not a string` }).refine(isHttpUrl, {
    error: (i) => `${describe(i.input)} is not an http(s) URL without credentials (e.g. https://gitlab.example.com)`,
});

/** GitLab's runner tags, kept to characters that need no quoting anywhere they travel. */
export const runnerTag = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/, {
    error: (i) => `${describe(i.input)} is not a runner tag (letters, digits, '_', '.', ':', '-'; at most 63)`,
});
export const runnerTags = z.array(runnerTag, { error: "must be a list of tags" });

/** The runner namespace's ceiling; docs/config.md shows these defaults. */
export const runnerQuotaSchema = strict({
    cpu: quantity.default(RUNNER_NAMESPACE_DEFAULTS.quota.cpu),
    memory: quantity.default(RUNNER_NAMESPACE_DEFAULTS.quota.memory),
    pods: integer(2, 1000).default(RUNNER_NAMESPACE_DEFAULTS.quota.pods),
});

export const runnerCacheSchema = strict({
    /** S3 endpoint, host[:port]. Its keys are the secrets runnerCacheAccessKey and runnerCacheSecretKey. */
    serverAddress: registryHost,
    bucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
        error: (i) => `${describe(i.input)} is not an S3 bucket name`,
    }),
});

export const kubernetesRunnerSchema = strict({
    enabled: z.boolean({ error: "must be true or false" }).default(RUNNER_DEFAULTS.kubernetesEnabled),
    namespace: dnsLabel.default(RUNNER_DEFAULTS.namespace),
    tags: runnerTags.default([...RUNNER_DEFAULTS.tags]),
    concurrent: integer(1, 100).default(RUNNER_DEFAULTS.concurrent),
    jobImage: imageReference.default(RUNNER_DEFAULTS.jobImage),
    runnerImage: imageReference.default(RUNNER_DEFAULTS.runnerImage),
    jobResources: resourcesSchema(RUNNER_DEFAULTS.jobResources).optional(),
    cache: runnerCacheSchema.optional(),
    quota: runnerQuotaSchema.default(runnerQuotaSchema.parse({})),
});

/** How the build pods' seccomp profile reaches the nodes: the config's short names for the component's. */
export const SECCOMP_DELIVERIES = {
    spo: "security-profiles-operator",
    installer: "node-installer",
} as const;

const labelKey = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

export const nodeSelectorSchema = z
    .record(
        z.string().regex(labelKey, { error: (i) => `${describe(i.input)} is not a Kubernetes label key` }),
        z.string().regex(labelValue, { error: (i) => `${describe(i.input)} is not a Kubernetes label value` }),
    )
    .refine((selector) => Object.keys(selector).length > 0, {
        error: "must name at least one label: only the nodes that have the seccomp profile may run build pods",
    });

/**
 * A Jenkins controller's Kubernetes cloud running its agent pods in the build runner's namespace
 * (they have the build pods' shape): its service account, Role and egress to the controller.
 */
export const jenkinsAgentsSchema = strict({
    /** The controller's web port (WebSocket agents) and/or its TCP agent port. */
    controllerPorts: z
        .array(integer(1, 65535, "a TCP port (1-65535)"), { error: "must be a list of TCP ports" })
        .min(1, { error: "must name at least one port of the controller" })
        .default([...JENKINS_AGENT_DEFAULTS.controllerPorts]),
});

/**
 * The build runner: job pods that can run rootless Buildah (their own user namespace, SETUID,
 * SETGID and SETFCAP, a Localhost seccomp profile), in a namespace that enforces Pod Security
 * baseline. Its tags are what the templates' build and test jobs ask for.
 */
export const buildRunnerSchema = strict({
    enabled: z.boolean({ error: "must be true or false" }).default(BUILD_RUNNER_DEFAULTS.enabled),
    namespace: dnsLabel.default(BUILD_RUNNER_DEFAULTS.namespace),
    tags: runnerTags.default([...BUILD_RUNNER_DEFAULTS.tags]),
    concurrent: integer(1, 100).default(RUNNER_DEFAULTS.concurrent),
    jobImage: imageReference.default(RUNNER_DEFAULTS.jobImage),
    runnerImage: imageReference.default(RUNNER_DEFAULTS.runnerImage),
    jobResources: resourcesSchema(RUNNER_DEFAULTS.jobResources).optional(),
    quota: runnerQuotaSchema.default(runnerQuotaSchema.parse({})),
    /** `spo`: a SeccompProfile for the Security Profiles Operator; `installer`: a node-installer DaemonSet. */
    seccompDelivery: z
        .enum(["spo", "installer"], { error: (i) => `${describe(i.input)} is not "spo" or "installer"` })
        .default(BUILD_RUNNER_DEFAULTS.seccompDelivery === "node-installer" ? "installer" : "spo"),
    /** Nodes that get the profile; the build pods are scheduled on them only. */
    nodeSelector: nodeSelectorSchema.default({ ...BUILD_RUNNER_DEFAULTS.nodeSelector }),
    /** A Localhost AppArmor profile loaded on those nodes that lets the build mount. */
    appArmorProfile: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.\/-]{0,252}$/, {
            error: (i) => `${describe(i.input)} is not an AppArmor profile name`,
        })
        .optional(),
    /** The node installer's namespace (Pod Security privileged). */
    installerNamespace: dnsLabel.default(BUILD_RUNNER_DEFAULTS.installerNamespace),
    /** Jenkins agents in this namespace too; absent: no Jenkins access. */
    jenkinsAgents: jenkinsAgentsSchema.optional(),
});

const SSH_HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const SSH_HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;

export const podmanHostSchema = strict({
    /** Names the host in resource names, messages and podmanRunnerTokens. */
    name: dnsLabel,
    host: z.string().regex(SSH_HOST, { error: (i) => `${describe(i.input)} is not a host name or IPv4 address` }),
    port: integer(1, 65535, "a port (1-65535)").default(RUNNER_DEFAULTS.sshPort),
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, {
        error: (i) => `${describe(i.input)} is not a Unix user name`,
    }),
    /** Checked instead of trusting whatever key answers first. */
    hostKey: z.string().regex(SSH_HOST_KEY, {
        error: "is not an SSH public host key line (e.g. ssh-ed25519 AAAA…, from ssh-keyscan or /etc/ssh/*.pub)",
    }),
    podmanUid: integer(1, 2_147_483_647, "a non-root uid").default(RUNNER_DEFAULTS.podmanUid),
    tags: runnerTags.default([...RUNNER_DEFAULTS.tags]),
    concurrent: integer(1, 100).default(RUNNER_DEFAULTS.concurrent),
    jobImage: imageReference.default(RUNNER_DEFAULTS.jobImage),
    configPath: z
        .string()
        .regex(/^(~\/|\/)[^\0\n]+$/, { error: "must be an absolute path or start with ~/" })
        .default(RUNNER_DEFAULTS.podmanConfigPath),
});

/** The parts of a stack config the runner rules read. */
export interface RunnerRuleInput {
    readonly environment: Environment;
    readonly namespaces: z.output<typeof namespacesSchema>;
    readonly privateRegistry: z.output<typeof privateRegistrySchema>;
    readonly runners: z.output<typeof runnersSchema>;
}

/**
 * Jobs pick runners by tag: a runner carrying its own environment's tag and no other's is what keeps
 * a production job off a staging runner and the other way round.
 */
export function environmentTagProblem(tags: readonly string[], environment: Environment): string | undefined {
    const others = ENVIRONMENTS.filter((e) => e !== environment && tags.includes(e));
    if (others.length > 0) {
        return `must not include ${others.map((e) => `"${e}"`).join(", ")}: that is another environment's tag, and its jobs would run here`;
    }
    if (!tags.includes(environment)) {
        return `must include "${environment}", so this environment's jobs pick this runner and no other environment's (got [${tags.join(", ")}])`;
    }
    return undefined;
}

type KubernetesRunnerConfig = Pick<z.output<typeof kubernetesRunnerSchema>, "concurrent" | "jobResources" | "quota">;

const QUOTA_RESOURCES = [
    { resource: "cpu", limit: "cpuLimit", format: (cores: number) => `${Math.ceil(cores * 1000)}m` },
    { resource: "memory", limit: "memoryLimit", format: (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}Mi` },
] as const;

/**
 * The quota caps the namespace's limits, so with fewer than `concurrent` job pods' worth (build and
 * helper containers, before any services) plus the manager, jobs wait for quota that never frees.
 */
function quotaCapacityProblems(kubernetes: KubernetesRunnerConfig): { resource: string; message: string }[] {
    const job = { ...RUNNER_DEFAULTS.jobResources, ...kubernetes.jobResources };
    return QUOTA_RESOURCES.flatMap(({ resource, limit, format }) => {
        const build = job[limit];
        const helper = RUNNER_DEFAULTS.helperLimits[resource];
        const manager = RUNNER_DEFAULTS.managerResources[limit];
        const quota = kubernetes.quota[resource];
        // A value that is no quantity has a message of its own already.
        if (![build, quota].every(isQuantity)) {
            return [];
        }
        const needed = kubernetes.concurrent * (quantityValue(build) + quantityValue(helper)) + quantityValue(manager);
        if (quantityValue(quota) >= needed) {
            return [];
        }
        return [
            {
                resource,
                message:
                    `"${quota}" cannot hold ${kubernetes.concurrent} concurrent jobs at their limits (build ${build} + ` +
                    `helper ${helper} each) and the runner manager (${manager}); make it at least ${format(needed)}, ` +
                    "or lower concurrent or jobResources",
            },
        ];
    });
}

function buildRunnerRules(config: RunnerRuleInput, issue: (path: (string | number)[], message: string) => void): void {
    const { build, kubernetes } = config.runners;
    if (!build.enabled) {
        if (build.jenkinsAgents !== undefined) {
            issue(
                ["build", "jenkinsAgents"],
                "needs runners.build.enabled: Jenkins agent pods run in the build runner's namespace, under its Pod Security level and seccomp profile",
            );
        }
        return;
    }
    const tagProblem = environmentTagProblem(build.tags, config.environment);
    if (tagProblem !== undefined) {
        issue(["build", "tags"], tagProblem);
    }
    const taken = new Map<string, string>([
        [config.namespaces.apps, "namespaces.apps"],
        [config.namespaces.monitoring, "namespaces.monitoring"],
        [build.installerNamespace, "runners.build.installerNamespace"],
    ]);
    if (kubernetes.enabled) {
        taken.set(kubernetes.namespace, "runners.kubernetes.namespace (the general runner's jobs are restricted)");
    }
    if (config.privateRegistry.enabled) {
        taken.set(config.privateRegistry.namespace, "privateRegistry.namespace");
    }
    const clash = taken.get(build.namespace);
    if (clash !== undefined) {
        issue(
            ["build", "namespace"],
            `"${build.namespace}" is already ${clash}; build pods get a namespace of their own`,
        );
    }
    if (config.privateRegistry.enabled && !config.privateRegistry.pushNamespaces.includes(build.namespace)) {
        issue(
            ["build", "namespace"],
            `"${build.namespace}" is not in privateRegistry.pushNamespaces, so its build jobs could not push to the platform registry`,
        );
    }
    for (const problem of quotaCapacityProblems(build)) {
        issue(["build", "quota", problem.resource], problem.message);
    }
    if (build.quota.pods <= build.concurrent) {
        issue(
            ["build", "quota", "pods"],
            `${build.quota.pods} leaves no room for ${build.concurrent} concurrent jobs and the runner manager; make it at least ${build.concurrent + 1}`,
        );
    }
}

export function runnerRules(config: RunnerRuleInput, ctx: z.RefinementCtx): void {
    const { kubernetes, podmanHosts, gitlabUrl: url } = config.runners;
    const issue = (path: (string | number)[], message: string): void => {
        ctx.addIssue({ code: "custom", path: ["runners", ...path], message });
    };
    if (url === undefined && (kubernetes.enabled || config.runners.build.enabled || podmanHosts.length > 0)) {
        issue(
            ["gitlabUrl"],
            "is required when a runner is configured (runners.kubernetes.enabled, runners.build.enabled or runners.podmanHosts)",
        );
    }
    if (kubernetes.enabled) {
        const tagProblem = environmentTagProblem(kubernetes.tags, config.environment);
        if (tagProblem !== undefined) {
            issue(["kubernetes", "tags"], tagProblem);
        }
        const taken = new Map<string, string>([
            [config.namespaces.apps, "namespaces.apps"],
            [config.namespaces.monitoring, "namespaces.monitoring"],
        ]);
        if (config.privateRegistry.enabled) {
            taken.set(config.privateRegistry.namespace, "privateRegistry.namespace");
        }
        const clash = taken.get(kubernetes.namespace);
        if (clash !== undefined) {
            issue(
                ["kubernetes", "namespace"],
                `"${kubernetes.namespace}" is already ${clash}; job pods get a namespace of their own`,
            );
        }
        if (config.privateRegistry.enabled && !config.privateRegistry.pushNamespaces.includes(kubernetes.namespace)) {
            issue(
                ["kubernetes", "namespace"],
                `"${kubernetes.namespace}" is not in privateRegistry.pushNamespaces, so its jobs could not push to the platform registry`,
            );
        }
        for (const problem of quotaCapacityProblems(kubernetes)) {
            issue(["kubernetes", "quota", problem.resource], problem.message);
        }
        if (kubernetes.quota.pods <= kubernetes.concurrent) {
            issue(
                ["kubernetes", "quota", "pods"],
                `${kubernetes.quota.pods} leaves no room for ${kubernetes.concurrent} concurrent jobs and the runner manager; make it at least ${kubernetes.concurrent + 1}`,
            );
        }
    }
    buildRunnerRules(config, issue);
    const seen = new Set<string>();
    podmanHosts.forEach((host, index) => {
        if (seen.has(host.name)) {
            issue(["podmanHosts", index, "name"], `"${host.name}" is used twice`);
        }
        seen.add(host.name);
        const tagProblem = environmentTagProblem(host.tags, config.environment);
        if (tagProblem !== undefined) {
            issue(["podmanHosts", index, "tags"], tagProblem);
        }
    });
}

export const runnersSchema = strict({
    /** The GitLab every runner of the stack serves. */
    gitlabUrl: gitlabUrl.optional(),
    kubernetes: kubernetesRunnerSchema.default(kubernetesRunnerSchema.parse({})),
    build: buildRunnerSchema.default(buildRunnerSchema.parse({})),
    podmanHosts: z.array(podmanHostSchema).default([]),
});
