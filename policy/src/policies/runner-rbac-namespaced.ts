import type { ResourceValidationPolicy } from "@pulumi/policy";

import { describe, isKube, type Subject } from "../lib/kube";
import { subjectOf } from "../lib/policy";
import { at, dict, list, str } from "../lib/values";

const RBAC = "rbac.authorization.k8s.io";
const RUNNER_COMPONENT = "gitlab-runner";
/** `runner`, `gitlab-runner`, `ci-runner-rbac`, `runners`: a name part, not a substring of another word. */
const RUNNER_NAME = /(^|[-_.])(gitlab-)?runners?([-_.]|$)/i;
/** Built-in ClusterRoles too broad to hand a runner even within one namespace. */
const BROAD_CLUSTER_ROLES = new Set(["cluster-admin", "admin", "edit"]);

function isRunnerObject(subject: Subject): boolean {
    const component = at(subject.props, "metadata", "labels", "app.kubernetes.io/component");
    const name = str(at(subject.props, "metadata", "name")) ?? subject.name;
    return component === RUNNER_COMPONENT || RUNNER_NAME.test(name) || RUNNER_NAME.test(subject.name);
}

function runnerSubjects(subject: Subject): string[] {
    return list(subject.props.subjects)
        .map((entry) => dict(entry))
        .filter((entry) => entry !== undefined && RUNNER_NAME.test(str(entry.name) ?? ""))
        .map((entry) => `${str(entry?.kind) ?? "subject"} ${str(entry?.namespace) ?? ""}/${str(entry?.name) ?? ""}`);
}

/** The runner's RBAC is a Role in its own namespace: nothing cluster-wide, no broad built-in role. */
export const runnerRbacNamespaced: ResourceValidationPolicy = {
    name: "runner-rbac-namespaced",
    description:
        "The GitLab runner's RBAC grants nothing cluster-wide: no ClusterRole or ClusterRoleBinding labelled app.kubernetes.io/component=gitlab-runner or named like a runner, no ClusterRoleBinding to a runner service account, and no RoleBinding of a runner to cluster-admin/admin/edit.",
    remediationSteps:
        "Give the runner a namespaced Role with the executor's verbs (EXECUTOR_RULES in components/gitlab-runner.ts) and a RoleBinding in the runner's namespace.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const subject = subjectOf(args);
        if (isKube(args.type, RBAC, "ClusterRole") || isKube(args.type, RBAC, "ClusterRoleBinding")) {
            if (isRunnerObject(subject)) {
                reportViolation(
                    `${describe(subject)} belongs to a GitLab runner (label app.kubernetes.io/component=gitlab-runner or a runner name) and is cluster-scoped, so it reaches every namespace. ` +
                        "Fix: use a Role and RoleBinding in the runner's namespace instead.",
                );
                return;
            }
            if (isKube(args.type, RBAC, "ClusterRoleBinding")) {
                for (const bound of runnerSubjects(subject)) {
                    reportViolation(
                        `${describe(subject)} binds the runner identity ${bound} cluster-wide (subjects). ` +
                            "Fix: bind the runner with a RoleBinding in its own namespace.",
                    );
                }
            }
            return;
        }
        if (isKube(args.type, RBAC, "RoleBinding") && (isRunnerObject(subject) || runnerSubjects(subject).length > 0)) {
            const roleRef = dict(subject.props.roleRef);
            const roleName = str(roleRef?.name);
            if (roleRef?.kind === "ClusterRole" && roleName !== undefined && BROAD_CLUSTER_ROLES.has(roleName)) {
                reportViolation(
                    `${describe(subject)} gives the runner the built-in ClusterRole "${roleName}" (roleRef), far more than the executor needs. ` +
                        "Fix: bind a Role with only the executor's rules (EXECUTOR_RULES in components/gitlab-runner.ts).",
                );
            }
        }
    },
};
