import * as gitlab from "@pulumi/gitlab";

import type { TenantGitLabConfig } from "../config/sections/gitlab";
import type { GitLabTarget } from "./gitlab";

/** What the production gate needs of a tenant. */
export interface GitLabGateTenant {
    readonly name: string;
    readonly gitlab?: TenantGitLabConfig;
}

export interface GitLabGate {
    readonly branchProtection?: gitlab.BranchProtection;
    readonly environments: readonly gitlab.ProjectEnvironment[];
    readonly protectedEnvironments: readonly gitlab.ProjectProtectedEnvironment[];
}

/**
 * The platform repository's default branch: no direct pushes, merges by maintainers, no force push.
 * On GitLab Free this is the production gate: who may merge there decides who may start the
 * template's manual production job.
 */
function protectDefaultBranch(gl: GitLabTarget): gitlab.BranchProtection | undefined {
    const { protectBranch, platformProject, defaultBranch } = gl.config;
    if (!protectBranch || platformProject === undefined) {
        return undefined;
    }
    return new gitlab.BranchProtection(
        "gitlab-default-branch",
        {
            project: platformProject,
            branch: defaultBranch,
            pushAccessLevel: "no one",
            mergeAccessLevel: "maintainer",
            allowForcePush: false,
        },
        { provider: gl.provider },
    );
}

/**
 * The production environment of a tenant's project, protected: only the named users and groups
 * deploy, and each deploy waits for the approvals. Deploy access goes to exactly those named;
 * every named group gives `requiredApprovals` approvals and every named user approves.
 */
function protectProduction(
    gl: GitLabTarget,
    tenant: string,
    config: TenantGitLabConfig,
    project: string,
): { environment: gitlab.ProjectEnvironment; protection: gitlab.ProjectProtectedEnvironment } {
    const opts = { provider: gl.provider };
    const environment = new gitlab.ProjectEnvironment(
        `tenant-${tenant}-gitlab-production`,
        { project, name: "production", tier: "production" },
        opts,
    );
    const deployers = [
        ...config.deployGroupIds.map((groupId) => ({ groupId })),
        ...config.deployUserIds.map((userId) => ({ userId })),
    ];
    const approvalRules =
        config.requiredApprovals === 0
            ? []
            : [
                  ...config.deployGroupIds.map((groupId) => ({ groupId, requiredApprovals: config.requiredApprovals })),
                  ...config.deployUserIds.map((userId) => ({ userId, requiredApprovals: 1 })),
              ];
    const protection = new gitlab.ProjectProtectedEnvironment(
        `tenant-${tenant}-gitlab-production`,
        // The name as a plain value, so a preview (and the policy pack) sees which environment it guards.
        { project, environment: "production", deployAccessLevelsAttributes: deployers, approvalRules },
        { ...opts, dependsOn: [environment] },
    );
    return { environment, protection };
}

/**
 * Production's gate in GitLab: the default branch's protection (every tier), and on a paid tier each
 * tenant project's protected production environment. On Free the stack calls no paid endpoint: the
 * template's manual job, started by those who may merge to the protected branch, is the gate.
 */
export function createGitLabGate(gl: GitLabTarget | undefined, tenants: readonly GitLabGateTenant[]): GitLabGate {
    if (gl === undefined) {
        return { environments: [], protectedEnvironments: [] };
    }
    const branchProtection = protectDefaultBranch(gl);
    const guarded =
        gl.environment === "production" && gl.paid
            ? tenants.flatMap((tenant) =>
                  tenant.gitlab?.project === undefined
                      ? []
                      : [protectProduction(gl, tenant.name, tenant.gitlab, tenant.gitlab.project)],
              )
            : [];
    return {
        branchProtection,
        environments: guarded.map((g) => g.environment),
        protectedEnvironments: guarded.map((g) => g.protection),
    };
}
