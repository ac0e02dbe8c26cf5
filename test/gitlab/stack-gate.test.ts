/**
 * The stacks' GitLab modules through the real CLI and our gitlab plugin, against the GitLab API
 * stand-in (no GitLab server can run here): the production gate, a tenant's variables and a runner
 * registration, as platform/ and components/ create them. On Free the stand-in answers 403 for paid
 * endpoints, and the stack calls none of them; on Premium it adds the protected environment. A
 * runner rotation replaces the registration and the token's consumer gets the new token in the same
 * `up` (here a local command writing it to a file; runner-secret-rotation.test.ts shows the runner's
 * config Secret on an API server). Skips, saying why, when the toolchain is not built.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { policyFlags, ROOT } from "../support/engine";
import { type EngineStack, newEngineStack } from "../support/engine-stack";
import { type GitLabStandIn, startStandIn } from "./standin";
import { toolchainSkip } from "./toolchain";

const ADMIN_TOKEN = ["glpat", "standin-gate-0123456789"].join("-"); // a stand-in value, spelled apart for secret scanners
const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n# gate test\n";

const PROGRAM = `
import * as command from "@pulumi/command";
import * as gitlab from "@pulumi/gitlab";
import * as pulumi from "@pulumi/pulumi";

import { GitLabVariables } from "${ROOT}/platform/gitlab-variables";
import type { GitLabConfig, GitLabTier } from "${ROOT}/config/sections/gitlab";
import type { GitLabTarget } from "${ROOT}/platform/gitlab";
import { createGitLabGate } from "${ROOT}/platform/gitlab-production";
import { createUserRunner } from "${ROOT}/platform/gitlab-runners";

const c = new pulumi.Config();
const tier = c.require("tier") as GitLabTier;
const provider = new gitlab.Provider("gitlab", {
    baseUrl: c.require("baseUrl"),
    token: c.requireSecret("token"),
    earlyAuthCheck: true,
});
const config: GitLabConfig = {
    enabled: true,
    tier,
    platformProject: "platform/cicd-platform",
    protectBranch: true,
    defaultBranch: "main",
    buildVariables: false,
    runners: { type: "project_type", projectId: 2, rotations: { kubernetes: c.require("rotation") } },
};
const gl: GitLabTarget = { provider, environment: "production", config, paid: tier !== "free" };

createGitLabGate(gl, [
    {
        name: "shop",
        gitlab: { project: "shop/storefront", deployUserIds: tier === "free" ? [] : [1], deployGroupIds: [], requiredApprovals: 1 },
    },
]);
new GitLabVariables(
    "tenant-shop-gitlab",
    {
        project: "shop/storefront",
        environmentScope: "production",
        variables: [
            { key: "TENANT_KUBECONFIG", value: c.requireSecret("kubeconfig"), form: "base64-masked", file: true },
            { key: "TENANT_PULL_PREFIX", value: "registry.example.test/shop", form: "plain" },
        ],
    },
    { provider },
);
const runner = createUserRunner(gl, "kubernetes", "gitlab-runner", ["production", "kubernetes"]);
new command.local.Command("runner-config", {
    create: 'umask 077; printf %s "$TOKEN" >"$OUT"',
    update: 'umask 077; printf %s "$TOKEN" >"$OUT"',
    environment: { TOKEN: runner.token, OUT: c.require("out") },
});
if (c.getBoolean("unprotectedVariant") === true) {
    // The variant the policy pack must refuse: a production variable any branch's pipeline reads.
    new gitlab.ProjectVariable(
        "unprotected",
        { project: "shop/storefront", key: "DEPLOY_NOTE", value: "plain", protected: false, environmentScope: "production" },
        { provider },
    );
}
export const runnerId = runner.id;
`;

interface Logged {
    readonly method: string;
    readonly path: string;
    readonly status: number;
}

describe(
    "the stacks' GitLab gate, variables and runner through the real CLI against the GitLab API stand-in",
    {
        skip: toolchainSkip(),
    },
    () => {
        let api: GitLabStandIn | undefined;
        let stack: EngineStack | undefined;
        let out: string;

        before(async () => {
            const standIn = await startStandIn({
                tier: "free",
                users: [{ id: 1, username: "root", token: ADMIN_TOKEN, admin: true }],
                projects: ["shop/storefront", "platform/cicd-platform"],
                groups: [],
            });
            api = standIn;
            const engine = await newEngineStack("gitlab-gate", PROGRAM);
            stack = engine;
            out = join(engine.dir, "runner-token");
            await engine.config("tier", "free");
            await engine.config("baseUrl", standIn.baseUrl);
            await engine.config("token", ADMIN_TOKEN, true);
            await engine.config("kubeconfig", KUBECONFIG, true);
            await engine.config("rotation", "initial");
            await engine.config("out", out);
        });
        after(async () => {
            if (stack !== undefined) {
                await stack.destroy();
                stack.dispose();
            }
            api?.stop();
        });

        const standIn = (): GitLabStandIn => {
            assert.ok(api, "the stand-in started");
            return api;
        };
        const engine = (): EngineStack => {
            assert.ok(stack, "the stack exists");
            return stack;
        };
        const get = async (path: string) => standIn().api(ADMIN_TOKEN, "GET", path);
        const upOk = async () => {
            const r = await engine().up();
            assert.equal(r.code, 0, `pulumi up: ${r.stderr}${r.stdout}`);
            return r;
        };

        it("stand-in: on Free, up protects the default branch, creates the variables and runner, and calls no paid endpoint", async () => {
            await standIn().clearRequests();
            await upOk();
            const calls = (await standIn().requests()) as Logged[];
            assert.deepEqual(
                calls.filter((q) => q.path.includes("protected_environments") || q.status === 403),
                [],
                "a paid endpoint was called",
            );
            assert.equal((await get("/projects/platform%2Fcicd-platform/protected_branches/main")).status, 200);
            assert.deepEqual(
                calls.filter((q) => q.path.includes("/environments")),
                [],
                "on Free the stack leaves the environment to the first deploy job",
            );
            const kubeconfig = (
                await get(
                    "/projects/shop%2Fstorefront/variables/TENANT_KUBECONFIG?filter[environment_scope]=production",
                )
            ).json as { value: string; masked: boolean; protected: boolean; variable_type: string };
            assert.deepEqual(
                {
                    masked: kubeconfig.masked,
                    protected: kubeconfig.protected,
                    type: kubeconfig.variable_type,
                    decoded: Buffer.from(kubeconfig.value, "base64").toString("utf8"),
                },
                { masked: true, protected: true, type: "file", decoded: KUBECONFIG },
            );
            const { runnerId } = await engine().outputs();
            const runner = (await get(`/runners/${String(runnerId)}`)).json as {
                access_level: string;
                locked: boolean;
            };
            assert.equal(runner.access_level, "ref_protected");
            assert.equal(runner.locked, true);
            assert.match(readFileSync(out, "utf8"), /^glrt-/);
        });

        it("stand-in: on Premium, up adds the tenant's protected production environment with its deployer and approval", async () => {
            await fetch(`${standIn().baseUrl.replace(/\/api\/v4\/$/, "")}/-/standin/tier/premium`, { method: "PUT" });
            await engine().config("tier", "premium");
            await upOk();
            const env = await get("/projects/shop%2Fstorefront/protected_environments/production");
            assert.equal(env.status, 200);
            const body = env.json as {
                deploy_access_levels: { user_id?: number }[];
                approval_rules: { user_id?: number; required_approvals: number }[];
            };
            assert.deepEqual(
                body.deploy_access_levels.map((l) => l.user_id),
                [1],
            );
            assert.deepEqual(
                body.approval_rules.map((r) => [r.user_id, r.required_approvals]),
                [[1, 1]],
            );
        });

        it("stand-in: the policy pack passes these production resources and fires on the variant with an unprotected production variable", async () => {
            const flags = await policyFlags("production", engine().env);
            const clean = await engine().pulumi(["preview", ...flags]);
            assert.equal(clean.code, 0, `the pack refused the stack's own resources: ${clean.stdout}${clean.stderr}`);
            await engine().config("unprotectedVariant", "true");
            try {
                const variant = await engine().pulumi(["preview", ...flags]);
                assert.notEqual(variant.code, 0, "the pack let an unprotected production variable through");
                const text = variant.stdout + variant.stderr;
                assert.match(text, /\[mandatory\]\s+production-gitlab-variables-protected/);
                assert.match(text, /GitLab CI variable DEPLOY_NOTE \(ProjectVariable "unprotected"\) is not protected/);
                assert.doesNotMatch(text, /\[mandatory\]\s+production-gitlab-runners-protected/);
            } finally {
                await engine().config("unprotectedVariant", "false");
            }
        });

        it("stand-in: a rotation replaces the runner's registration and its consumer gets the new token in the same up", async () => {
            const before = readFileSync(out, "utf8");
            const { runnerId: oldId } = await engine().outputs();
            await engine().config("rotation", "2026-12-07");
            await upOk();
            const after = readFileSync(out, "utf8");
            const { runnerId: newId } = await engine().outputs();
            assert.notEqual(newId, oldId);
            assert.notEqual(after, before);
            assert.match(after, /^glrt-/);
            assert.equal((await get(`/runners/${String(oldId)}`)).status, 404, "the old registration is deleted");
            assert.equal((await get(`/runners/${String(newId)}`)).status, 200);
            const state = await engine().state();
            for (const clear of [before, after, ADMIN_TOKEN, "gate test"]) {
                assert.ok(!state.includes(clear), "a token or the kubeconfig is in the state in the clear");
            }
        });
    },
);
