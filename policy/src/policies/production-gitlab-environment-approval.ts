import type { StackValidationPolicy } from "@pulumi/policy";

import { environmentSchema, productionStackSubjects } from "../lib/policy";
import { dict, isUnknown, list, str } from "../lib/values";

/**
 * Types and property names of the repository's own GitLab provider (tools/provider-gitlab; sdks/gitlab
 * is generated from its schema), which keeps pulumi-gitlab's names: approvalRules[].requiredApprovals.
 * requiredApprovalCount, the older single count pulumi-gitlab also has, is added in when present.
 */
export const GITLAB_PROTECTED_ENVIRONMENT_TYPE = "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment";
export const GITLAB_ENVIRONMENT_TYPE = "gitlab:index/projectEnvironment:ProjectEnvironment";

function approvals(props: Record<string, unknown>): number | "unknown" {
    const count = props.requiredApprovalCount;
    const rules = props.approvalRules;
    if (isUnknown(count) || isUnknown(rules)) {
        return "unknown";
    }
    let total = typeof count === "number" ? count : 0;
    for (const entry of list(rules)) {
        const required = dict(entry)?.requiredApprovals;
        if (isUnknown(required)) {
            return "unknown";
        }
        total += typeof required === "number" ? required : 0;
    }
    return total;
}

/**
 * Deploy access granted by role rather than to named users or groups: a role anyone of a project's
 * developers has (or an unknown one) is not a restriction.
 */
function unrestrictedDeployers(props: Record<string, unknown>): string[] | "unknown" {
    const levels = props.deployAccessLevelsAttributes ?? props.deployAccessLevels;
    if (isUnknown(levels)) {
        return "unknown";
    }
    const entries = list(levels);
    if (entries.length === 0) {
        return ["no deploy access levels (GitLab then lets every Maintainer and Developer deploy)"];
    }
    const loose: string[] = [];
    for (const entry of entries) {
        const level = dict(entry) ?? {};
        if (isUnknown(level.accessLevel) || isUnknown(level.userId) || isUnknown(level.groupId)) {
            return "unknown";
        }
        const named = typeof level.userId === "number" || typeof level.groupId === "number";
        if (!named && level.accessLevel !== "maintainer") {
            loose.push(`access level ${JSON.stringify(level.accessLevel ?? "(none)")}`);
        }
    }
    return loose;
}

/**
 * GitLab's production environment is protected, deployable only by named users, groups or
 * maintainers, and needs at least one approval to deploy.
 */
export const productionGitlabEnvironmentApproval: StackValidationPolicy = {
    name: "production-gitlab-environment-approval",
    description:
        "Production only: every GitLab ProjectProtectedEnvironment named production restricts deploy access to named users or groups (or maintainers) and requires at least one approval (approvalRules[].requiredApprovals or requiredApprovalCount), and a ProjectEnvironment named production that the stack creates is protected by one.",
    remediationSteps:
        'Create gitlab.ProjectProtectedEnvironment { environment: "production", deployAccessLevels: [...], approvalRules: [{ groupId or userId or accessLevel, requiredApprovals: 1 }] } for the project.',
    enforcementLevel: "mandatory",
    configSchema: environmentSchema,
    validateStack: (args, reportViolation) => {
        const subjects = productionStackSubjects(args);
        const protectedProjects: unknown[] = [];
        for (const subject of subjects) {
            if (subject.type !== GITLAB_PROTECTED_ENVIRONMENT_TYPE || subject.props.environment !== "production") {
                continue;
            }
            protectedProjects.push(subject.props.project);
            const loose = unrestrictedDeployers(subject.props);
            if (loose !== "unknown" && loose.length > 0) {
                reportViolation(
                    `GitLab protected environment production of project ${str(subject.props.project) ?? "(unknown)"} (ProjectProtectedEnvironment "${subject.name}") does not restrict who deploys: ${loose.join(", ")}. ` +
                        "Fix: deployAccessLevelsAttributes: [{ userId } or { groupId }] (tenants[].gitlab.deployUserIds / deployGroupIds).",
                    subject.urn,
                );
            }
            const count = approvals(subject.props);
            if (count !== "unknown" && count < 1) {
                reportViolation(
                    `GitLab protected environment production of project ${str(subject.props.project) ?? "(unknown)"} (ProjectProtectedEnvironment "${subject.name}") requires no approval: approvalRules[].requiredApprovals and requiredApprovalCount are unset or 0. ` +
                        "Fix: add approvalRules: [{ groupId/userId/accessLevel, requiredApprovals: 1 }].",
                    subject.urn,
                );
            }
        }
        for (const subject of subjects) {
            if (subject.type !== GITLAB_ENVIRONMENT_TYPE || subject.props.name !== "production") {
                continue;
            }
            const project = subject.props.project;
            const isProtected = protectedProjects.some((p) => isUnknown(p) || isUnknown(project) || p === project);
            if (!isProtected) {
                reportViolation(
                    `GitLab environment production of project ${str(project) ?? "(unknown)"} (ProjectEnvironment "${subject.name}") is not protected, so anyone who can run a pipeline deploys to it. ` +
                        'Fix: add a gitlab.ProjectProtectedEnvironment { environment: "production", approvalRules: [{ ..., requiredApprovals: 1 }] } for the project.',
                    subject.urn,
                );
            }
        }
    },
};
