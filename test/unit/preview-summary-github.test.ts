import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { PreviewStep } from "../../preview-summary/preview-json";
import { summarize } from "../../preview-summary/summarize";

const SECRET = "super-secret-registry-value-0123456789";
const urn = (type: string, name: string): string => `urn:pulumi:production::cicd-platform::${type}::${name}`;
const step = (op: string, type: string, name: string, inputs: Record<string, unknown>): PreviewStep => ({
    op,
    urn: urn(type, name),
    newState: { type, inputs },
});

const STEPS: PreviewStep[] = [
    step("create", "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret", "registry-password", {
        repository: "shop",
        environment: "production",
        secretName: "REGISTRY_PASSWORD",
        plaintextValue: "[secret]",
    }),
    step("create", "github:index/repositoryEnvironment:RepositoryEnvironment", "github-production", {
        repository: "shop",
        environment: "production",
        waitTimer: 5,
        reviewers: [{ users: [1048576], teams: [2097152] }],
    }),
    step("create", "github:index/repositoryEnvironment:RepositoryEnvironment", "github-production-preview", {
        repository: "shop",
        environment: "production-preview",
    }),
    step("create", "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable", "server", {
        environment: "production",
        variableName: "REGISTRY_SERVER",
        value: "registry.example.com",
    }),
    step("same", "github:index/branchProtection:BranchProtection", "github-main", { pattern: "main" }),
    step("create", "kubernetes:core/v1:Namespace", "apps", {}),
];

describe("the preview summary's GitHub section", () => {
    it("GIVEN GitHub changes THEN it lists environments with reviewers, secrets and variables by name only", () => {
        const { markdown } = summarize({
            stack: "production",
            preview: { steps: STEPS },
            secretValues: [{ value: SECRET, source: "test" }],
        });
        const start = markdown.indexOf("#### GitHub");
        assert.ok(start >= 0, markdown);
        const body = markdown.slice(start).split("\n#### ")[0] ?? "";
        assert.deepEqual(
            body.split("\n").filter((l) => l.startsWith("- ")),
            [
                "- **create** environment `production` (reviewers: 1 user, 1 team, waits 5 min)",
                "- **create** environment `production-preview` (no reviewers)",
                "- **create** secret `REGISTRY_PASSWORD` in `production`",
                "- **create** variable `REGISTRY_SERVER` in `production`",
            ],
        );
        assert.doesNotMatch(body, /registry\.example\.com|\[secret\]/);
        assert.ok(!markdown.includes(SECRET));
    });

    it("GIVEN no GitHub change THEN there is no GitHub section", () => {
        const { markdown } = summarize({ stack: "staging", preview: { steps: STEPS.slice(4) } });
        assert.doesNotMatch(markdown, /#### GitHub/);
    });
});
