/**
 * The `gitlab` config section and the tenants' `gitlab` fields: defaults, each refusal naming its key
 * and what is allowed, the token from the stack or GITLAB_TOKEN, and what the integration changes
 * about the runners' hand-made tokens. Errors reach the user as every other config error does.
 */
import { setStackConfig } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { gitlabTokenProblems, loadStackConfig, StackConfigRunError } from "../../config/load";
import { runnerSecretProblems } from "../../config/runner-secrets";
import { parsePlainConfig, type PlainStackConfig, requiredSecrets } from "../../config/schema";
import { committedStackConfig, fakeRunnerToken } from "../support/stack-secrets";

type Obj = Record<string, unknown>;

/** A committed stack's plain config with `gitlab` and tenants changed. */
function stack(name: "staging" | "production", gitlab: Obj, extra: Obj = {}): Obj {
    const { values, secrets } = committedStackConfig(name);
    const plain = Object.fromEntries(Object.entries(values).filter(([key]) => !secrets.includes(key)));
    return { ...plain, gitlab, ...extra };
}

function problems(config: Obj): string[] {
    const parsed = parsePlainConfig(config);
    return parsed.ok ? [] : parsed.problems.map((p) => `${p.path}: ${p.message}`);
}

function parsed(config: Obj): PlainStackConfig {
    const result = parsePlainConfig(config);
    assert.ok(result.ok, JSON.stringify(result.ok ? [] : result.problems));
    return result.config;
}

const RUNNERS = { type: "project_type", projectId: 42 };
const tenant = (gitlab: Obj) => ({ name: "shop", namespace: "shop-staging", apps: ["storefront"], gitlab });

