/**
 * The config of a release stack (project `cicd-release`, stack `<app>-<environment>`): one canary or
 * blue-green release of one application, in its tenant's namespace. Everything the platform decides
 * (pull secret, router defaults, rollout policy, which apps and images the tenant may release) comes
 * from the tenant's settings ConfigMap at run time, not from this file. Pure (zod), so the program,
 * the canary command and tests share it.
 */
import { z } from "zod";

import { type ConfigProblem, formatPath, issueMessage } from "./config-problems";
import { appSchema, blueGreenSchema } from "./sections/releases";
import { describe, dnsLabel, ENVIRONMENTS, type Environment } from "./schema-fields";

export const RELEASE_PROJECT = "cicd-release";

/** Keys whose values are secrets; stored encrypted under the release stack's own passphrase. */
export const RELEASE_SECRET_KEYS = {
    kubeconfig:
        "kubeconfig of the tenant's deploy identity (otherwise KUBECONFIG from the environment, as CI provides it)",
} as const;

// Pulumi.yaml defaults an absent object key to {}: that means "not this kind of release".
const optionalSection = <T extends z.ZodType>(schema: T) =>
    z.preprocess(
        (value) => (value !== null && typeof value === "object" && Object.keys(value).length === 0 ? undefined : value),
        schema.optional(),
    );

export const releaseConfigSchema = z
    .strictObject(
        {
            environment: z.enum(ENVIRONMENTS, {
                error: (i) =>
                    i.input === undefined
                        ? `is required (one of ${ENVIRONMENTS.join(", ")})`
                        : `${describe(i.input)} is not one of ${ENVIRONMENTS.join(", ")}`,
            }),
            /** The tenant's namespace: where the release runs and its settings ConfigMap is. */
            namespace: dnsLabel,
            canary: optionalSection(appSchema),
            blueGreen: optionalSection(blueGreenSchema),
        },
        {
            error: (issue) =>
                issue.code === "unrecognized_keys"
                    ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (allowed: environment, namespace, canary, blueGreen, ${Object.keys(RELEASE_SECRET_KEYS).join(", ")})`
                    : undefined,
        },
    )
    .superRefine((config, ctx) => {
        const kinds = [config.canary, config.blueGreen].filter((k) => k !== undefined).length;
        if (kinds !== 1) {
            ctx.addIssue({
                code: "custom",
                path: [],
                message:
                    kinds === 0
                        ? "needs one release: set canary or blueGreen"
                        : "has both canary and blueGreen: a release stack holds one release",
            });
        }
        const canary = config.canary;
        if (canary !== undefined && canary.canaryPercent > 0 && canary.canaryVersion === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["canary", "canaryVersion"],
                message: `is required while canaryPercent is ${canary.canaryPercent}`,
            });
        }
        if (config.environment === "production") {
            for (const [key, section] of [
                ["canary", config.canary],
                ["blueGreen", config.blueGreen],
            ] as const) {
                if (section !== undefined && section.replicas < 2) {
                    ctx.addIssue({
                        code: "custom",
                        path: [key, "replicas"],
                        message: `production needs at least 2 replicas, got ${section.replicas}`,
                    });
                }
            }
        }
    });

export type PlainReleaseConfig = z.output<typeof releaseConfigSchema>;

/** The name of the release: the canary app's or the blue-green release's. */
export function releaseName(config: PlainReleaseConfig): string {
    return config.canary?.name ?? config.blueGreen?.name ?? "";
}

/** `<app>-<environment>`: the one stack name a release may have, so two stacks never drive one app. */
export function releaseStackName(name: string, environment: Environment): string {
    return `${name}-${environment}`;
}

/**
 * Parses the plain keys of a release stack (secrets left out by the caller) and checks the stack's
 * name against them; returns every problem rather than the first.
 */
export function parseReleaseConfig(
    raw: Record<string, unknown>,
    stackName?: string,
): { ok: true; config: PlainReleaseConfig } | { ok: false; problems: ConfigProblem[] } {
    const plain = Object.fromEntries(Object.entries(raw).filter(([key]) => !(key in RELEASE_SECRET_KEYS)));
    const result = releaseConfigSchema.safeParse(plain);
    if (!result.success) {
        return {
            ok: false,
            problems: result.error.issues.map((issue) => ({
                path: formatPath(issue.path) || "(root)",
                message: issueMessage(issue),
            })),
        };
    }
    if (stackName !== undefined) {
        const short = stackName.split("/").pop() ?? stackName;
        const expected = releaseStackName(releaseName(result.data), result.data.environment);
        if (short !== expected) {
            return {
                ok: false,
                problems: [
                    {
                        path: "(stack)",
                        message: `stack "${short}" holds release ${releaseName(result.data)} of ${result.data.environment}: name it "${expected}" (one stack per app and environment)`,
                    },
                ],
            };
        }
    }
    return { ok: true, config: result.data };
}
