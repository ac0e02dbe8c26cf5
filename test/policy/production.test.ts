import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import { checkStack, type StackInput, UNKNOWN_STRING } from "./harness";

const PRODUCTION = { environment: "production" };
const STAGING = { environment: "staging" };

function deploymentOf(
    name: string,
    replicas: number | undefined,
    labels: Record<string, string>,
    parent?: string,
    extraLabels: Record<string, string> = {},
): StackInput {
    return {
        type: "kubernetes:apps/v1:Deployment",
        name,
        parent,
        props: {
            metadata: { name, namespace: "shop", labels: { ...labels, ...extraLabels } },
            spec: {
                replicas,
                selector: { matchLabels: labels },
                template: { metadata: { labels: { ...labels, version: "1" } } },
            },
        },
    };
}

function pdbOf(name: string, matchLabels: Record<string, string>, namespace = "shop"): StackInput {
    return {
        type: "kubernetes:policy/v1:PodDisruptionBudget",
        name,
        props: { metadata: { name, namespace }, spec: { maxUnavailable: 1, selector: { matchLabels } } },
    };
}

const stable = { app: "storefront", track: "stable" };
const canary = { app: "storefront", track: "canary" };
const release: StackInput = { type: "cicd:release:CanaryRelease", name: "storefront", props: {} };

describe("production-replicas-and-pdb", () => {
    it("GIVEN a canary release as CanaryRelease builds it in production (stable 4, canary 1, a PDB each) THEN it passes", async () => {
        const resources = [
            release,
            deploymentOf("storefront-stable", 4, stable, "storefront"),
            deploymentOf("storefront-canary", 1, canary, "storefront"),
            pdbOf("storefront-stable", stable),
            pdbOf("storefront-canary", canary),
        ];
        assert.deepEqual(await checkStack("production-replicas-and-pdb", resources, PRODUCTION), []);
    });

    it("GIVEN one replica (set or defaulted) and no PDB THEN it reports both with the Deployment's URN", async () => {
        const violations = await checkStack(
            "production-replicas-and-pdb",
            [
                deploymentOf("web", 1, { app: "web" }),
                deploymentOf("api", undefined, { app: "api" }),
                pdbOf("api", { app: "api" }),
            ],
            PRODUCTION,
        );
        assert.equal(violations.length, 3, violations.map((v) => v.message).join("\n"));
        assert.match(
            violations[0]!.message,
            /Deployment shop\/web runs 1 replica \(spec\.replicas\); production needs at least 2/,
        );
        assert.match(violations[1]!.message, /Deployment shop\/web has no PodDisruptionBudget selecting its pods/);
        assert.match(violations[2]!.message, /Deployment shop\/api runs 1 replica \(spec\.replicas unset, default 1\)/);
        assert.ok(violations.every((v) => v.urn?.includes("kubernetes:apps/v1:Deployment")));
    });

    it("GIVEN a PDB in another namespace, with other labels or an empty selector THEN the Deployment is not covered", async () => {
        for (const pdb of [pdbOf("web", { app: "web" }, "other"), pdbOf("web", { app: "api" }), pdbOf("web", {})]) {
            const violations = await checkStack(
                "production-replicas-and-pdb",
                [deploymentOf("web", 2, { app: "web" }), pdb],
                PRODUCTION,
            );
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /no PodDisruptionBudget/);
        }
    });

    it("GIVEN a canary whose stable track is too small, or a canary outside a CanaryRelease THEN the canary is not exempt", async () => {
        const small = [
            release,
            deploymentOf("storefront-stable", 1, stable, "storefront"),
            deploymentOf("storefront-canary", 1, canary, "storefront"),
            pdbOf("s", stable),
            pdbOf("c", canary),
        ];
        assert.equal((await checkStack("production-replicas-and-pdb", small, PRODUCTION)).length, 2);
        const loose = [
            deploymentOf("storefront-stable", 4, stable),
            deploymentOf("storefront-canary", 1, canary),
            pdbOf("s", stable),
            pdbOf("c", canary),
        ];
        assert.equal((await checkStack("production-replicas-and-pdb", loose, PRODUCTION)).length, 1);
    });

    it("GIVEN an idle blue-green colour at 0 replicas or a configured singleton (the runner) THEN they are exempt", async () => {
        const blueGreen: StackInput[] = [
            { type: "cicd:release:BlueGreenRelease", name: "checkout", props: {} },
            deploymentOf("checkout-blue", 3, { app: "checkout", color: "blue" }, "checkout"),
            deploymentOf("checkout-green", 0, { app: "checkout", color: "green" }, "checkout"),
            pdbOf("checkout-blue", { app: "checkout", color: "blue" }),
        ];
        assert.deepEqual(await checkStack("production-replicas-and-pdb", blueGreen, PRODUCTION), []);
        const runner = [
            deploymentOf("ci", 1, { app: "ci" }, undefined, { "app.kubernetes.io/component": "gitlab-runner" }),
        ];
        assert.equal((await checkStack("production-replicas-and-pdb", runner, PRODUCTION)).length, 2);
        assert.deepEqual(
            await checkStack("production-replicas-and-pdb", runner, {
                ...PRODUCTION,
                singletonComponents: ["gitlab-runner"],
            }),
            [],
        );
    });

    it("GIVEN staging, or unknown replicas during preview THEN it does not judge", async () => {
        assert.deepEqual(
            await checkStack("production-replicas-and-pdb", [deploymentOf("web", 1, { app: "web" })], STAGING),
            [],
        );
        assert.deepEqual(
            await checkStack(
                "production-replicas-and-pdb",
                [
                    deploymentOf("web", UNKNOWN_STRING as unknown as number, { app: "web" }),
                    pdbOf("web", { app: "web" }),
                ],
                PRODUCTION,
            ),
            [],
        );
    });

    it("GIVEN no pack config at all THEN it applies production rules (fail closed)", async () => {
        assert.equal(
            (
                await checkStack("production-replicas-and-pdb", [
                    deploymentOf("web", 1, { app: "web" }),
                    pdbOf("web", { app: "web" }),
                ])
            ).length,
            1,
        );
    });
});

