import { z } from "zod";

import {
    ANALYSIS_DEFAULTS,
    BLUE_GREEN_DEFAULTS,
    BLUE_GREEN_WATCH_DEFAULTS,
    CANARY_DEFAULTS,
    GITHUB_DEFAULTS,
    NAMESPACE_DEFAULTS,
    PRIVATE_REGISTRY_DEFAULTS,
    REGISTRY_CREDENTIAL_DEFAULTS,
    ROUTER_DEFAULTS,
    RUNNER_DEFAULTS,
    RUNNER_NAMESPACE_DEFAULTS,
    UPSTREAM_TUNING_DEFAULTS,
    WORKLOAD_DEFAULTS,
} from "../components/shared/defaults";
import { DERIVED_NAMES, NAME_RULES, nameAndAppProblem, type NamedComponent } from "../components/shared/names";
import { isCidr, isCron, isDnsLabel, isQuantity, isRegistryUser } from "../components/shared/validators";
import { applicationRules, applicationsSchema } from "./applications";

/**
 * The schema of every stack config key of the `cicd-platform` project. Pure: no Pulumi calls, so
 * it is tested directly and reused by the canary command to validate the config it writes.
 */

/** An object that rejects unknown fields and names the allowed ones. */
function strict<T extends z.ZodRawShape>(shape: T) {
    const allowed = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (issue) =>
            issue.code === "unrecognized_keys"
                ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (allowed: ${allowed})`
                : undefined,
    });
}

const describe = (value: unknown): string => (typeof value === "string" ? `"${value}"` : JSON.stringify(value));

function integer(min: number, max: number, what = `an integer ${min}-${max}`) {
    return z
        .number({ error: (i) => `${describe(i.input)} is not a number` })
        .refine((v) => Number.isInteger(v) && v >= min && v <= max, {
            error: (i) => `${describe(i.input)} is not ${what}`,
        });
}

function ratio(what: string) {
    return z
        .number({ error: (i) => `${describe(i.input)} is not a number` })
        .refine((v) => v > 0 && v <= 1, { error: (i) => `${describe(i.input)} is not ${what} (0 < r <= 1)` });
}

const percentage = integer(0, 100, "a percentage (0-100)");

const dnsLabel = z.string({ error: (i) => `${describe(i.input)} is not a string` }).refine(isDnsLabel, {
    error: (i) =>
        `${describe(i.input)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)`,
});

/**
 * A name a component derives its objects' names from (the platform passes it as both the component
 * name and `app`): bounded so that every derived name fits its Kubernetes limit.
 */
function componentName(component: NamedComponent) {
    return z.string({ error: (i) => `${describe(i.input)} is not a string` }).superRefine((value, ctx) => {
        // The length bound is the components', so a name too long for them gets that bound, not 63.
        const problem = NAME_RULES.dns1123Label.pattern.test(value)
            ? nameAndAppProblem(DERIVED_NAMES[component], value)
            : `${describe(value)} is not a DNS-1123 label (lowercase letters, digits and '-', alphanumeric at both ends)`;
        if (problem !== undefined) {
            ctx.addIssue({ code: "custom", message: problem });
        }
    });
}

const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const imageRepository = z.string().regex(IMAGE_REPOSITORY, {
    error: (i) =>
        `${describe(i.input)} is not an image repository without tag (e.g. registry.example.com/team/app); put the tag in the version field`,
});

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const imageVersion = z
    .string({ error: (i) => `${describe(i.input)} is not a string` })
    .refine((v) => TAG.test(v) || DIGEST.test(v), {
        error: (i) => `${describe(i.input)} is not an image tag or a sha256:<64 hex> digest`,
    })
    .refine((v) => v !== "latest", { error: () => `"latest" is not allowed: pin a version or a digest` });

/** `repository:tag` or `repository@sha256:…`; `latest` and untagged references are refused. */
const imageReference = z
    .string({ error: (i) => `${describe(i.input)} is not a string` })
    .refine(
        (v) => {
            const at = v.indexOf("@");
            if (at >= 0) {
                return IMAGE_REPOSITORY.test(v.slice(0, at)) && DIGEST.test(v.slice(at + 1));
            }
            const colon = v.lastIndexOf(":");
            return (
                colon > v.lastIndexOf("/") && IMAGE_REPOSITORY.test(v.slice(0, colon)) && TAG.test(v.slice(colon + 1))
            );
        },
        { error: (i) => `${describe(i.input)} is not an image reference pinned to a tag or sha256 digest` },
    )
    .refine((v) => !v.endsWith(":latest"), { error: () => `"latest" is not allowed: pin a version or a digest` });

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/;
const registryHost = z.string().regex(HOST, {
    error: (i) => `${describe(i.input)} is not a registry host[:port] (no scheme, no path)`,
});

const quantity = z.string().refine(isQuantity, {
    error: (i) => `${describe(i.input)} is not a Kubernetes quantity (e.g. 100m, 256Mi)`,
});

export const resourcesSchema = strict({
    cpuRequest: quantity.optional(),
    memoryRequest: quantity.optional(),
    cpuLimit: quantity.optional(),
    memoryLimit: quantity.optional(),
    ephemeralStorageRequest: quantity.optional(),
    ephemeralStorageLimit: quantity.optional(),
    tmpSizeLimit: quantity.optional(),
});

export const ENVIRONMENTS = ["local", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const appSchema = strict({
    name: componentName("canaryRelease"),
    image: imageRepository,
    stableVersion: imageVersion,
    canaryVersion: imageVersion.optional(),
    canaryPercent: percentage.default(CANARY_DEFAULTS.canaryPercent),
    replicas: integer(1, 100).default(WORKLOAD_DEFAULTS.replicas),
    port: integer(1, 65535, "a port (1-65535)").default(WORKLOAD_DEFAULTS.containerPort),
    healthPath: z.string().startsWith("/", { error: "must start with /" }).default(WORKLOAD_DEFAULTS.healthPath),
    metricsPath: z.string().startsWith("/", { error: "must start with /" }).default(WORKLOAD_DEFAULTS.metricsPath),
    resources: resourcesSchema.optional(),
});

export const analysisSchema = strict({
    /** Highest canary 5xx ratio (5xx requests / all requests) that still passes. */
    maxErrorRatio: ratio("a ratio").default(ANALYSIS_DEFAULTS.maxErrorRatio),
    /** The canary fails when its ratio exceeds stable's times this factor… */
    maxRatioVsStable: z.number().min(1, { error: "must be at least 1" }).default(ANALYSIS_DEFAULTS.maxRatioVsStable),
    /** …and also exceeds this floor, so 0 vs 0.0001 is not a failure. */
    ratioFloor: ratio("a ratio").default(ANALYSIS_DEFAULTS.ratioFloor),
    /** p95 latency limit of the canary, in seconds. */
    maxP95Seconds: z.number().positive({ error: "must be above 0" }).default(ANALYSIS_DEFAULTS.maxP95Seconds),
    /** Fewest canary requests in a window for it to count: no traffic is not a pass. */
    minRequests: integer(1, 1_000_000).default(ANALYSIS_DEFAULTS.minRequests),
    /** Length of one analysis window, in seconds. */
    intervalSeconds: integer(1, 3600).default(ANALYSIS_DEFAULTS.intervalSeconds),
    /** Windows without data (or Prometheus down) tolerated before rolling back. */
    maxNoDataIntervals: integer(0, 100).default(ANALYSIS_DEFAULTS.maxNoDataIntervals),
});

export const canarySchema = strict({
    steps: z
        .array(percentage, { error: "must be a list of percentages" })
        .min(1, { error: "needs at least one step" })
        .default([...CANARY_DEFAULTS.steps])
        .superRefine((steps, ctx) => {
            for (let i = 1; i < steps.length; i++) {
                if ((steps[i] as number) <= (steps[i - 1] as number)) {
                    ctx.addIssue({
                        code: "custom",
                        message: `must rise: step ${i} (${steps[i]}) is not above step ${i - 1} (${steps[i - 1]})`,
                    });
                    return;
                }
            }
            if (steps.length > 0 && steps[steps.length - 1] !== 100) {
                ctx.addIssue({ code: "custom", message: `must end at 100 to promote, ends at ${steps.at(-1)}` });
            }
            if (steps.includes(0)) {
                ctx.addIssue({ code: "custom", message: "0 is not a step: it is the rollback" });
            }
        }),
    analysis: analysisSchema.default(analysisSchema.parse({})),
    /** At 100%, one more analysis window of this length before stable is replaced; 0 for none. */
    bakeSeconds: integer(0, 86_400).default(CANARY_DEFAULTS.bakeSeconds),
    routerImage: imageReference.default(ROUTER_DEFAULTS.image),
    routerReplicas: integer(1, 20).default(ROUTER_DEFAULTS.replicas),
    maxFails: integer(0, 100).default(UPSTREAM_TUNING_DEFAULTS.maxFails),
    failTimeoutSeconds: integer(0, 3600).default(UPSTREAM_TUNING_DEFAULTS.failTimeoutSeconds),
    keepalive: integer(0, 10_000).default(UPSTREAM_TUNING_DEFAULTS.keepalive),
});

/** What `canary switch` watches after moving traffic, and how long it drains before scaling down. */
export const blueGreenWatchSchema = strict({
    /** Length of one watch window after the switch, in seconds. */
    seconds: integer(1, 3600).default(BLUE_GREEN_WATCH_DEFAULTS.seconds),
    /** Highest 5xx ratio of the new colour that still passes. */
    maxErrorRatio: ratio("a ratio").default(BLUE_GREEN_WATCH_DEFAULTS.maxErrorRatio),
    /** p95 latency limit of the new colour, in seconds. */
    maxP95Seconds: z.number().positive({ error: "must be above 0" }).default(BLUE_GREEN_WATCH_DEFAULTS.maxP95Seconds),
    /** Fewest requests the new colour must serve in a window for it to count. */
    minRequests: integer(1, 1_000_000).default(BLUE_GREEN_WATCH_DEFAULTS.minRequests),
    /** Windows without data tolerated (each one more window) before switching back. */
    maxNoDataIntervals: integer(0, 100).default(BLUE_GREEN_WATCH_DEFAULTS.maxNoDataIntervals),
    /** Wait after a passing watch before the idle colour is scaled down, so its connections finish. */
    drainSeconds: integer(0, 3600).default(BLUE_GREEN_WATCH_DEFAULTS.drainSeconds),
});

export const blueGreenSchema = strict({
    name: componentName("blueGreenRelease"),
    image: imageRepository,
    blueVersion: imageVersion,
    greenVersion: imageVersion,
    active: z.enum(["blue", "green"], { error: (i) => `${describe(i.input)} is not "blue" or "green"` }),
    replicas: integer(1, 100).default(WORKLOAD_DEFAULTS.replicas),
    idleReplicas: integer(0, 100).optional(),
    port: integer(1, 65535, "a port (1-65535)").default(WORKLOAD_DEFAULTS.containerPort),
    healthPath: z.string().startsWith("/", { error: "must start with /" }).default(WORKLOAD_DEFAULTS.healthPath),
    metricsPath: z.string().startsWith("/", { error: "must start with /" }).default(WORKLOAD_DEFAULTS.metricsPath),
    healthCheck: z.string().min(1, { error: "must be a shell command" }),
    smokeTest: z.string().min(1, { error: "must be a shell command" }),
    gateAttempts: integer(1, 1000).default(BLUE_GREEN_DEFAULTS.gateAttempts),
    gateIntervalSeconds: integer(0, 600).default(BLUE_GREEN_DEFAULTS.gateIntervalSeconds),
    gateExecutor: z
        .enum(["command", "dynamic"], { error: (i) => `${describe(i.input)} is not "command" or "dynamic"` })
        .default(BLUE_GREEN_DEFAULTS.gateExecutor),
    resources: resourcesSchema.optional(),
    watch: blueGreenWatchSchema.default(blueGreenWatchSchema.parse({})),
});

export const registrySchema = strict({
    server: registryHost,
    username: z.string().min(1, { error: "must not be empty" }),
    secretName: dnsLabel.default(REGISTRY_CREDENTIAL_DEFAULTS.secretName),
});

const registryUser = z
    .string()
    .refine(isRegistryUser, { error: (i) => `${describe(i.input)} is not a registry user name` });
const cidr = z.string().refine(isCidr, { error: (i) => `${describe(i.input)} is not a CIDR (e.g. 10.0.0.0/16)` });
const cronSchedule = z.string().refine(isCron, {
    error: (i) => `${describe(i.input)} is not a 5-field cron schedule or @macro`,
});

export const privateRegistrySchema = strict({
    enabled: z.boolean({ error: "must be true or false" }).default(PRIVATE_REGISTRY_DEFAULTS.enabled),
    namespace: dnsLabel.default(PRIVATE_REGISTRY_DEFAULTS.namespace),
    pushNamespaces: z
        .array(dnsLabel)
        .min(1, { error: "needs at least one namespace (where CI pushes from)" })
        .default([...PRIVATE_REGISTRY_DEFAULTS.pushNamespaces]),
    pullNamespaces: z.array(dnsLabel).default([]),
    ingressNamespaces: z.array(dnsLabel).default([]),
    pullCidrs: z.array(cidr).default([]),
    pushUsername: registryUser.default(PRIVATE_REGISTRY_DEFAULTS.pushUsername),
    pullUsername: registryUser.default(PRIVATE_REGISTRY_DEFAULTS.pullUsername),
    image: imageReference.default(PRIVATE_REGISTRY_DEFAULTS.image),
    storageSize: quantity.optional(),
    storageClassName: z.string().min(1).optional(),
    existingClaimName: z.string().min(1).optional(),
    allowDataDeletion: z.boolean().optional(),
    protectData: z.boolean().optional(),
    deleteEnabled: z.boolean().default(PRIVATE_REGISTRY_DEFAULTS.deleteEnabled),
    garbageCollectSchedule: cronSchedule.optional(),
    garbageCollectDeleteUntagged: z.boolean().default(PRIVATE_REGISTRY_DEFAULTS.garbageCollectDeleteUntagged),
    tlsSecretName: dnsLabel.optional(),
    publicPullEndpoint: registryHost.optional(),
    publicPushEndpoint: registryHost.optional(),
    bcryptCost: integer(4, 12).default(PRIVATE_REGISTRY_DEFAULTS.bcryptCost),
});

export const namespacesSchema = strict({
    apps: dnsLabel,
    monitoring: dnsLabel.default(NAMESPACE_DEFAULTS.monitoring),
});

export const githubSchema = strict({
    enabled: z.boolean({ error: "must be true or false" }).default(GITHUB_DEFAULTS.enabled),
    owner: z.string().min(1).optional(),
    repository: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, { error: (i) => `${describe(i.input)} is not a repository name` })
        .optional(),
    /** Manage branch protection from this stack; exactly one stack per repository should. */
    protectBranch: z.boolean({ error: "must be true or false" }).default(GITHUB_DEFAULTS.protectBranch),
    /** Plain Actions variables of this stack's environment. */
    variables: z
        .record(
            z.string().regex(/^[A-Z_][A-Z0-9_]*$/, {
                error: (i) => `${describe(i.input)} is not an Actions variable name (A-Z, 0-9, _)`,
            }),
            z.string(),
        )
        .default({}),
    branch: z.string().min(1).default(GITHUB_DEFAULTS.branch),
    previewCheck: z.string().min(1).default(GITHUB_DEFAULTS.previewCheck),
    requiredApprovals: integer(0, 6).default(GITHUB_DEFAULTS.requiredApprovals),
    productionReviewerUserIds: z
        .array(integer(1, Number.MAX_SAFE_INTEGER, "a GitHub user id"))
        .max(6)
        .default([]),
    productionReviewerTeamIds: z
        .array(integer(1, Number.MAX_SAFE_INTEGER, "a GitHub team id"))
        .max(6)
        .default([]),
    productionWaitTimerMinutes: integer(0, 43200).default(GITHUB_DEFAULTS.productionWaitTimerMinutes),
});

export const kubernetesSchema = strict({
    /** kubeconfig context; the ambient KUBECONFIG's current context when unset. */
    context: z.string().min(1).optional(),
});

function isHttpUrl(value: string): boolean {
    try {
        const url = new URL(value);
        return (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "";
    } catch {
        return false;
    }
}

const gitlabUrl = z.string({ error: (i) => `${describe(i.input)} is not a string` }).refine(isHttpUrl, {
    error: (i) => `${describe(i.input)} is not an http(s) URL without credentials (e.g. https://gitlab.example.com)`,
});

