import { z } from "zod";

import { GITHUB_DEFAULTS } from "../../components/shared/defaults";
import { describe, type Environment, integer, strict } from "../schema-fields";

/** The `github` section: the platform repository's settings, environments and variables. */

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

interface GitHubRuleInput {
    readonly environment: Environment;
    readonly github: z.output<typeof githubSchema>;
}

/** GitHub needs an owner and a repository, production needs a reviewer, and the local stack has no GitHub. */
export function githubRules(config: GitHubRuleInput, ctx: z.RefinementCtx): void {
    const { github } = config;
    if (
        config.environment === "production" &&
        github.enabled &&
        github.productionReviewerUserIds.length + github.productionReviewerTeamIds.length === 0
    ) {
        ctx.addIssue({
            code: "custom",
            path: ["github", "productionReviewerUserIds"],
            message: "production needs at least one reviewer (a user or team id)",
        });
    }
    if (github.enabled && config.environment === "local") {
        ctx.addIssue({
            code: "custom",
            path: ["github", "enabled"],
            message: "the local stack has no GitHub environment; use staging or production",
        });
    }
    if (github.enabled) {
        for (const field of ["owner", "repository"] as const) {
            if (github[field] === undefined) {
                ctx.addIssue({ code: "custom", path: ["github", field], message: "is required when github.enabled" });
            }
        }
    }
}
