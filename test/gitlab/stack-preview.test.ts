/**
 * `pulumi preview` of the staging and production stacks with `gitlab.enabled`, through the real CLI,
 * our gitlab plugin and the policy pack, against the GitLab API stand-in (no GitLab server can run
 * here): each lists its GitLab resources (runner registrations, the tenant's CI/CD variables, on
 * production the default branch's protection and the tenant's protected environment), the pack
 * passes them, and a preview calls GitLab only to check the token. The stack files are the
 * committed ones with the integration switched on as the README says (gitlab.enabled and a token),
 * a tenant project and, for production, its deployer; made-up secrets; no cluster (an offline
 * kubeconfig). Skips, saying why, when the toolchain is not built.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseDocument } from "yaml";

import { isolatedEnv, OFFLINE_KUBECONFIG, policyFlags, ROOT, run, stripSecure } from "../support/engine";
import { type GitHubApiStandIn, startGitHubApiStandIn } from "../support/github-api-standin";
import {
    linkedProject,
    previewDiagnostics,
    type PreviewStep,
    stackDemoSecrets,
    stackInitCommands,
} from "../support/stack-project";
import { type GitLabStandIn, startStandIn } from "./standin";
import { toolchainSkip } from "./toolchain";

const STACKS = ["staging", "production"] as const;
const ADMIN_TOKEN = ["glpat", "standin-preview-0123456789"].join("-"); // spelled apart for secret scanners
const PUBLIC_KEY = [
    "-----BEGIN PUBLIC KEY-----",
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmadeup",
    "-----END PUBLIC KEY-----",
].join("\n");
const T = "gitlab:index/";

/** The tenant project's CI/CD variables a stack's preview creates, by the variable's name. */
const tenantVariables = (names: readonly string[]): string[] => names.map((n) => `tenant-shop-gitlab-${n}`);
/** What every tenant deploys with; staging builds too, so it also gets the build's registry and key. */
const DEPLOY_VARIABLES = [
    "tenant-kubeconfig",
    "tenant-name",
    "tenant-namespace",
    "tenant-pull-prefix",
    "tenant-push-prefix",
    "tenant-state-backend",
];
const BUILD_VARIABLES = [
    "build-registry-password",
    "build-registry-server",
    "build-registry-username",
    "build-signing-public-key",
];

/** The GitLab resources each stack's preview creates: type → names. */
const EXPECTED: Record<(typeof STACKS)[number], Record<string, string[]>> = {
    staging: {
        [`${T}userRunner:UserRunner`]: ["build-runner", "gitlab-runner", "podman-build-staging-1"],
        [`${T}projectVariable:ProjectVariable`]: tenantVariables([...BUILD_VARIABLES, ...DEPLOY_VARIABLES]),
    },
    production: {
        [`${T}userRunner:UserRunner`]: ["build-runner", "gitlab-runner", "podman-build-production-1"],
        [`${T}projectVariable:ProjectVariable`]: tenantVariables(DEPLOY_VARIABLES),
        [`${T}branchProtection:BranchProtection`]: ["gitlab-default-branch"],
        [`${T}projectEnvironment:ProjectEnvironment`]: ["tenant-shop-gitlab-production"],
        [`${T}projectProtectedEnvironment:ProjectProtectedEnvironment`]: ["tenant-shop-gitlab-production"],
    },
};

/** The committed stack file with the integration on, pointed at the stand-in. */
function withGitLab(stack: (typeof STACKS)[number], text: string, baseUrl: string): string {
    const doc = parseDocument(stripSecure(text));
    doc.setIn(["config", "cicd-platform:gitlab", "enabled"], true);
    doc.setIn(["config", "cicd-platform:gitlab", "baseUrl"], baseUrl);
    doc.setIn(["config", "cicd-platform:gitlab", "runners", "projectId"], 2);
    doc.setIn(
        ["config", "cicd-platform:tenants", 0, "gitlab"],
        doc.createNode(
            stack === "production"
                ? { project: "shop/storefront", deployUserIds: [1] }
                : { project: "shop/storefront" },
        ),
    );
    doc.setIn(["config", "cicd-platform:applications"], doc.createNode({ signingPublicKey: PUBLIC_KEY }));
    return String(doc);
}