describe("gitlab config", () => {
    it("is off by default, on the Free tier, and changes nothing then", () => {
        const config = parsed(stack("staging", {}));
        assert.equal(config.gitlab.enabled, false);
        assert.equal(config.gitlab.tier, "free");
        assert.equal(config.gitlab.protectBranch, false);
        assert.equal(config.gitlab.defaultBranch, "main");
        assert.equal(config.gitlab.runners.type, "project_type");
        assert.ok(requiredSecrets(config).includes("runnerToken"));
    });

    it("with enabled, the runners' tokens are no longer required secrets, the SSH key still is", () => {
        const config = parsed(stack("staging", { enabled: true, runners: RUNNERS }));
        const needed = requiredSecrets(config);
        for (const key of ["runnerToken", "buildRunnerToken", "podmanRunnerTokens"] as const) {
            assert.ok(!needed.includes(key), key);
        }
        assert.ok(needed.includes("podmanSshPrivateKey"));
        assert.ok(needed.includes("runnerCacheAccessKey"), "the S3 cache keys are not GitLab's");
    });

    for (const [name, gitlab, extra, expected] of [
        ["an unknown tier", { tier: "gold" }, {}, ['gitlab.tier: "gold" is not one of free, premium, ultimate']],
        [
            "a base URL that is not the API's",
            { baseUrl: "https://gitlab.example.com" },
            {},
            [
                'gitlab.baseUrl: "https://gitlab.example.com" is not a GitLab API URL (https://gitlab.example.com/api/v4/)',
            ],
        ],
        [
            "an unknown field",
            { enable: true },
            {},
            [
                'gitlab: unknown field "enable" (allowed: enabled, tier, baseUrl, platformProject, protectBranch, defaultBranch, runners, buildVariables)',
            ],
        ],
        [
            "project runners without a project",
            { enabled: true },
            {},
            ["gitlab.runners.projectId: is required for project_type runners"],
        ],
        [
            "group runners with a project id",
            { enabled: true, runners: { type: "group_type", projectId: 4 } },
            {},
            [
                "gitlab.runners.groupId: is required for group_type runners",
                "gitlab.runners.projectId: is only for project_type runners (type is group_type)",
            ],
        ],
        [
            "a runner type GitLab does not have",
            { enabled: true, runners: { type: "shared" } },
            {},
            ['gitlab.runners.type: "shared" is not one of instance_type, group_type, project_type'],
        ],
        [
            "a rotation of a runner the stack does not have",
            { enabled: true, runners: { ...RUNNERS, rotations: { "build-9": "2026-12-07" } } },
            {},
            [
                "gitlab.runners.rotations.build-9: names no runner of this stack (runners: kubernetes, build, build-staging-1)",
            ],
        ],
        [
            "a rotation that is no label",
            { enabled: true, runners: { ...RUNNERS, rotations: { build: "Dec 7" } } },
            {},
            [
                "gitlab.runners.rotations.build: \"Dec 7\" is not a rotation label (lowercase letters, digits and '-', e.g. a date 2026-12-07)",
            ],
        ],
        [
            "branch protection without the project",
            { protectBranch: true },
            {},
            ["gitlab.platformProject: is required with protectBranch (the project whose branch it protects)"],
        ],
        [
            "a tenant's project without gitlab.enabled",
            {},
            { tenants: [tenant({ project: "shop/app" })] },
            ["tenants[0].gitlab: needs gitlab.enabled (the credential reaches GitLab through the gitlab provider)"],
        ],
        [
            "a tenant with both a project and a group",
            { enabled: true, tier: "premium", runners: RUNNERS },
            { tenants: [tenant({ project: "shop/app", group: "shop" })] },
            ["tenants[0].gitlab.project: set exactly one of project and group"],
        ],
        [
            "a tenant's group on Free",
            { enabled: true, runners: RUNNERS },
            { tenants: [tenant({ group: "shop" })] },
            [
                "tenants[0].gitlab.group: needs a paid tier (gitlab.tier is free): a group's variables are scoped to an environment only on Premium, and staging and production would share one TENANT_KUBECONFIG; give the tenant a project",
            ],
        ],
        [
            "deployers on Free",
            { enabled: true, runners: RUNNERS },
            { tenants: [tenant({ project: "shop/app", deployGroupIds: [7] })] },
            [
                "tenants[0].gitlab.deployUserIds: needs a paid tier (gitlab.tier is free): protected environments are Premium; on Free who may start the manual production job follows the protected default branch",
            ],
        ],
        [
            "a project path GitLab would not have",
            { enabled: true, runners: RUNNERS },
            { tenants: [tenant({ project: "shop app" })] },
            ['tenants[0].gitlab.project: "shop app" is not a GitLab project path (group/project) or id'],
        ],
    ] as const) {
        it(`refuses ${name}, naming the key and what is allowed`, () => {
            assert.deepEqual(
                problems(stack("staging", gitlab as Obj, extra as Obj)).filter((p) => /gitlab/.test(p)),
                expected,
            );
        });
    }

    it("refuses it on the local stack, like github", () => {
        const { values, secrets } = committedStackConfig("local");
        const plain = Object.fromEntries(Object.entries(values).filter(([key]) => !secrets.includes(key)));
        assert.deepEqual(
            problems({ ...plain, gitlab: { enabled: true, runners: RUNNERS } }).filter((p) => p.startsWith("gitlab")),
            ["gitlab.enabled: the local stack has no GitLab environment; use staging or production"],
        );
    });

    it("production on a paid tier needs a deployer and an approval per tenant project", () => {
        const config = (gitlab: Obj) =>
            stack(
                "production",
                { enabled: true, tier: "premium", runners: RUNNERS },
                { tenants: [{ ...tenant(gitlab), namespace: "shop-production" }] },
            );
        assert.deepEqual(
            problems(config({ project: "shop/app" })).filter((p) => p.startsWith("tenants")),
            [
                "tenants[0].gitlab.deployUserIds: production needs at least one deployer (a user or group id): the protected environment lets only them deploy",
            ],
        );
        assert.deepEqual(
            problems(config({ project: "shop/app", deployUserIds: [3], requiredApprovals: 0 })).filter((p) =>
                p.startsWith("tenants"),
            ),
            [
                "tenants[0].gitlab.requiredApprovals: production needs at least 1: a protected environment without approvals lets a deployer ship alone",
            ],
        );
        assert.deepEqual(
            problems(config({ project: "shop/app", deployGroupIds: [9], requiredApprovals: 2 })).filter((p) =>
                p.startsWith("tenants"),
            ),
            [],
        );
    });

    it("refuses hand-made runner tokens beside the integration, naming each key, never its value", () => {
        const token = fakeRunnerToken("kubernetes");
        const config = parsed(stack("staging", { enabled: true, runners: RUNNERS }));
        const found = runnerSecretProblems(config, {
            runnerToken: token,
            podmanRunnerTokens: JSON.stringify({ "build-staging-1": fakeRunnerToken("p") }),
        });
        assert.deepEqual(
            found.map((p) => p.path),
            ["runnerToken", "podmanRunnerTokens"],
        );
        assert.match(found[0]?.message ?? "", /is not used with gitlab\.enabled .*gitlab\.UserRunner/);
        assert.ok(found.every((p) => !p.message.includes(token)));
    });

    it("takes the token from the stack or GITLAB_TOKEN, and names both when neither is there", () => {
        const config = parsed(stack("staging", { enabled: true, runners: RUNNERS }));
        assert.deepEqual(gitlabTokenProblems(config, { gitlabToken: "glpat-x" }, {}), []);
        assert.deepEqual(gitlabTokenProblems(config, {}, { GITLAB_TOKEN: "glpat-x" }), []);
        assert.deepEqual(gitlabTokenProblems(config, {}, {}), [
            {
                path: "gitlabToken",
                message:
                    "is required with gitlab.enabled (scopes: see docs/gitlab.md): pulumi config set --secret gitlabToken, or GITLAB_TOKEN in the environment",
            },
        ]);
        assert.deepEqual(gitlabTokenProblems(parsed(stack("staging", {})), {}, {}), []);
    });

    it("reports its problems through the program's config error, before any resource", () => {
        const { values, secrets } = committedStackConfig("staging");
        const saved = process.env.GITLAB_TOKEN;
        delete process.env.GITLAB_TOKEN;
        try {
            setStackConfig({ ...values, gitlab: { enabled: true, tier: "gold" } }, secrets);
            assert.throws(
                () => loadStackConfig(),
                (error: unknown) => {
                    assert.ok(error instanceof StackConfigRunError);
                    assert.match(error.message, /gitlab\.tier: "gold" is not one of free, premium, ultimate/);
                    return true;
                },
            );
            setStackConfig({ ...values, gitlab: { enabled: true, runners: RUNNERS } }, secrets);
            assert.throws(
                () => loadStackConfig(),
                (error: unknown) =>
                    error instanceof StackConfigRunError &&
                    error.problems.some((p) => p.path === "gitlabToken") &&
                    // The hand-made tokens the fixture carries are refused beside the integration.
                    error.problems.some((p) => p.path === "runnerToken"),
            );
        } finally {
            if (saved !== undefined) {
                process.env.GITLAB_TOKEN = saved;
            }
        }
    });
});
