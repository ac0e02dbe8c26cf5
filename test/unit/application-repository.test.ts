/**
 * ApplicationRepository under Pulumi mocks, the deploy workflow it writes, and the `applications`
 * config rules.
 */
import { byName, isSecretValue, ofType, rawAt, registered, reset, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { ApplicationRepository, renderDeployWorkflow } from "../../components";
import { applicationsSchema } from "../../config/sections/applications";
import { stackConfigSchema } from "../../config/schema";
import { validConfig } from "./fixtures";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const PUBLIC_KEY = [
    "-----BEGIN PUBLIC KEY-----",
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
    "-----END PUBLIC KEY-----",
].join("\n");
const FILE = "github:index/repositoryFile:RepositoryFile";
const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";

type Obj = Record<string, unknown>;

describe("renderDeployWorkflow", () => {
    it("calls the reusable workflow at the pinned commit, one job per app, with least privilege", () => {
        const text = renderDeployWorkflow({
            platformRepository: "platform/cicd-platform",
            platformRef: SHA,
            apps: [
                { app: "api", image: "team-a/api" },
                {
                    app: "worker",
                    image: "team-a/worker",
                    containerfile: "worker/Containerfile",
                    testCommand: "make test",
                },
            ],
        });
        const doc = parseYaml(text) as Obj;
        assert.deepEqual(doc.permissions, { contents: "read" });
        assert.deepEqual(doc.on, {
            push: { branches: ["main"] },
            pull_request: { branches: ["main"] },
            workflow_dispatch: null,
        });
        const jobs = doc.jobs as Partial<Record<string, Obj>>;
        assert.deepEqual(Object.keys(jobs), ["api", "worker"]);
        const api = jobs.api ?? {};
        assert.equal(api.uses, `platform/cicd-platform/.github/workflows/container-app.yml@${SHA}`);
        assert.deepEqual(api.permissions, { contents: "read", "security-events": "write" });
        assert.equal(api.secrets, undefined, "environment secrets reach the called jobs; nothing is inherited");
        assert.deepEqual(jobs.worker?.with, {
            app: "worker",
            image: "team-a/worker",
            containerfile: "worker/Containerfile",
            context: ".",
            "test-command": "make test",
            "runner-labels": '["ubuntu-24.04"]',
            "platform-repository": "platform/cicd-platform",
            "platform-ref": SHA,
            "platform-branch": "main",
        });
    });

    it("refuses a moving ref, a bad repository and duplicate apps, naming each", () => {
        assert.throws(
            () =>
                renderDeployWorkflow({
                    platformRepository: "not a repo",
                    platformRef: "main",
                    apps: [
                        { app: "api", image: "team-a/api" },
                        { app: "api", image: "Team-A/API:latest" },
                    ],
                }),
            (error: Error) =>
                /platformRepository/.test(error.message) &&
                /platformRef: "main" is not a full commit SHA/.test(error.message) &&
                /apps\[1\]\.app: "api" is listed twice/.test(error.message) &&
                /apps\[1\]\.image/.test(error.message),
        );
    });
});

describe("ApplicationRepository", () => {
    beforeEach(reset);

    it("writes deploy.yml when it owns the file, after the environments, and sets the public key", async () => {
        const repo = new ApplicationRepository("app-shop", {
            repository: "shop",
            apps: [{ app: "api", image: "team-a/api" }],
            platformRepository: "platform/cicd-platform",
            platformRef: SHA,
            environments: ["production"],
            manageWorkflowFile: true,
            productionReviewerUserIds: [42],
            signingPublicKey: PUBLIC_KEY,
            secrets: { production: { SIGNING_PASSPHRASE: "p" } },
        });
        await settle();
        const file = byName(FILE, "app-shop-deploy-workflow");
        assert.equal(file.inputs.repository, "shop");
        assert.equal(file.inputs.file, ".github/workflows/deploy.yml");
        assert.equal(file.inputs.branch, "main");
        assert.equal(file.inputs.overwriteOnCreate, true);
        assert.equal(file.inputs.content, repo.workflow);
        assert.match(file.inputs.content, new RegExp(`container-app\\.yml@${SHA}`));
        const production = byName(ENVIRONMENT, "app-shop-settings-production");
        assert.deepEqual(production.inputs.reviewers, [{ users: [42], teams: [] }]);
        assert.equal(ofType(ENVIRONMENT).length, 1, "only this stack's environment, no preview environment");
        const key = byName(
            "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
            "app-shop-settings-production-var-SIGNING_PUBLIC_KEY",
        );
        assert.equal(key.inputs.value, PUBLIC_KEY);
        const secret = byName(
            "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            "app-shop-settings-production-secret-SIGNING_PASSPHRASE",
        );
        assert.ok(isSecretValue(rawAt(secret, "plaintextValue")));
        assert.equal(ofType("github:index/branchProtection:BranchProtection").length, 0);
    });

    it("leaves the file to its owner stack unless asked, and fails before registering on a bad ref", async () => {
        new ApplicationRepository("app-shop", {
            repository: "shop",
            apps: [{ app: "api", image: "team-a/api" }],
            platformRepository: "platform/cicd-platform",
            platformRef: SHA,
            environments: ["staging"],
        });
        await settle();
        assert.equal(ofType(FILE).length, 0);
        const before = registered.length;
        assert.throws(
            () =>
                new ApplicationRepository("bad", {
                    repository: "shop",
                    apps: [{ app: "api", image: "team-a/api" }],
                    platformRepository: "platform/cicd-platform",
                    platformRef: "v1.2.3",
                }),
            /bad: platformRef: "v1\.2\.3" is not a full commit SHA/,
        );
        await settle();
        assert.equal(registered.length, before);
    });
});

describe("applications config", () => {
    const withApplications = (applications: unknown, github: Obj = {}) =>
        stackConfigSchema.safeParse({
            ...validConfig(),
            github: { enabled: true, owner: "acme", repository: "platform", ...github },
            applications,
        });

    it("is off by default", () => {
        assert.deepEqual(applicationsSchema.parse({}).repositories, []);
        assert.equal(applicationsSchema.parse({}).enabled, false);
    });

    it("needs the platform repository, a commit SHA, GitHub, and apps the stack knows", () => {
        const result = stackConfigSchema.safeParse({
            ...validConfig(),
            github: { enabled: false },
            applications: {
                enabled: true,
                repositories: [{ repository: "shop", apps: [{ app: "nope", image: "a/b" }] }],
            },
        });
        assert.equal(result.success, false);
        const messages = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
        assert.ok(
            messages.some((m) => /^applications\.enabled: needs github\.enabled/.test(m)),
            messages.join("\n"),
        );
        assert.ok(messages.includes("applications.platformRepository: is required when applications.enabled"));
        assert.ok(messages.includes("applications.platformRef: is required when applications.enabled"));
        assert.ok(
            messages.some((m) =>
                /^applications\.repositories\.0\.apps\.0\.app: "nope" is not an entry of apps/.test(m),
            ),
        );
    });

    it("accepts a repository whose apps the stack runs", () => {
        const app = (validConfig().apps as { name: string }[])[0]?.name ?? "";
        const result = withApplications({
            enabled: true,
            platformRepository: "acme/platform",
            platformRef: SHA,
            signingPublicKey: PUBLIC_KEY,
            repositories: [{ repository: "shop", apps: [{ app, image: "team-a/shop" }] }],
        });
        assert.equal(result.success, true, JSON.stringify(result.error?.issues));
    });
});