function githubEnvironment(environment: string, reviewers: unknown): StackInput {
    return {
        type: "github:index/repositoryEnvironment:RepositoryEnvironment",
        name: `github-${environment}`,
        props: { repository: "shop", environment, reviewers },
    };
}

describe("production-github-environment-reviewers", () => {
    it("GIVEN reviewers (users or teams) on production THEN it passes; none fails; staging is not judged", async () => {
        assert.deepEqual(
            await checkStack(
                "production-github-environment-reviewers",
                [githubEnvironment("production", [{ users: [1048576], teams: [] }])],
                PRODUCTION,
            ),
            [],
        );
        assert.deepEqual(
            await checkStack(
                "production-github-environment-reviewers",
                [githubEnvironment("production", [{ teams: [2097152] }])],
                PRODUCTION,
            ),
            [],
        );
        const none = await checkStack(
            "production-github-environment-reviewers",
            [githubEnvironment("production", [{ users: [], teams: [] }])],
            PRODUCTION,
        );
        assert.match(
            none[0]!.message,
            /GitHub environment production of repository shop .* has no reviewers.*productionReviewerUserIds/,
        );
        assert.equal(
            (
                await checkStack(
                    "production-github-environment-reviewers",
                    [githubEnvironment("production", undefined)],
                    PRODUCTION,
                )
            ).length,
            1,
        );
        assert.deepEqual(
            await checkStack("production-github-environment-reviewers", [githubEnvironment("staging", [])], PRODUCTION),
            [],
        );
        assert.deepEqual(
            await checkStack("production-github-environment-reviewers", [githubEnvironment("production", [])], STAGING),
            [],
        );
    });
});

