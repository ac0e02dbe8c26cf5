/**
 * Production's GitHub side as a team importing the components could build it, but without
 * reviewers: the environment and the registry credential fanned out into it, as the platform wires
 * them. The stack config schema refuses a production stack of the platform without reviewers, so
 * this program is the way such a stack reaches the policy pack. Previewed as production with
 * policy/config/production.json it must fail with exactly the policies in ./expected.ts.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

import { GitHubRepositorySettings } from "../../../components/github/repository-settings";
import { RegistryCredentials } from "../../../components/registry/registry-credentials";

const provider = new github.Provider("github", { owner: "example-org" });
const settings = new GitHubRepositorySettings(
    "github",
    { repository: "shop", environments: ["production"], protectBranch: true, requiredApprovals: 2 },
    { provider },
);
new RegistryCredentials(
    "registry",
    {
        server: "registry.example.com",
        username: "ci-push",
        password: new pulumi.Config().requireSecret("registryPassword"),
        namespaces: [],
        githubRepository: "shop",
        githubEnvironments: ["production"],
    },
    { providers: [provider], dependsOn: [settings] },
);