/** GitLab's runner tags, kept to characters that need no quoting anywhere they travel. */
const runnerTag = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/, {
    error: (i) => `${describe(i.input)} is not a runner tag (letters, digits, '_', '.', ':', '-'; at most 63)`,
});
const runnerTags = z.array(runnerTag, { error: "must be a list of tags" });

/** The runner namespace's ceiling; the README's table shows these defaults. */
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
    jobResources: resourcesSchema.optional(),
    cache: runnerCacheSchema.optional(),
    quota: runnerQuotaSchema.default(runnerQuotaSchema.parse({})),
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
interface RunnerRuleInput {
    readonly environment: Environment;
    readonly namespaces: z.output<typeof namespacesSchema>;
    readonly privateRegistry: z.output<typeof privateRegistrySchema>;
    readonly runners: z.output<typeof runnersSchema>;
}

/**
 * Jobs pick runners by tag: a runner carrying its own environment's tag and no other's is what keeps
 * a production job off a staging runner and the other way round.
 */
function environmentTagProblem(tags: readonly string[], environment: Environment): string | undefined {
    const others = ENVIRONMENTS.filter((e) => e !== environment && tags.includes(e));
    if (others.length > 0) {
        return `must not include ${others.map((e) => `"${e}"`).join(", ")}: that is another environment's tag, and its jobs would run here`;
    }
    if (!tags.includes(environment)) {
        return `must include "${environment}", so this environment's jobs pick this runner and no other environment's (got [${tags.join(", ")}])`;
    }
    return undefined;
}

