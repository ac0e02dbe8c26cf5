import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { APPLICATION_DEFAULTS } from "../shared/defaults";
import { ArgChecks } from "../shared/validators";
import { type DeployWorkflowApp, deployWorkflowProblems, renderDeployWorkflow } from "./deploy-workflow";
import { GITHUB_ENVIRONMENTS, type GitHubEnvironment, GitHubRepositorySettings } from "./repository-settings";

export interface ApplicationRepositoryArgs {
    /** Repository name (the provider's `owner` supplies the account). */
    readonly repository: string;
    /** The images the repository builds and the platform apps that run them; one deploy job each. */
    readonly apps: readonly DeployWorkflowApp[];
    /** `owner/name` of the platform repository: the reusable workflow and the stacks live there. */
    readonly platformRepository: string;
    /** Full commit SHA of the platform repository the workflow is called at. */
    readonly platformRef: string;
    /** Branch of the platform repository the deploy jobs propose stack changes to. @default {@link APPLICATION_DEFAULTS}.branch */
    readonly platformBranch?: string;
    /**
     * The environments this stack manages in the repository (each stack usually its own), with the
     * reviewers of `production`. @default {@link GITHUB_ENVIRONMENTS}
     */
    readonly environments?: readonly GitHubEnvironment[];
    /**
     * Write `.github/workflows/deploy.yml`. A file has one owner: exactly one stack per repository
     * should, so it is opt-in. @default {@link APPLICATION_DEFAULTS}.manageWorkflowFile
     */
    readonly manageWorkflowFile?: boolean;
    /** Branch of the application repository that deploys and receives the file. @default {@link APPLICATION_DEFAULTS}.branch */
    readonly branch?: string;
    /** Runner labels of the build jobs (JSON list in the workflow). @default {@link APPLICATION_DEFAULTS}.runnerLabels */
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
        validateApplicationRepositoryArgs(name, args);
        super("cicd:github:ApplicationRepository", name, {}, opts);

        const children = createApplicationRepository(name, this, args);
        this.environmentNames = children.environmentNames;
        this.settings = children.settings;
        this.workflow = children.workflow;
        this.workflowFile = children.workflowFile;
        this.registerOutputs({
            workflowPath: this.workflowFile?.file,
            environments: Object.values(this.settings.environments).map((e) => e.environment),
        });
    }
}

/** What an ApplicationRepository registers, and the workflow it renders. */
export interface ApplicationRepositoryChildren {
    readonly environmentNames: readonly GitHubEnvironment[];
    readonly settings: GitHubRepositorySettings;
    readonly workflow: string;
    readonly workflowFile?: github.RepositoryFile;
}

/**
 * Every problem of the arguments (the deploy workflow's), thrown together.
 * @internal
 */
export function validateApplicationRepositoryArgs(name: string, args: ApplicationRepositoryArgs): void {
    const checks = new ArgChecks("ApplicationRepository", name);
    for (const problem of deployWorkflowProblems(args)) {
        const colon = problem.indexOf(": ");
        checks.add(problem.slice(0, colon), problem.slice(colon + 2));
    }
    checks.throwIfAny();
}

/**
 * The repository's children, parented to `parent`: its settings (environments, variables, secrets)
 * and, when this stack owns it, the deploy workflow file.
 * @internal
 */
export function createApplicationRepository(
    name: string,
    parent: pulumi.Resource,
    args: ApplicationRepositoryArgs,
    opts?: ChildOptions,
): ApplicationRepositoryChildren {
    const child = childOf(parent, opts);
    const environmentNames = args.environments ?? [...GITHUB_ENVIRONMENTS];
    const publicKey = args.signingPublicKey;
    const variables = Object.fromEntries(
        environmentNames.map((environment) => [
            environment,
            {
                ...(publicKey === undefined ? {} : { SIGNING_PUBLIC_KEY: publicKey }),
                ...(args.variables?.[environment] ?? {}),
            },
        ]),
    );
    const settings = new GitHubRepositorySettings(
        `${name}-settings`,
        {
            repository: args.repository,
            environments: environmentNames,
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
        child,
    );
    const workflow = renderDeployWorkflow(args);
    const workflowFile =
        (args.manageWorkflowFile ?? APPLICATION_DEFAULTS.manageWorkflowFile)
            ? new github.RepositoryFile(`${name}-deploy-workflow`, deployWorkflowFileArgs(args, workflow), {
                  ...child,
                  dependsOn: Object.values(settings.environments),
              })
            : undefined;
    return { environmentNames, settings, workflow, workflowFile };
}

/**
 * `.github/workflows/deploy.yml` on the application's branch. A hand-written one is replaced: the
 * stack is the file's one owner.
 * @internal
 */
export function deployWorkflowFileArgs(args: ApplicationRepositoryArgs, workflow: string): github.RepositoryFileArgs {
    return {
        repository: args.repository,
        branch: args.branch ?? APPLICATION_DEFAULTS.branch,
        file: APPLICATION_DEFAULTS.workflowPath,
        content: workflow,
        commitMessage: `deploy workflow: container-app.yml at ${args.platformRef.slice(0, 12)}`,
        overwriteOnCreate: true,
    };
}
