import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

import { GITHUB_DEFAULTS } from "../shared/defaults";

export interface GitHubRepositorySettingsArgs {
    /** Repository name (the provider's `owner` supplies the account). */
    readonly repository: pulumi.Input<string>;
    /**
     * Environments this stack manages. Each stack usually manages its own, so staging and production
     * stacks never fight over one resource. @default ["staging", "production"]
     */
    readonly environments?: readonly GitHubEnvironment[];
    /**
     * Also create `<environment>-preview` environments for pull-request previews: no reviewers (a
     * preview changes nothing), holding only what a preview reads. @default true
     */
    readonly previewEnvironments?: boolean;
    /** Manage the branch protection too; exactly one stack per repository should, so it is opt-in. @default false */
    readonly protectBranch?: boolean;
    /** Branch that is protected and the only one allowed to deploy to production. @default "main" */
    readonly branch?: string;
    /** Status check that must pass before merging, the preview job. @default "preview" */
    readonly previewCheck?: pulumi.Input<string>;
    /** Approving reviews required on pull requests to the branch. @default 1 */
    readonly requiredApprovals?: pulumi.Input<number>;
    /** GitHub user ids allowed to approve production deployments (at most 6). @default [] */
    readonly productionReviewerUserIds?: pulumi.Input<pulumi.Input<number>[]>;
    /** GitHub team ids allowed to approve production deployments (at most 6). @default [] */
    readonly productionReviewerTeamIds?: pulumi.Input<pulumi.Input<number>[]>;
    /** Minutes production waits after approval before the job starts. @default 0 */
    readonly productionWaitTimerMinutes?: pulumi.Input<number>;
    /** Plain Actions variables per environment: `{ staging: { KEY: "value" } }`. @default {} */
    readonly variables?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
    /** Actions secrets per environment, stored as Pulumi secrets. @default {} */
    readonly secrets?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
}

export const GITHUB_ENVIRONMENTS = ["staging", "production"] as const;
export type GitHubEnvironment = (typeof GITHUB_ENVIRONMENTS)[number];

/**
 * The GitHub side of delivery: `staging` and `production` environments (production needs a
 * reviewer and deploys only from the protected branch), their variables and secrets, and branch
 * protection that requires the preview check.
 */
export class GitHubRepositorySettings extends pulumi.ComponentResource {
    public readonly environments: Readonly<Partial<Record<GitHubEnvironment, github.RepositoryEnvironment>>>;
    /** `<environment>-preview`, one per managed environment, when `previewEnvironments`. */
    public readonly previewEnvironments: readonly github.RepositoryEnvironment[];
    public readonly branchProtection?: github.BranchProtection;

    constructor(name: string, args: GitHubRepositorySettingsArgs, opts?: pulumi.ComponentResourceOptions) {
        const managed = args.environments ?? GITHUB_ENVIRONMENTS;
        for (const environment of managed) {
            if (!GITHUB_ENVIRONMENTS.includes(environment)) {
                throw new Error(
                    `${name}: environment "${environment}" is not one of ${GITHUB_ENVIRONMENTS.join(", ")}`,
                );
            }
        }
        for (const environment of [...Object.keys(args.variables ?? {}), ...Object.keys(args.secrets ?? {})]) {
            if (!(managed as readonly string[]).includes(environment)) {
                throw new Error(
                    `${name}: variables/secrets for "${environment}", which this stack does not manage (${managed.join(", ")})`,
                );
            }
        }

        super("cicd:github:RepositorySettings", name, {}, opts);

        const branch = args.branch ?? GITHUB_DEFAULTS.branch;
        const environments: Partial<Record<GitHubEnvironment, github.RepositoryEnvironment>> = {};
        for (const environment of managed) {
            environments[environment] =
                environment === "production"
                    ? this.productionEnvironment(name, args, branch)
                    : new github.RepositoryEnvironment(
                          `${name}-${environment}`,
                          { repository: args.repository, environment, preventSelfReview: false },
                          { parent: this },
                      );
        }
        this.environments = environments;
        this.previewEnvironments =
            (args.previewEnvironments ?? GITHUB_DEFAULTS.previewEnvironments)
                ? managed.map(
                      (environment) =>
                          new github.RepositoryEnvironment(
                              `${name}-${environment}-preview`,
                              {
                                  repository: args.repository,
                                  environment: `${environment}-preview`,
                                  preventSelfReview: false,
                              },
                              { parent: this },
                          ),
                  )
                : [];

        const values = (kind: "var" | "secret", map: GitHubRepositorySettingsArgs["variables"]): void => {
            for (const [environment, entries] of Object.entries(map ?? {})) {
                const env = (environments[environment as GitHubEnvironment] as github.RepositoryEnvironment)
                    .environment;
                for (const [key, value] of Object.entries(entries)) {
                    const common = { repository: args.repository, environment: env };
                    if (kind === "var") {
                        new github.ActionsEnvironmentVariable(
                            `${name}-${environment}-var-${key}`,
                            { ...common, variableName: key, value },
                            { parent: this },
                        );
                    } else {
                        new github.ActionsEnvironmentSecret(
                            `${name}-${environment}-secret-${key}`,
                            { ...common, secretName: key, plaintextValue: pulumi.secret(value) },
                            { parent: this },
                        );
                    }
                }
            }
        };
        values("var", args.variables);
        values("secret", args.secrets);

        if (args.protectBranch ?? GITHUB_DEFAULTS.protectBranch) {
            this.branchProtection = new github.BranchProtection(
                `${name}-${branch}`,
                {
                    repositoryId: args.repository,
                    pattern: branch,
                    enforceAdmins: true,
                    allowsDeletions: false,
                    allowsForcePushes: false,
                    requiredLinearHistory: true,
                    requireConversationResolution: true,
                    requiredStatusChecks: [
                        { strict: true, contexts: [args.previewCheck ?? GITHUB_DEFAULTS.previewCheck] },
                    ],
                    requiredPullRequestReviews: [
                        {
                            requiredApprovingReviewCount: args.requiredApprovals ?? GITHUB_DEFAULTS.requiredApprovals,
                            dismissStaleReviews: true,
                            requireLastPushApproval: true,
                        },
                    ],
                },
                { parent: this },
            );
        }

        this.registerOutputs({
            environments: [...Object.values(environments), ...this.previewEnvironments].map((e) => e.environment),
            protectedBranch: this.branchProtection?.pattern,
        });
    }

    /** Production: a reviewer must approve, nobody reviews their own run, only `branch` deploys. */
    private productionEnvironment(
        name: string,
        args: GitHubRepositorySettingsArgs,
        branch: string,
    ): github.RepositoryEnvironment {
        const production = new github.RepositoryEnvironment(
            `${name}-production`,
            {
                repository: args.repository,
                environment: "production",
                preventSelfReview: true,
                canAdminsBypass: false,
                waitTimer: args.productionWaitTimerMinutes ?? GITHUB_DEFAULTS.productionWaitTimerMinutes,
                reviewers: [
                    {
                        users: args.productionReviewerUserIds ?? [],
                        teams: args.productionReviewerTeamIds ?? [],
                    },
                ],
                deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
            },
            { parent: this },
        );
        new github.RepositoryEnvironmentDeploymentPolicy(
            `${name}-production-${branch}`,
            { repository: args.repository, environment: production.environment, branchPattern: branch },
            { parent: this },
        );
        return production;
    }
}
