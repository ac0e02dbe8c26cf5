import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { GITHUB_DEFAULTS } from "../shared/defaults";
import { ArgChecks } from "../shared/validators";

export interface GitHubRepositorySettingsArgs {
    /** Repository name (the provider's `owner` supplies the account). */
    readonly repository: pulumi.Input<string>;
    /**
     * Environments this stack manages. Each stack usually manages its own, so staging and production
     * stacks never fight over one resource. @default {@link GITHUB_ENVIRONMENTS}
     */
    readonly environments?: readonly GitHubEnvironment[];
    /**
     * Also create `<environment>-preview` environments for pull-request previews: no reviewers (a
     * preview changes nothing), holding only what a preview reads. @default {@link GITHUB_DEFAULTS}.previewEnvironments
     */
    readonly previewEnvironments?: boolean;
    /** Manage the branch protection too; exactly one stack per repository should, so it is opt-in. @default {@link GITHUB_DEFAULTS}.protectBranch */
    readonly protectBranch?: boolean;
    /** Branch that is protected and the only one allowed to deploy to production. @default {@link GITHUB_DEFAULTS}.branch */
    readonly branch?: string;
    /** Status check that must pass before merging, the preview job. @default {@link GITHUB_DEFAULTS}.previewCheck */
    readonly previewCheck?: pulumi.Input<string>;
    /** Approving reviews required on pull requests to the branch. @default {@link GITHUB_DEFAULTS}.requiredApprovals */
    readonly requiredApprovals?: pulumi.Input<number>;
    /** GitHub user ids allowed to approve production deployments (at most 6). @default [] */
    readonly productionReviewerUserIds?: pulumi.Input<pulumi.Input<number>[]>;
    /** GitHub team ids allowed to approve production deployments (at most 6). @default [] */
    readonly productionReviewerTeamIds?: pulumi.Input<pulumi.Input<number>[]>;
    /** Minutes production waits after approval before the job starts. @default {@link GITHUB_DEFAULTS}.productionWaitTimerMinutes */
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
        validateGitHubRepositorySettingsArgs(name, args);
        super("cicd:github:RepositorySettings", name, {}, opts);

        const children = createGitHubRepositorySettings(name, this, args);
        this.environments = children.environments;
        this.previewEnvironments = children.previewEnvironments;
        this.branchProtection = children.branchProtection;
        this.registerOutputs({
            environments: [...Object.values(this.environments), ...this.previewEnvironments].map((e) => e.environment),
            protectedBranch: this.branchProtection?.pattern,
        });
    }
}

/** What a GitHubRepositorySettings registers. */
export interface GitHubRepositorySettingsChildren {
    readonly environments: Readonly<Partial<Record<GitHubEnvironment, github.RepositoryEnvironment>>>;
    readonly previewEnvironments: readonly github.RepositoryEnvironment[];
    readonly branchProtection?: github.BranchProtection;
}

/**
 * Every problem of the arguments, thrown together.
 * @internal
 */
export function validateGitHubRepositorySettingsArgs(name: string, args: GitHubRepositorySettingsArgs): void {
    const checks = new ArgChecks("GitHubRepositorySettings", name);
    const managed: readonly string[] = args.environments ?? GITHUB_ENVIRONMENTS;
    for (const environment of managed) {
        if (!(GITHUB_ENVIRONMENTS as readonly string[]).includes(environment)) {
            checks.add("environments", `"${environment}" is not one of ${GITHUB_ENVIRONMENTS.join(", ")}`);
        }
    }
    for (const [field, map] of [
        ["variables", args.variables],
        ["secrets", args.secrets],
    ] as const) {
        for (const environment of Object.keys(map ?? {})) {
            if (!managed.includes(environment)) {
                checks.add(field, `for "${environment}", which this stack does not manage (${managed.join(", ")})`);
            }
        }
    }
    checks.throwIfAny();
}

/**
 * The settings' children, parented to `parent`: the managed environments (production with its
 * deployment branch policy), the preview environments, their variables and secrets, and the branch
 * protection when asked for.
 * @internal
 */
export function createGitHubRepositorySettings(
    name: string,
    parent: pulumi.Resource,
    args: GitHubRepositorySettingsArgs,
    opts?: ChildOptions,
): GitHubRepositorySettingsChildren {
    const child = childOf(parent, opts);
    const managed = args.environments ?? GITHUB_ENVIRONMENTS;
    const branch = args.branch ?? GITHUB_DEFAULTS.branch;
    const environments: Partial<Record<GitHubEnvironment, github.RepositoryEnvironment>> = {};
    for (const environment of managed) {
        environments[environment] =
            environment === "production"
                ? createProductionEnvironment(name, args, branch, child)
                : new github.RepositoryEnvironment(
                      `${name}-${environment}`,
                      { repository: args.repository, environment, preventSelfReview: false },
                      child,
                  );
    }
    const previewEnvironments =
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
                          child,
                      ),
              )
            : [];

    const values = (kind: "var" | "secret", map: GitHubRepositorySettingsArgs["variables"]): void => {
        for (const [environment, entries] of Object.entries(map ?? {})) {
            const env = (environments[environment as GitHubEnvironment] as github.RepositoryEnvironment).environment;
            for (const [key, value] of Object.entries(entries)) {
                const common = { repository: args.repository, environment: env };
                if (kind === "var") {
                    new github.ActionsEnvironmentVariable(
                        `${name}-${environment}-var-${key}`,
                        { ...common, variableName: key, value },
                        child,
                    );
                } else {
                    new github.ActionsEnvironmentSecret(
                        `${name}-${environment}-secret-${key}`,
                        { ...common, secretName: key, plaintextValue: pulumi.secret(value) },
                        child,
                    );
                }
            }
        }
    };
    values("var", args.variables);
    values("secret", args.secrets);

    const branchProtection =
        (args.protectBranch ?? GITHUB_DEFAULTS.protectBranch)
            ? new github.BranchProtection(`${name}-${branch}`, branchProtectionArgs(args, branch), child)
            : undefined;
    return { environments, previewEnvironments, branchProtection };
}

/**
 * Protection of `branch`: linear history, no force pushes or deletions, the preview check and
 * approving reviews required, admins included.
 * @internal
 */
export function branchProtectionArgs(args: GitHubRepositorySettingsArgs, branch: string): github.BranchProtectionArgs {
    return {
        repositoryId: args.repository,
        pattern: branch,
        enforceAdmins: true,
        allowsDeletions: false,
        allowsForcePushes: false,
        requiredLinearHistory: true,
        requireConversationResolution: true,
        requiredStatusChecks: [{ strict: true, contexts: [args.previewCheck ?? GITHUB_DEFAULTS.previewCheck] }],
        requiredPullRequestReviews: [
            {
                requiredApprovingReviewCount: args.requiredApprovals ?? GITHUB_DEFAULTS.requiredApprovals,
                dismissStaleReviews: true,
                requireLastPushApproval: true,
            },
        ],
    };
}

/** Production: a reviewer must approve, nobody reviews their own run, only `branch` deploys. */
function createProductionEnvironment(
    name: string,
    args: GitHubRepositorySettingsArgs,
    branch: string,
    child: pulumi.CustomResourceOptions,
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
        child,
    );
    new github.RepositoryEnvironmentDeploymentPolicy(
        `${name}-production-${branch}`,
        { repository: args.repository, environment: production.environment, branchPattern: branch },
        child,
    );
    return production;
}