function runnerRules(config: RunnerRuleInput, ctx: z.RefinementCtx): void {
    const { kubernetes, podmanHosts, gitlabUrl: url } = config.runners;
    const issue = (path: (string | number)[], message: string): void => {
        ctx.addIssue({ code: "custom", path: ["runners", ...path], message });
    };
    if (url === undefined && (kubernetes.enabled || podmanHosts.length > 0)) {
        issue(
            ["gitlabUrl"],
            "is required when a runner is configured (runners.kubernetes.enabled or runners.podmanHosts)",
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
        if (kubernetes.quota.pods <= kubernetes.concurrent) {
            issue(
                ["kubernetes", "quota", "pods"],
                `${kubernetes.quota.pods} leaves no room for ${kubernetes.concurrent} concurrent jobs and the runner manager; make it at least ${kubernetes.concurrent + 1}`,
            );
        }
    }
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
    podmanHosts: z.array(podmanHostSchema).default([]),
});

/** Every non-secret key of the project namespace. */
export const stackConfigSchema = z
    .object({
        environment: z.enum(ENVIRONMENTS, {
            error: (i) =>
                i.input === undefined
                    ? `is required (one of ${ENVIRONMENTS.join(", ")})`
                    : `${describe(i.input)} is not one of ${ENVIRONMENTS.join(", ")}`,
        }),
        namespaces: namespacesSchema,
        registry: registrySchema,
        apps: z
            .array(appSchema)
            .default([])
            .superRefine((apps, ctx) => {
                const seen = new Set<string>();
                apps.forEach((app, index) => {
                    if (seen.has(app.name)) {
                        ctx.addIssue({ code: "custom", path: [index, "name"], message: `"${app.name}" is used twice` });
                    }
                    seen.add(app.name);
                    if (app.canaryPercent > 0 && app.canaryVersion === undefined) {
                        ctx.addIssue({
                            code: "custom",
                            path: [index, "canaryVersion"],
                            message: `is required while canaryPercent is ${app.canaryPercent}`,
                        });
                    }
                });
            }),
        canary: canarySchema.default(canarySchema.parse({})),
        // Pulumi.yaml defaults the key to {} (an absent project key without default is an error).
        blueGreen: z.preprocess(
            (value) =>
                value !== null && typeof value === "object" && Object.keys(value).length === 0 ? undefined : value,
            blueGreenSchema.optional(),
        ),
        github: githubSchema.default(githubSchema.parse({})),
        privateRegistry: privateRegistrySchema.default(privateRegistrySchema.parse({})),
        kubernetes: kubernetesSchema.default({}),
        runners: runnersSchema.default(runnersSchema.parse({})),
        applications: applicationsSchema.default(applicationsSchema.parse({})),
    })
    .superRefine((config, ctx) => {
        runnerRules(config, ctx);
        applicationRules(config, ctx);
        if (config.environment === "production") {
            config.apps.forEach((app, index) => {
                if (app.replicas < 2) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["apps", index, "replicas"],
                        message: `production needs at least 2 replicas, got ${app.replicas}`,
                    });
                }
            });
            if (config.blueGreen && config.blueGreen.replicas < 2) {
                ctx.addIssue({
                    code: "custom",
                    path: ["blueGreen", "replicas"],
                    message: `production needs at least 2 replicas, got ${config.blueGreen.replicas}`,
                });
            }
            if (
                config.github.enabled &&
                config.github.productionReviewerUserIds.length + config.github.productionReviewerTeamIds.length === 0
            ) {
                ctx.addIssue({
                    code: "custom",
                    path: ["github", "productionReviewerUserIds"],
                    message: "production needs at least one reviewer (a user or team id)",
                });
            }
        }
        if (config.github.enabled && config.environment === "local") {
            ctx.addIssue({
                code: "custom",
                path: ["github", "enabled"],
                message: "the local stack has no GitHub environment; use staging or production",
            });
        }
        if (config.github.enabled) {
            for (const field of ["owner", "repository"] as const) {
                if (config.github[field] === undefined) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["github", field],
                        message: "is required when github.enabled",
                    });
                }
            }
        }
        const pr = config.privateRegistry;
        if (pr.enabled && pr.pushUsername === pr.pullUsername) {
            ctx.addIssue({
                code: "custom",
                path: ["privateRegistry", "pullUsername"],
                message: `must differ from pushUsername ("${pr.pushUsername}"): the pull credential must not push`,
            });
        }
        if (pr.garbageCollectDeleteUntagged && pr.garbageCollectSchedule === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["privateRegistry", "garbageCollectDeleteUntagged"],
                message: "needs garbageCollectSchedule",
            });
        }
        if (config.blueGreen && config.apps.some((app) => app.name === config.blueGreen?.name)) {
            ctx.addIssue({
                code: "custom",
                path: ["blueGreen", "name"],
                message: `"${config.blueGreen.name}" is already the name of a canary app`,
            });
        }
    });

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type PlainStackConfig = z.output<typeof stackConfigSchema>;
export type AppConfig = z.output<typeof appSchema>;
export type CanaryConfig = z.output<typeof canarySchema>;
export type AnalysisConfig = z.output<typeof analysisSchema>;
export type BlueGreenConfig = z.output<typeof blueGreenSchema>;
export type RunnersConfig = z.output<typeof runnersSchema>;
export type PodmanHostConfig = z.output<typeof podmanHostSchema>;
export type BlueGreenWatchConfig = z.output<typeof blueGreenWatchSchema>;

