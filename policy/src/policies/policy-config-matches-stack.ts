import type { StackValidationPolicy } from "@pulumi/policy";

import { environmentOf, environmentProperty } from "../lib/policy";

/** The stack config key that names the stack's environment (config/schema.ts). */
export const STACK_ENVIRONMENT_KEY = "cicd-platform:environment";
/** The same key of a release stack (config/release-schema.ts). */
export const RELEASE_ENVIRONMENT_KEY = "cicd-release:environment";

/** The stack's config as the engine hands it to policy packs (JSON in PULUMI_CONFIG), or undefined. */
export function stackConfig(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> | undefined {
    const raw = env.PULUMI_CONFIG;
    if (raw === undefined || raw === "") {
        return undefined;
    }
    try {
        const parsed: unknown = JSON.parse(raw);
        return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/** The pack config used is the one for this stack: a staging config must not judge production. */
export const policyConfigMatchesStack: StackValidationPolicy = {
    name: "policy-config-matches-stack",
    description:
        "The pack config's environment equals the stack's own cicd-platform:environment (cicd-release:environment for a release stack), so production is never previewed with the staging or local policy config (which relax levels).",
    remediationSteps:
        "Pass the stack's own file: pulumi preview --stack <stack> --policy-pack policy --policy-pack-config policy/config/<environment>.json (the npm scripts do).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { environment: environmentProperty } },
    validateStack: (args, reportViolation) => {
        const configured = environmentOf(args.getConfig<Record<string, unknown>>());
        const config = stackConfig();
        const key = config?.[STACK_ENVIRONMENT_KEY] === undefined ? RELEASE_ENVIRONMENT_KEY : STACK_ENVIRONMENT_KEY;
        const actual = config?.[key];
        if (typeof actual === "string" && actual !== configured) {
            reportViolation(
                `The policy config says environment ${configured}, but this stack's ${key} is ${actual}: the wrong --policy-pack-config file was passed, and its enforcement levels do not fit this stack. ` +
                    `Fix: run with --policy-pack-config policy/config/${actual}.json.`,
            );
        }
    },
};
