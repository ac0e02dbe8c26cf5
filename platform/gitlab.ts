import * as gitlab from "@pulumi/gitlab";

import type { StackConfig } from "../config/load";
import { type GitLabConfig, isPaidTier } from "../config/schema";

/** The GitLab side of a stack, when it has one: its provider and what the instance's tier allows. */
export interface GitLabTarget {
    readonly provider: gitlab.Provider;
    /** This stack's environment, the scope of its variables and the name of its GitLab environment. */
    readonly environment: "staging" | "production";
    readonly config: GitLabConfig;
    /** Protected environments, their approval rules, environment-scoped group variables. */
    readonly paid: boolean;
}

/**
 * Staging and production each manage their own side of GitLab (their runners, their scope of the
 * tenants' variables); the local stack has none (the schema refuses `gitlab.enabled` there).
 */
export function createGitLab(config: StackConfig): GitLabTarget | undefined {
    const environment = config.environment === "local" ? undefined : config.environment;
    if (!config.gitlab.enabled || environment === undefined) {
        return undefined;
    }
    const provider = new gitlab.Provider("gitlab", {
        // Unset: the provider reads GITLAB_TOKEN and GITLAB_BASE_URL where the program runs.
        token: config.secrets.gitlabToken,
        baseUrl: config.gitlab.baseUrl,
        earlyAuthCheck: true,
    });
    return { provider, environment, config: config.gitlab, paid: isPaidTier(config.gitlab.tier) };
}