const PROTECTED = "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment";

describe("production-gitlab-environment-approval", () => {
    const protectedEnvironment = (props: Record<string, unknown>): StackInput => ({
        type: PROTECTED,
        name: "gitlab-production",
        props: { project: "42", environment: "production", deployAccessLevelsAttributes: [{ groupId: 7 }], ...props },
    });

    it("GIVEN approval rules or a required approval count THEN it passes", async () => {
        assert.deepEqual(
            await checkStack(
                "production-gitlab-environment-approval",
                [protectedEnvironment({ approvalRules: [{ groupId: 7, requiredApprovals: 1 }] })],
                PRODUCTION,
            ),
            [],
        );
        assert.deepEqual(
            await checkStack(
                "production-gitlab-environment-approval",
                [protectedEnvironment({ requiredApprovalCount: 2 })],
                PRODUCTION,
            ),
            [],
        );
    });

    it("GIVEN no approvals, or an unprotected production environment THEN it reports them", async () => {
        const none = await checkStack(
            "production-gitlab-environment-approval",
            [protectedEnvironment({ approvalRules: [{ accessLevel: "maintainer", requiredApprovals: 0 }] })],
            PRODUCTION,
        );
        assert.match(none[0]!.message, /GitLab protected environment production of project 42 .* requires no approval/);
        const bare: StackInput = {
            type: "gitlab:index/projectEnvironment:ProjectEnvironment",
            name: "gitlab-env-production",
            props: { project: "42", name: "production" },
        };
        const unprotected = await checkStack("production-gitlab-environment-approval", [bare], PRODUCTION);
        assert.match(unprotected[0]!.message, /GitLab environment production of project 42 .* is not protected/);
        assert.deepEqual(
            await checkStack(
                "production-gitlab-environment-approval",
                [bare, protectedEnvironment({ requiredApprovalCount: 1 })],
                PRODUCTION,
            ),
            [],
        );
        assert.deepEqual(await checkStack("production-gitlab-environment-approval", [bare], STAGING), []);
    });
});

