import type { StackValidationPolicy } from "@pulumi/policy";

import { environmentSchema, productionStackSubjects } from "../lib/policy";
import { dict, isUnknown, list, str } from "../lib/values";

export const GITHUB_ENVIRONMENT_TYPE = "github:index/repositoryEnvironment:RepositoryEnvironment";

/** Users and teams a RepositoryEnvironment names as reviewers; undefined while any of them is unknown. */
export function reviewerCount(props: Record<string, unknown>): number | undefined {
    const reviewers = props.reviewers;
    if (isUnknown(reviewers)) {
        return undefined;
    }
    let count = 0;
    for (const entry of list(reviewers)) {
        const reviewer = dict(entry) ?? {};
        for (const field of ["users", "teams"] as const) {
            if (isUnknown(reviewer[field])) {
                return undefined;
            }
            count += list(reviewer[field]).length;
        }
    }
    return count;
}

/** GitHub's production environment only deploys after a named reviewer approved. */
export const productionGithubEnvironmentReviewers: StackValidationPolicy = {
    name: "production-github-environment-reviewers",
    description:
        "Production only: the GitHub RepositoryEnvironment named production has at least one reviewer (user or team), so no deployment job runs without a person's approval.",
    remediationSteps:
        "Set github.productionReviewerUserIds or github.productionReviewerTeamIds in Pulumi.production.yaml; GitHubRepositorySettings puts them on the production environment.",
    enforcementLevel: "mandatory",
    configSchema: environmentSchema,
    validateStack: (args, reportViolation) => {
        for (const subject of productionStackSubjects(args)) {
            if (subject.type !== GITHUB_ENVIRONMENT_TYPE || subject.props.environment !== "production") {
                continue;
            }
            if (reviewerCount(subject.props) === 0) {
                reportViolation(
                    `GitHub environment production of repository ${str(subject.props.repository) ?? "(unknown)"} (RepositoryEnvironment "${subject.name}") has no reviewers, so deployments to production need no approval. ` +
                        "Fix: set github.productionReviewerUserIds or productionReviewerTeamIds in Pulumi.production.yaml (reviewers: [{ users: [...], teams: [...] }]).",
                    subject.urn,
                );
            }
        }
    },
};
