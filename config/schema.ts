import { z } from "zod";

import {
    APP_RESOURCES,
    ANALYSIS_DEFAULTS,
    BLUE_GREEN_DEFAULTS,
    BLUE_GREEN_WATCH_DEFAULTS,
    CANARY_DEFAULTS,
    GITHUB_DEFAULTS,
    NAMESPACE_DEFAULTS,
    PRIVATE_REGISTRY_DEFAULTS,
    REGISTRY_CREDENTIAL_DEFAULTS,
    ROUTER_DEFAULTS,
    UPSTREAM_TUNING_DEFAULTS,
    WORKLOAD_DEFAULTS,
} from "../components/shared/defaults";
import { isCidr, isCookieName, isCron, isRegistryUser } from "../components/shared/validators";
import { applicationRules, applicationsSchema } from "./applications";
import { type ConfigProblem, formatPath, issueMessage } from "./config-problems";
import { gitlabRules, gitlabSchema } from "./gitlab-schema";
import { type podmanHostSchema, runnerRules, runnersSchema } from "./runners-schema";
import { tenancySchema, tenantRules, tenantsSchema } from "./tenants-schema";
import {
    componentName,
    describe,
    dnsLabel,
    ENVIRONMENTS,
    imageReference,
    imageRepository,
    imageVersion,
    integer,
    percentage,
    quantity,
    ratio,
    registryHost,
    resourcesSchema,
    strict,
} from "./schema-fields";

export { type ConfigProblem, formatPath, StackConfigError } from "./config-problems";
export {
    buildRunnerSchema,
    kubernetesRunnerSchema,
    podmanHostSchema,
    runnerCacheSchema,
    runnerQuotaSchema,
    runnersSchema,
} from "./runners-schema";
export {
    type GitLabConfig,
    gitlabRunnersSchema,
    gitlabSchema,
    type GitLabTier,
    isPaidTier,
    tenantGitlabSchema,
} from "./gitlab-schema";
export { type Environment, ENVIRONMENTS, resourcesSchema } from "./schema-fields";
export {
    resolveTenants,
    type TenancyConfig,
    type TenantConfig,
    tenantSchema,
    tenantStateBackend,
} from "./tenants-schema";

/**
 * The schema of every stack config key of the `cicd-platform` project. Pure: no Pulumi calls, so
 * it is tested directly and reused by the canary command to validate the config it writes.
 */

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
    resources: resourcesSchema(APP_RESOURCES).optional(),
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
    /** Pins each client to one track by this cookie; unset, every request is routed on its own. */
    stickyCookie: z
        .string()
        .refine(isCookieName, {
            error: (i) =>
                `${describe(i.input)} is not a cookie name nginx can read (a letter, then letters, digits or '_'; at most 64)`,
        })
        .optional(),
    /** With stickyCookie: the most requests one client sends in an analysis window (the split check's design effect). */
    stickyRequestsPerClient: integer(1, 100_000).default(CANARY_DEFAULTS.stickyRequestsPerClient),
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
    resources: resourcesSchema(APP_RESOURCES).optional(),
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
        gitlab: gitlabSchema.default(gitlabSchema.parse({})),
        privateRegistry: privateRegistrySchema.default(privateRegistrySchema.parse({})),
        kubernetes: kubernetesSchema.default({}),
        runners: runnersSchema.default(runnersSchema.parse({})),
        applications: applicationsSchema.default(applicationsSchema.parse({})),
        tenants: tenantsSchema,
        tenancy: tenancySchema.default({}),
    })
    .superRefine((config, ctx) => {
        runnerRules(config, ctx);
        applicationRules(config, ctx);
        tenantRules(config, ctx);
        gitlabRules(config, ctx);
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
    gitlabToken: "GitLab token for the gitlab provider (otherwise GITLAB_TOKEN from the environment)",
    registryPushPassword: "password of privateRegistry.pushUsername (16+ random characters)",
    registryPullPassword: "password of privateRegistry.pullUsername (16+ random characters)",
    registryHttpSecret: "http.secret and htpasswd salt key of the private registry (32+ random characters)",
    runnerToken: "runner authentication token (glrt-…) of runners.kubernetes, created in GitLab",
    buildRunnerToken:
        "runner authentication token (glrt-…) of runners.build, created in GitLab with the build runner's tags",
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
    // With the GitLab integration the stack creates the runners' tokens itself.
    const tokensByHand = config?.gitlab.enabled !== true;
    if (config?.runners.kubernetes.enabled) {
        if (tokensByHand) {
            needed.push("runnerToken");
        }
        if (config.runners.kubernetes.cache !== undefined) {
            needed.push("runnerCacheAccessKey", "runnerCacheSecretKey");
        }
    }
    if (config?.runners.build.enabled && tokensByHand) {
        needed.push("buildRunnerToken");
    }
    if ((config?.runners.podmanHosts.length ?? 0) > 0) {
        needed.push(...(tokensByHand ? (["podmanRunnerTokens"] as const) : []), "podmanSshPrivateKey");
    }
    return needed;
}

export const PLAIN_KEYS = Object.keys(stackConfigSchema.shape) as (keyof PlainStackConfig)[];

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