describe("production-ci-credentials-protected", () => {
    const variable = (key: string, props: Record<string, unknown>, value = "x"): StackInput => ({
        type: "gitlab:index/projectVariable:ProjectVariable",
        name: `gitlab-var-${key}`,
        props: { project: "42", key, value, ...props },
    });

    it("GIVEN credential variables masked and protected, and plain ones unmasked THEN it passes", async () => {
        const resources = [
            variable("REGISTRY_PASSWORD", { masked: true, protected: true }),
            variable("DOCKER_CONFIG", { hidden: true, protected: true }),
            variable("REGISTRY_SERVER", {}),
        ];
        assert.deepEqual(await checkStack("production-ci-credentials-protected", resources, PRODUCTION), []);
    });

    it("GIVEN a credential variable neither masked nor protected THEN it says both, by key", async () => {
        const violations = await checkStack(
            "production-ci-credentials-protected",
            [variable("DEPLOY_TOKEN", {}), variable("SETTINGS", { masked: true }, "glpat-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm")],
            PRODUCTION,
        );
        assert.equal(violations.length, 2);
        assert.match(
            violations[0]!.message,
            /GitLab CI variable DEPLOY_TOKEN \(ProjectVariable "gitlab-var-DEPLOY_TOKEN"\) is named like a credential but is not masked: true \(or hidden: true\) and protected: true/,
        );
        assert.match(violations[1]!.message, /SETTINGS .* holds a GitLab personal access token .* not protected: true/);
        assert.deepEqual(
            await checkStack("production-ci-credentials-protected", [variable("DEPLOY_TOKEN", {})], STAGING),
            [],
        );
    });

    it("GIVEN a repository-wide GitHub secret or an organization secret visible to all THEN it asks for an environment secret", async () => {
        const repo: StackInput = {
            type: "github:index/actionsSecret:ActionsSecret",
            name: "deploy",
            props: { repository: "shop", secretName: "DEPLOY_KEY" },
        };
        const org: StackInput = {
            type: "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
            name: "org",
            props: { secretName: "NPM_TOKEN", visibility: "all" },
        };
        const env: StackInput = {
            type: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            name: "registry",
            props: { repository: "shop", environment: "production", secretName: "REGISTRY_PASSWORD" },
        };
        const violations = await checkStack("production-ci-credentials-protected", [repo, org, env], PRODUCTION);
        assert.equal(violations.length, 2);
        assert.match(violations[0]!.message, /GitHub Actions secret DEPLOY_KEY .* is repository-wide/);
        assert.match(violations[1]!.message, /organization secret NPM_TOKEN .* visibility all/);
    });

    it("GIVEN a credential environment secret THEN its environment in the stack must have reviewers", async () => {
        const secret = (environment: string, secretName: string): StackInput => ({
            type: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            name: `${environment}-${secretName}`,
            props: { repository: "shop", environment, secretName },
        });
        const reviewed = githubEnvironment("production", [{ users: [1], teams: [] }]);
        const open = githubEnvironment("production-preview", [{ users: [], teams: [] }]);
        const violations = await checkStack(
            "production-ci-credentials-protected",
            [
                reviewed,
                open,
                secret("production", "REGISTRY_PASSWORD"),
                secret("production-preview", "REGISTRY_PASSWORD"),
                secret("production-preview", "DEPLOY_REGION"),
            ],
            PRODUCTION,
        );
        assert.equal(violations.length, 1, JSON.stringify(violations));
        assert.match(
            violations[0]!.message,
            /GitHub environment secret REGISTRY_PASSWORD \(ActionsEnvironmentSecret "production-preview-REGISTRY_PASSWORD"\) is in environment production-preview, which has no reviewers/,
        );
        const unknownReviewers = githubEnvironment("production-preview", [{ users: UNKNOWN_STRING, teams: [] }]);
        assert.deepEqual(
            await checkStack(
                "production-ci-credentials-protected",
                [unknownReviewers, secret("production-preview", "REGISTRY_PASSWORD")],
                PRODUCTION,
            ),
            [],
        );
        assert.deepEqual(
            await checkStack(
                "production-ci-credentials-protected",
                [open, secret("production-preview", "REGISTRY_PASSWORD")],
                STAGING,
            ),
            [],
        );
    });
});

describe("policy-config-matches-stack", () => {
    const saved = process.env.PULUMI_CONFIG;
    afterEach(() => {
        if (saved === undefined) {
            delete process.env.PULUMI_CONFIG;
        } else {
            process.env.PULUMI_CONFIG = saved;
        }
    });

    it("GIVEN the stack's environment equal to the pack config's, or no stack config THEN it passes", async () => {
        process.env.PULUMI_CONFIG = JSON.stringify({ "cicd-platform:environment": "staging" });
        assert.deepEqual(await checkStack("policy-config-matches-stack", [], STAGING), []);
        delete process.env.PULUMI_CONFIG;
        assert.deepEqual(await checkStack("policy-config-matches-stack", [], STAGING), []);
    });

    it("GIVEN a production stack previewed with the staging config (or none) THEN it names the right file", async () => {
        process.env.PULUMI_CONFIG = JSON.stringify({ "cicd-platform:environment": "production" });
        const wrong = await checkStack("policy-config-matches-stack", [], STAGING);
        assert.match(
            wrong[0]!.message,
            /policy config says environment staging, but this stack's cicd-platform:environment is production.*policy\/config\/production\.json/,
        );
        process.env.PULUMI_CONFIG = JSON.stringify({ "cicd-platform:environment": "staging" });
        assert.match(
            (await checkStack("policy-config-matches-stack", []))[0]!.message,
            /policy\/config\/staging\.json/,
        );
    });
});
