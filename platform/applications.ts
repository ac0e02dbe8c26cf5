import type * as pulumi from "@pulumi/pulumi";

import { ApplicationRepository, RegistryCredentials } from "../components";
import type { StackConfig } from "../config/load";
import type { GitHubTarget } from "./github";
import type { Registries } from "./registry";

/** The push credential CI gets: the platform's own registry when it runs one, else the external one. */
function pushCredential(
    config: StackConfig,
    registries: Registries,
): { server: pulumi.Input<string>; username: pulumi.Input<string>; password: pulumi.Input<string> } {
    const own = registries.privateRegistry;
    return own
        ? { server: own.pushEndpoint, username: own.pushUsername, password: own.pushPassword }
        : {
              server: config.registry.server,
              username: config.registry.username,
              password: config.secrets.registryPassword,
          };
}

/**
 * Each application repository of `applications`: this stack's environment there (production with
 * the stack's reviewers), the deploy workflow when this stack owns it, and the push credential
 * fanned out into that environment as REGISTRY_SERVER, REGISTRY_USERNAME and REGISTRY_PASSWORD.
 */
export function createApplications(
    config: StackConfig,
    gh: GitHubTarget | undefined,
    registries: Registries,
): ApplicationRepository[] {
    const { enabled, platformRepository, platformRef, repositories, ...shared } = config.applications;
    if (!enabled || gh === undefined || platformRepository === undefined || platformRef === undefined) {
        return [];
    }
    const credential = pushCredential(config, registries);
    return repositories.map(({ repository, apps }) => {
        const name = `app-${repository}`;
        const target = new ApplicationRepository(
            name,
            {
                repository,
                apps,
                platformRepository,
                platformRef,
                platformBranch: config.github.branch,
                environments: [gh.environment],
                manageWorkflowFile: shared.manageWorkflowFile,
                branch: shared.branch,
                runnerLabels: shared.runnerLabels,
                signingPublicKey: shared.signingPublicKey,
                productionReviewerUserIds: config.github.productionReviewerUserIds,
                productionReviewerTeamIds: config.github.productionReviewerTeamIds,
            },
            { provider: gh.provider },
        );
        new RegistryCredentials(
            `${name}-registry`,
            {
                ...credential,
                namespaces: [],
                githubRepository: repository,
                githubEnvironments: [...target.environmentNames],
            },
            { provider: gh.provider, dependsOn: [target] },
        );
        return target;
    });
}
