import { z } from "zod";

import { type ConfigProblem, formatPath, issueMessage } from "./config-problems";
import { describe, ENVIRONMENTS } from "./schema-fields";
import { SECRET_KEYS, type SecretKey } from "./secret-keys";
import { applicationRules, applicationsSchema } from "./sections/applications";
import { kubernetesSchema, namespacesSchema } from "./sections/cluster";
import { githubRules, githubSchema } from "./sections/github";
import { gitlabRules, gitlabSchema } from "./sections/gitlab";
import { privateRegistrySchema, registryRules, registrySchema } from "./sections/registry";
import { appsSchema, canarySchema, optionalBlueGreenSchema, releaseRules } from "./sections/releases";
import { runnerRules, runnersSchema } from "./sections/runners";
import { tenancySchema, tenantRules, tenantsSchema } from "./sections/tenants";

export type { ConfigProblem } from "./config-problems";
export { SECRET_KEYS, type SecretKey } from "./secret-keys";
export { analysisSchema, appSchema, blueGreenSchema, blueGreenWatchSchema, canarySchema } from "./sections/releases";
export type { AnalysisConfig, AppConfig, BlueGreenConfig, BlueGreenWatchConfig } from "./sections/releases";
export { privateRegistrySchema, registrySchema } from "./sections/registry";
export { kubernetesSchema, namespacesSchema } from "./sections/cluster";
export { githubSchema } from "./sections/github";
export {
    buildRunnerSchema,
    kubernetesRunnerSchema,
    podmanHostSchema,
    runnerCacheSchema,
    runnerQuotaSchema,
    runnersSchema,
} from "./sections/runners";
export { type GitLabConfig, gitlabRunnersSchema, gitlabSchema, isPaidTier } from "./sections/gitlab";
export { resolveTenants, type TenantConfig, tenantStateBackend } from "./sections/tenants";

/**
 * The schema of every stack config key of the `cicd-platform` project, composed from one section
 * per feature (`sections/`), each with its own rules. Pure: no Pulumi calls, so it is tested
 * directly and reused by the canary command to validate the config it writes.
 */

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
        apps: appsSchema,
        canary: canarySchema.default(canarySchema.parse({})),
        blueGreen: optionalBlueGreenSchema,
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
        releaseRules(config, ctx);
        githubRules(config, ctx);
        registryRules(config, ctx);
    });

export type PlainStackConfig = z.output<typeof stackConfigSchema>;

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