/** Keys whose values are secrets; they must be stored encrypted (`pulumi config set --secret`). */
export const SECRET_KEYS = {
    registryPassword: "password of registry.username",
    githubToken: "GitHub token for the github provider (otherwise GITHUB_TOKEN from the environment)",
    registryPushPassword: "password of privateRegistry.pushUsername (16+ random characters)",
    registryPullPassword: "password of privateRegistry.pullUsername (16+ random characters)",
    registryHttpSecret: "http.secret and htpasswd salt key of the private registry (32+ random characters)",
    runnerToken: "runner authentication token (glrt-…) of runners.kubernetes, created in GitLab",
    runnerCacheAccessKey: "S3 access key of runners.kubernetes.cache",
    runnerCacheSecretKey: "S3 secret key of runners.kubernetes.cache",
    podmanRunnerTokens:
        'JSON object of runners.podmanHosts[].name to that host\'s runner authentication token, {"<name>": "glrt-…"}',
    podmanSshPrivateKey: "SSH private key (OpenSSH or PEM) of the runners.podmanHosts users",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;

/** Secrets a stack must have, given its plain config. */
export function requiredSecrets(config: PlainStackConfig | undefined): SecretKey[] {
    const needed: SecretKey[] = ["registryPassword"];
    if (config?.privateRegistry.enabled) {
        needed.push("registryPushPassword", "registryPullPassword", "registryHttpSecret");
    }
    if (config?.runners.kubernetes.enabled) {
        needed.push("runnerToken");
        if (config.runners.kubernetes.cache !== undefined) {
            needed.push("runnerCacheAccessKey", "runnerCacheSecretKey");
        }
    }
    if ((config?.runners.podmanHosts.length ?? 0) > 0) {
        needed.push("podmanRunnerTokens", "podmanSshPrivateKey");
    }
    return needed;
}

export const PLAIN_KEYS = Object.keys(stackConfigSchema.shape) as (keyof PlainStackConfig)[];

/** One problem, with the config key path it is about, e.g. `canary.steps[2]`. */
export interface ConfigProblem {
    readonly path: string;
    readonly message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
    return path.reduce<string>(
        (out, part) => (typeof part === "number" ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
        "",
    );
}

function issueMessage(issue: z.core.$ZodIssue): string {
    if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
        return issue.message.endsWith("received undefined")
            ? `is required (${issue.expected})`
            : `expected ${issue.expected}, ${issue.message.replace(/^.*, received /, "got ")}`;
    }
    return issue.message;
}

export class StackConfigError extends Error {
    constructor(
        public readonly problems: readonly ConfigProblem[],
        project = "cicd-platform",
    ) {
        super(
            `invalid stack config for ${project} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n"),
        );
        this.name = "StackConfigError";
    }
}

/** Parses the plain (non-secret) keys; returns every problem rather than the first. */
export function parsePlainConfig(
    raw: Record<string, unknown>,
): { ok: true; config: PlainStackConfig } | { ok: false; problems: ConfigProblem[] } {
    const problems: ConfigProblem[] = [];
    const allowed = new Set<string>([...PLAIN_KEYS, ...Object.keys(SECRET_KEYS)]);
    for (const key of Object.keys(raw)) {
        if (!allowed.has(key)) {
            problems.push({ path: key, message: `unknown key (allowed: ${[...allowed].join(", ")})` });
        }
    }
    const plain = Object.fromEntries(Object.entries(raw).filter(([key]) => !(key in SECRET_KEYS)));
    const result = stackConfigSchema.safeParse(plain);
    if (!result.success) {
        for (const issue of result.error.issues) {
            problems.push({ path: formatPath(issue.path) || "(root)", message: issueMessage(issue) });
        }
    }
    if (problems.length > 0 || !result.success) {
        return { ok: false, problems };
    }
    return { ok: true, config: result.data };
}
