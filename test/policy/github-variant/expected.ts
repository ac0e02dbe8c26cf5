/** What previewing ./index.ts as production must report: policy name → the misuse that triggers it. Nothing else may fire. */
export const EXPECTED_VIOLATIONS: Record<string, string> = {
    "production-github-environment-reviewers": "the production environment has no reviewers",
    "production-ci-credentials-protected": "REGISTRY_PASSWORD sits in that unreviewed environment",
};
