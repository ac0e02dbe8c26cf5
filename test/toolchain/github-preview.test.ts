/**
 * The unmodified @pulumi/github SDK runs against our github plugin: `pulumi preview` of a small
 * TypeScript program with every GitHub resource type the project uses, on the toolchain's CLI,
 * language host and plugin, offline. The provider's GitHub API is a local stand-in (the provider
 * looks its owner up when it is configured); previews of new resources make no other call.
 * Skips, saying why, when the toolchain is not built.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";

import { writeTsProgram } from "../support/ts-program";
import { type GitHubApiStandIn, previewAgainstStandIn, startGitHubApiStandIn } from "../support/github-api-standin";

const toolchain = join(process.env.CICD_CACHE ?? join(homedir(), ".cache/cicd-platform"), "toolchain");
const bin = join(toolchain, "bin");
const home = join(toolchain, "pulumi-home");
const sdkVersion = (require("@pulumi/github/package.json") as { version: string }).version; // eslint-disable-line @typescript-eslint/no-require-imports
const plugin = join(home, `plugins/resource-github-v${sdkVersion}/pulumi-resource-github`);
const missing = [join(bin, "pulumi"), join(bin, "pulumi-language-nodejs"), plugin].filter((f) => !existsSync(f));

const PROGRAM = `
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

const provider = new github.Provider("gh", {
    owner: "acme",
    token: "test-token",
    baseUrl: new pulumi.Config().require("baseUrl"),
});
const opts = { provider };
const env = new github.RepositoryEnvironment("production", {
    repository: "app",
    environment: "production",
    preventSelfReview: true,
    canAdminsBypass: false,
    waitTimer: 0,
    reviewers: [{ users: [1], teams: [] }],
    deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
}, opts);
new github.RepositoryEnvironmentDeploymentPolicy("production-main", {
    repository: "app", environment: env.environment, branchPattern: "main",
}, opts);
new github.ActionsEnvironmentVariable("server", {
    repository: "app", environment: env.environment, variableName: "REGISTRY_SERVER", value: "registry.example",
}, opts);
new github.ActionsEnvironmentSecret("password", {
    repository: "app", environment: env.environment, secretName: "REGISTRY_PASSWORD",
    plaintextValue: pulumi.secret("not-a-password"),
}, opts);
new github.BranchProtection("main", {
    repositoryId: "app",
    pattern: "main",
    enforceAdmins: true,
    requiredStatusChecks: [{ strict: true, contexts: ["preview"] }],
    requiredPullRequestReviews: [{ requiredApprovingReviewCount: 1, dismissStaleReviews: true }],
}, opts);
`;

let work: string;
let api: GitHubApiStandIn;

before(async () => {
    work = await mkdtemp(join(tmpdir(), "github-preview-"));
    api = await startGitHubApiStandIn("acme");
});
after(async () => {
    await api.close();
    await rm(work, { recursive: true, force: true });
});

it("pulumi preview of the project's GitHub resource types with our plugin", async (t) => {
    if (missing.length > 0) {
        t.skip(`toolchain not built (missing ${missing.join(", ")}): run scripts/toolchain/bootstrap --offline`);
        return;
    }
    const dir = join(work, "program");
    await mkdir(join(work, "state"), { recursive: true });
    writeTsProgram(dir, "github-preview", PROGRAM);
    const preview = await previewAgainstStandIn(dir, join(work, "state"), { bin, home }, api);
    const { steps } = preview as { steps: { op: string; urn: string }[] };
    const created = steps
        .filter((s) => s.op === "create")
        .map((s) => s.urn.split("::")[2]!)
        .sort();
    assert.deepEqual(created, [
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
        "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
        "github:index/branchProtection:BranchProtection",
        "github:index/repositoryEnvironment:RepositoryEnvironment",
        "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
        "pulumi:providers:github",
        "pulumi:pulumi:Stack",
    ]);
    assert.ok(
        api.calls.some((c) => c.endsWith("/orgs/acme")),
        `the provider never asked the API for its owner: ${api.calls.join(", ")}`,
    );
});
