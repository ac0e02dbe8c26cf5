import * as github from "@pulumi/github";

import { type GitHubEnvironment, GitHubRepositorySettings, type GitHubRepositorySettingsArgs } from "../components";
import type { StackConfig } from "../config/load";
import { argsOf } from "./args-of";

/** The GitHub side of a stack, when it has one: its provider, its environment and the settings. */
export interface GitHubTarget {
    readonly provider: github.Provider;
    readonly repository: string;
    readonly environment: GitHubEnvironment;
    readonly settings: GitHubRepositorySettings;
}

/**
 * Staging and production each manage their own GitHub environment of the shared repository; the local
 * stack has none (the schema refuses `github.enabled` there).
 */
export function createGitHub(config: StackConfig): GitHubTarget | undefined {
    const { enabled, owner, repository, variables, ...settings } = config.github;
    const environment = config.environment === "local" ? undefined : config.environment;
    if (!enabled || repository === undefined || environment === undefined) {
        return undefined;
    }
    const provider = new github.Provider("github", { owner, token: config.secrets.githubToken });
    const target = new GitHubRepositorySettings(
        "github",
        {
            ...argsOf<GitHubRepositorySettingsArgs>()(settings),
            repository,
            environments: [environment],
            variables: { [environment]: variables },
        },
        { provider },
    );
    return { provider, repository, environment, settings: target };
}
