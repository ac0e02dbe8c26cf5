import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

import { APPLICATION_DEFAULTS } from "../shared/defaults";
import { type DeployWorkflowApp, deployWorkflowProblems, renderDeployWorkflow } from "./deploy-workflow";
import { type GitHubEnvironment, GitHubRepositorySettings } from "./repository-settings";

export interface ApplicationRepositoryArgs {
    /** Repository name (the provider's `owner` supplies the account). */
    readonly repository: string;
    /** The images the repository builds and the platform apps that run them; one deploy job each. */
    readonly apps: readonly DeployWorkflowApp[];
    /** `owner/name` of the platform repository: the reusable workflow and the stacks live there. */
    readonly platformRepository: string;
    /** Full commit SHA of the platform repository the workflow is called at. */
    readonly platformRef: string;
    /** Branch of the platform repository the deploy jobs propose stack changes to. @default "main" */
    readonly platformBranch?: string;
    /**
     * The environments this stack manages in the repository (each stack usually its own), with the
     * reviewers of `production`. @default ["staging", "production"]
     */
    readonly environments?: readonly GitHubEnvironment[];
    /**
     * Write `.github/workflows/deploy.yml`. A file has one owner: exactly one stack per repository
     * should, so it is opt-in. @default false
     */
    readonly manageWorkflowFile?: boolean;
    /** Branch of the application repository that deploys and receives the file. @default "main" */
    readonly branch?: string;
    /** Runner labels of the build jobs (JSON list in the workflow). @default ["ubuntu-24.04"] */
    readonly runnerLabels?: readonly string[];
    /** GitHub user ids allowed to approve production deployments (at most 6). @default [] */
    readonly productionReviewerUserIds?: pulumi.Input<pulumi.Input<number>[]>;
    /** GitHub team ids allowed to approve production deployments (at most 6). @default [] */
    readonly productionReviewerTeamIds?: pulumi.Input<pulumi.Input<number>[]>;
    /** PEM public key the verify job checks signatures with (the `SIGNING_PUBLIC_KEY` variable). */
    readonly signingPublicKey?: pulumi.Input<string>;
    /** Plain Actions variables per environment, beside `SIGNING_PUBLIC_KEY`. @default {} */
    readonly variables?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
    /**
     * Actions secrets per environment (e.g. `SIGNING_KEY`, `SIGNING_PASSPHRASE`, `PLATFORM_TOKEN`),
     * stored as Pulumi secrets. The registry credential comes from RegistryCredentials. @default {}
     */
    readonly secrets?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
}

/**
 * An application repository wired to the platform: its `staging`/`production` environments (the
 * reviewers of production gate the production deploy), their variables and secrets, and, when
 * this stack owns it, the `.github/workflows/deploy.yml` that calls the platform's reusable
 * container pipeline at a pinned commit.
 */
export class ApplicationRepository extends pulumi.ComponentResource {
    public readonly settings: GitHubRepositorySettings;
    public readonly workflowFile?: github.RepositoryFile;
    /** The rendered caller workflow (also when this stack does not write it). */
    public readonly workflow: string;
    /** The environments' names, for the fan-out of the registry credential. */
    public readonly environmentNames: readonly GitHubEnvironment[];

    constructor(name: string, args: ApplicationRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = deployWorkflowProblems(args);
        if (problems.length > 0) {
            throw new Error(`${name}: ${problems.join("; ")}`);
        }
        super("cicd:github:ApplicationRepository", name, {}, opts);

        const environments = args.environments ?? ["staging", "production"];
        this.environmentNames = environments;
        const publicKey = args.signingPublicKey;
        const variables = Object.fromEntries(
            environments.map((environment) => [
                environment,
                {
                    ...(publicKey === undefined ? {} : { SIGNING_PUBLIC_KEY: publicKey }),
                    ...(args.variables?.[environment] ?? {}),
                },
            ]),
        );
        this.settings = new GitHubRepositorySettings(
            `${name}-settings`,
            {
                repository: args.repository,
                environments,
                // Previews belong to the platform repository; an application's pull requests build
                // and scan but never deploy.
                previewEnvironments: false,
                protectBranch: false,
                branch: args.branch ?? APPLICATION_DEFAULTS.branch,
                productionReviewerUserIds: args.productionReviewerUserIds,
                productionReviewerTeamIds: args.productionReviewerTeamIds,
                variables,
                secrets: args.secrets,
            },
            { parent: this },
        );

        this.workflow = renderDeployWorkflow(args);
        if (args.manageWorkflowFile ?? APPLICATION_DEFAULTS.manageWorkflowFile) {
            this.workflowFile = new github.RepositoryFile(
                `${name}-deploy-workflow`,
                {
                    repository: args.repository,
                    branch: args.branch ?? APPLICATION_DEFAULTS.branch,
                    file: APPLICATION_DEFAULTS.workflowPath,
                    content: this.workflow,
                    commitMessage: `deploy workflow: container-app.yml at ${args.platformRef.slice(0, 12)}`,
                    // A hand-written deploy.yml is replaced: the stack is the file's one owner.
                    overwriteOnCreate: true,
                },
                { parent: this, dependsOn: Object.values(this.settings.environments) },
            );
        }

        this.registerOutputs({
            workflowPath: this.workflowFile?.file,
            environments: Object.values(this.settings.environments).map((e) => e.environment),
        });
    }
}
