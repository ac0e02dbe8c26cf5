import type { StackValidationPolicy } from "@pulumi/policy";

import { findCredential, isCredentialName } from "../lib/credentials";
import { environmentOf, environmentSchema, stackSubjects } from "../lib/policy";
import { isUnknown, str } from "../lib/values";
import { GITHUB_ENVIRONMENT_TYPE, reviewerCount } from "./production-github-environment-reviewers";

export const GITLAB_VARIABLE_TYPES: ReadonlySet<string> = new Set([
    "gitlab:index/projectVariable:ProjectVariable",
    "gitlab:index/groupVariable:GroupVariable",
    "gitlab:index/instanceVariable:InstanceVariable",
]);
const GITHUB_REPOSITORY_SECRET = "github:index/actionsSecret:ActionsSecret";
const GITHUB_ORGANIZATION_SECRET = "github:index/actionsOrganizationSecret:ActionsOrganizationSecret";
const GITHUB_ENVIRONMENT_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret";

/** Production CI credentials are masked in job logs and only reach protected refs / approved environments. */
export const productionCiCredentialsProtected: StackValidationPolicy = {
    name: "production-ci-credentials-protected",
    description:
        "Production only: GitLab CI variables (project, group, instance) whose key looks like a credential (PASSWORD, TOKEN, SECRET, KEY, AUTH, DOCKER_CONFIG, …) or whose value holds one are masked (or hidden) and protected; GitHub credentials are environment secrets of environments with reviewers, not repository-wide ActionsSecrets or organization secrets visible to all repositories.",
    remediationSteps:
        "GitLab: set masked: true (or hidden: true) and protected: true on the variable. GitHub: store it with github.ActionsEnvironmentSecret in the production environment (RegistryCredentials does), or restrict an organization secret's visibility to selected repositories.",
    enforcementLevel: "mandatory",
    configSchema: environmentSchema,
    validateStack: (args, reportViolation) => {
        if (environmentOf(args.getConfig<Record<string, unknown>>()) !== "production") {
            return;
        }
        const subjects = stackSubjects(args);
        // An environment secret is only as protected as its environment: without reviewers any
        // workflow run that names the environment reads it. Environments managed elsewhere are not
        // in the stack and cannot be judged here.
        const reviewersOf = new Map<string, number | undefined>();
        for (const subject of subjects) {
            if (subject.type === GITHUB_ENVIRONMENT_TYPE) {
                const key = `${str(subject.props.repository) ?? ""}/${str(subject.props.environment) ?? ""}`;
                reviewersOf.set(key, reviewerCount(subject.props));
            }
        }
        for (const subject of subjects) {
            const props = subject.props;
            if (GITLAB_VARIABLE_TYPES.has(subject.type)) {
                const key = str(props.key) ?? subject.name;
                const value = str(props.value);
                const kind = value === undefined ? undefined : findCredential(value);
                if (!isCredentialName(key) && !kind) {
                    continue;
                }
                const missing: string[] = [];
                if (props.masked !== true && props.hidden !== true && !isUnknown(props.masked)) {
                    missing.push("masked: true (or hidden: true), so job logs print [MASKED] instead of the value");
                }
                if (props.protected !== true && !isUnknown(props.protected)) {
                    missing.push("protected: true, so only pipelines on protected branches and tags get it");
                }
                if (missing.length > 0) {
                    const kindName = subject.type.split(":").pop() ?? subject.type;
                    reportViolation(
                        `GitLab CI variable ${key} (${kindName} "${subject.name}") ${kind ? `holds ${kind}` : "is named like a credential"} but is not ${missing.map((m) => m.split(",")[0]).join(" and ")}. ` +
                            `Fix: set ${missing.join("; and ")}.`,
                        subject.urn,
                    );
                }
            } else if (subject.type === GITHUB_REPOSITORY_SECRET) {
                const name = str(props.secretName) ?? subject.name;
                if (isCredentialName(name)) {
                    reportViolation(
                        `GitHub Actions secret ${name} (ActionsSecret "${subject.name}") is repository-wide, so workflows on any branch can read it without the production environment's reviewers. ` +
                            "Fix: store it as a github.ActionsEnvironmentSecret of the production environment.",
                        subject.urn,
                    );
                }
            } else if (subject.type === GITHUB_ENVIRONMENT_SECRET) {
                const name = str(props.secretName) ?? subject.name;
                const environment = str(props.environment);
                const key = `${str(props.repository) ?? ""}/${environment ?? ""}`;
                if (isCredentialName(name) && reviewersOf.get(key) === 0) {
                    reportViolation(
                        `GitHub environment secret ${name} (ActionsEnvironmentSecret "${subject.name}") is in environment ${environment ?? "(unknown)"}, which has no reviewers, so any workflow run that targets it reads the credential without anyone's approval. ` +
                            "Fix: give that environment reviewers (github.productionReviewerUserIds or productionReviewerTeamIds), or keep the credential out of it.",
                        subject.urn,
                    );
                }
            } else if (subject.type === GITHUB_ORGANIZATION_SECRET && props.visibility === "all") {
                const name = str(props.secretName) ?? subject.name;
                reportViolation(
                    `GitHub organization secret ${name} (ActionsOrganizationSecret "${subject.name}") has visibility all, so every repository of the organization can read it. ` +
                        'Fix: set visibility: "selected" with selectedRepositoryIds, or use an environment secret.',
                    subject.urn,
                );
            }
        }
    },
};
