import { z } from "zod";

import {
    ANALYSIS_DEFAULTS,
    APP_RESOURCES,
    BLUE_GREEN_DEFAULTS,
    BLUE_GREEN_WATCH_DEFAULTS,
    CANARY_DEFAULTS,
    ROUTER_DEFAULTS,
    UPSTREAM_TUNING_DEFAULTS,
    WORKLOAD_DEFAULTS,
} from "../../components/shared/defaults";
import { isCookieName } from "../../components/shared/validators";
import {
    componentName,
    describe,
    type Environment,
    imageReference,
    imageRepository,
    imageVersion,
    integer,
    percentage,
    ratio,
    resourcesSchema,
    strict,
} from "../schema-fields";

/** The `apps` (canary releases), `canary` and `blueGreen` sections, and the rules between them. */

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

/** The canary apps, each name once, each with a canary version while it gets traffic. */
export const appsSchema = z
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
    });

/** `blueGreen`; Pulumi.yaml defaults the key to {} (an absent project key without default is an error). */
export const optionalBlueGreenSchema = z.preprocess(
    (value) => (value !== null && typeof value === "object" && Object.keys(value).length === 0 ? undefined : value),
    blueGreenSchema.optional(),
);

interface ReleaseRuleInput {
    readonly environment: Environment;
    readonly apps: readonly z.output<typeof appSchema>[];
    readonly blueGreen?: z.output<typeof blueGreenSchema>;
}

/** Production runs two replicas of everything; a blue-green release and a canary app never share a name. */
export function releaseRules(config: ReleaseRuleInput, ctx: z.RefinementCtx): void {
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
    }
    if (config.blueGreen && config.apps.some((app) => app.name === config.blueGreen?.name)) {
        ctx.addIssue({
            code: "custom",
            path: ["blueGreen", "name"],
            message: `"${config.blueGreen.name}" is already the name of a canary app`,
        });
    }
}

export type AppConfig = z.output<typeof appSchema>;
export type AnalysisConfig = z.output<typeof analysisSchema>;
export type BlueGreenConfig = z.output<typeof blueGreenSchema>;
export type BlueGreenWatchConfig = z.output<typeof blueGreenWatchSchema>;