describe(
    "pulumi preview of staging and production with gitlab.enabled, against the GitLab API stand-in",
    {
        timeout: 900_000,
        skip: toolchainSkip(),
    },
    () => {
        let env: NodeJS.ProcessEnv = {};
        let dir = "";
        let project = "";
        let gitlab: GitLabStandIn | undefined;
        let github: GitHubApiStandIn | undefined;
        const secretsOf: Record<string, Record<string, string>> = {};

        before(async () => {
            // No control plane starts here (an offline kubeconfig); the ports are this file's all the same.
            ({ env, dir } = await isolatedEnv({ apiserver: 19543, etcd: 19479 }));
            writeFileSync(join(dir, "kubeconfig"), OFFLINE_KUBECONFIG);
            gitlab = await startStandIn({
                tier: "premium",
                users: [{ id: 1, username: "root", token: ADMIN_TOKEN, admin: true }],
                projects: ["shop/storefront", "platform/cicd-platform"],
                groups: [],
            });
            github = await startGitHubApiStandIn("example-org");
            env = {
                ...env,
                KUBECONFIG: join(dir, "kubeconfig"),
                PULUMI_CONFIG_PASSPHRASE: "gitlab-preview-test",
                GITHUB_BASE_URL: github.baseUrl,
                GITHUB_TOKEN: "stand-in-token",
                GITLAB_TOKEN: "",
            };
            const committed = Object.fromEntries(
                STACKS.map((stack) => [stack, readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")]),
            );
            const files = Object.fromEntries(
                STACKS.map((stack) => [stack, withGitLab(stack, committed[stack] ?? "", gitlab?.baseUrl ?? "")]),
            );
            project = linkedProject(dir, files);
            for (const stack of STACKS) {
                const secrets = {
                    ...stackDemoSecrets(committed[stack] ?? "", files[stack] ?? "", `gp-${stack}`),
                    gitlabToken: ADMIN_TOKEN,
                };
                secretsOf[stack] = secrets;
                for (const args of stackInitCommands(stack, secrets)) {
                    const result = await run("pulumi", args, env, { cwd: project });
                    assert.equal(result.code, 0, `pulumi ${args.slice(0, 6).join(" ")}: ${result.stderr}`);
                }
            }
        });

        after(async () => {
            gitlab?.stop();
            await github?.close();
            if (dir) {
                rmSync(dir, { recursive: true, force: true });
            }
        });

        for (const stack of STACKS) {
            it(`stand-in: ${stack} lists its GitLab resources, the pack passes them, and GitLab is asked only about the token`, async () => {
                assert.ok(gitlab);
                await gitlab.clearRequests();
                const flags = await policyFlags(stack, env);
                const preview = await run(
                    "pulumi",
                    ["preview", "--json", "--stack", stack, "--non-interactive", ...flags],
                    env,
                    { cwd: project, timeoutMs: 600_000 },
                );
                assert.equal(preview.code, 0, previewDiagnostics(preview));
                const steps = (JSON.parse(preview.stdout) as { steps: PreviewStep[] }).steps;
                const found: Record<string, string[]> = {};
                for (const step of steps.filter((s) => /[:$]gitlab:index\//.test(s.urn))) {
                    const [, , types = "", name = ""] = step.urn.split("::");
                    const type = types.split("$").at(-1) ?? "";
                    assert.equal(step.op, "create", `${type} ${name}`);
                    (found[type] ??= []).push(name);
                }
                for (const names of Object.values(found)) {
                    names.sort();
                }
                assert.deepEqual(found, EXPECTED[stack]);

                const inputs = (name: string): Record<string, unknown> =>
                    steps.find((s) => s.urn.endsWith(`::${name}`) && s.urn.includes("UserRunner"))?.newState?.inputs ??
                    {};
                assert.equal(
                    inputs("gitlab-runner").accessLevel,
                    stack === "production" ? "ref_protected" : "not_protected",
                );

                const calls = (await gitlab.requests()).map((q) => `${q.method} ${q.path}`);
                assert.deepEqual([...new Set(calls)], ["GET /api/v4/user"]);
                const text = preview.stdout + preview.stderr;
                for (const [key, value] of Object.entries(secretsOf[stack] ?? {})) {
                    assert.ok(!text.includes(value), `the preview shows ${key}`);
                }
            });
        }
    },
);
