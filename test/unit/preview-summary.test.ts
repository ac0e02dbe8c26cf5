/**
 * The preview summary (preview-summary/): the preview JSON it reads, what it counts and calls out
 * (replacements, updates, policy and config errors), secrets blanked or refused, and the size limit.
 * Synthetic previews here; the canary plan, the CLI and the GitLab note have files of their own
 * beside this one, and the summary of real previews of our stacks is asserted in
 * test/pipelines/gitlab-preview-job.test.ts.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

import { readStackFiles } from "../../preview-summary/cli";
import { parsePreviewJson, parseUrn } from "../../preview-summary/preview-json";
import { SecretGuard, SecretLeakError } from "../../preview-summary/secrets";
import { commentMarker, GITHUB_COMMENT_LIMIT, opKind, summarize } from "../../preview-summary/summarize";
import { CM, DEPLOY, smallPreview, syntheticPreview, syntheticType, urn } from "../support/synthetic-preview";

const ROOT = resolve(__dirname, "..", "..");
const STAGING = readStackFiles(join(ROOT, "Pulumi.yaml"), join(ROOT, "Pulumi.staging.yaml"));
const PRODUCTION = readStackFiles(join(ROOT, "Pulumi.yaml"), join(ROOT, "Pulumi.production.yaml"));

describe("preview JSON", () => {
    it("maps every engine step op onto what a reviewer counts", () => {
        assert.equal(opKind("create-replacement"), "replace");
        assert.equal(opKind("delete-replaced"), "replace");
        assert.equal(opKind("replace"), "replace");
        assert.equal(opKind("read-replacement"), "read");
        assert.equal(opKind("import-replacement"), "import");
        assert.equal(opKind("discard"), "delete");
        assert.equal(opKind("something-new"), "other");
    });

    it("parses URNs, nested parent types included", () => {
        assert.deepEqual(parseUrn(urn("production", ["a:b:C", "d:e:F"], CM, "x::y")), {
            stack: "production",
            project: "cicd-platform",
            type: CM,
            name: "x::y",
        });
        assert.equal(parseUrn("not-a-urn").name, "not-a-urn");
    });

    it("rejects documents that are not previews, naming where", () => {
        assert.throws(() => parsePreviewJson("{"), /not JSON/);
        assert.throws(() => parsePreviewJson("[]"), /not a JSON object/);
        assert.throws(() => parsePreviewJson('{"steps":[{"op":1}]}'), /steps\[0\]/);
        assert.throws(() => parsePreviewJson('{"changeSummary":{"create":"x"}}'), /changeSummary/);
        assert.deepEqual(parsePreviewJson('{"steps":[],"extra":1}').steps, []);
    });
});

describe("summarize", () => {
    it("starts with the hidden marker and counts per operation from the engine", () => {
        const { markdown, counts } = summarize({ stack: "staging", preview: smallPreview() });
        assert.equal(markdown.split("\n")[0], commentMarker("staging"));
        assert.equal(commentMarker("staging"), "<!-- cicd-platform-preview:staging -->");
        assert.deepEqual([counts.create, counts.update, counts.replace, counts.delete, counts.same], [1, 1, 1, 1, 30]);
        assert.match(markdown, /\| 1 \| 1 \| 1 \| 1 \| 30 \|/);
        assert.match(markdown, /4 resources to change/);
    });

    it("calls out a replacement once, with the property keys that force it and their diff kinds", () => {
        const { markdown } = summarize({ stack: "staging", preview: smallPreview() });
        assert.match(markdown, /#### Replacements \(1\)/);
        assert.match(
            markdown,
            /- `storefront-router-conf` `kubernetes:core\/v1:ConfigMap`: replaced because of `data`, `data\["nginx.conf"\]` \(update-replace\); also changes `metadata`\n/,
        );
        assert.equal(markdown.match(/storefront-router-conf/g)?.length, 1, "one line, not one per step");
    });

    it("lists updates by changed keys and never prints a property value", () => {
        const { markdown } = summarize({ stack: "staging", preview: smallPreview() });
        assert.match(
            markdown,
            /`storefront-canary` `kubernetes:apps\/v1:Deployment`: `spec`, `spec.template.spec.containers\[0\].image` \(update\)/,
        );
        assert.doesNotMatch(markdown, /1\.6\.0|shop-staging-XYZ/);
        assert.match(markdown, /#### Deletions \(1\)\n- `old-service`/);
    });

    it("tables the changes per resource type", () => {
        const { markdown, byType } = summarize({ stack: "staging", preview: smallPreview() });
        assert.equal(byType.get(CM)?.replace, 1);
        assert.match(markdown, /\| `kubernetes:core\/v1:ConfigMap` \| 0 \| 0 \| 1 \| 0 \|/);
        assert.doesNotMatch(markdown, /pulumi:pulumi:Stack` \|/, "unchanged types are not tabled");
    });

    it("says so when nothing changes", () => {
        const { markdown } = summarize({ stack: "production", preview: { changeSummary: { same: 12 } } });
        assert.match(markdown, /✅ no changes/);
    });

    it("shows why a failed preview failed: its stderr, redacted, and the error diagnostics", () => {
        const stderr = [
            "error: Running program '/work' failed with an unhandled exception:",
            "StackConfigError: invalid stack config for cicd-platform (2 problems):",
            "  - apps[0].canaryPercent: 150 is not a percentage (0-100)",
            "  - registryPassword: is stored in plaintext; store it encrypted: pulumi config set --secret registryPassword",
        ].join("\n");
        const { markdown } = summarize({
            stack: "staging",
            preview: {
                config: { "cicd-platform:registryPassword": "plain-text-pw-123" },
                diagnostics: [{ severity: "error", message: "preview failed: plain-text-pw-123 rejected" }],
            },
            failure: { exitCode: 255, stderr: `${stderr}\nplain-text-pw-123` },
            secretConfigKeys: STAGING.secretConfigKeys,
        });
        assert.match(markdown, /❌ \*\*preview failed\*\* \(exit 255\)/);
        assert.match(
            markdown,
            /#### Why the preview failed\n```text\n[^]*apps\[0\]\.canaryPercent: 150 is not a percentage/,
        );
        assert.match(markdown, /#### Errors/);
        assert.doesNotMatch(markdown, /plain-text-pw-123/);
        assert.match(markdown, /\[secret\]/);
    });

    it("calls out policy violations from diagnostics and from policyViolations", () => {
        const { markdown } = summarize({
            stack: "production",
            preview: {
                diagnostics: [
                    {
                        severity: "error",
                        message:
                            "mandatory: [mandatory]  cicd-platform-policies v0.1.0  restricted-pods (storefront-stable): container runs as root",
                    },
                ],
                policyPacks: { "cicd-platform-policies": "0.1.0" },
                policyViolations: [
                    {
                        policyPackName: "cicd-platform-policies",
                        policyName: "no-latest-tag",
                        enforcementLevel: "mandatory",
                        resourceUrn: urn("production", [], DEPLOY, "storefront-stable"),
                        message: "image uses :latest",
                    },
                ],
            },
            failure: { exitCode: 255, stderr: "error: preview failed" },
        });
        assert.match(markdown, /#### Policy violations/);
        assert.match(
            markdown,
            /\*\*mandatory\*\* `cicd-platform-policies`\/`no-latest-tag` on `storefront-stable`: `image uses :latest`/,
        );
        assert.match(markdown, /restricted-pods \(storefront-stable\): container runs as root/);
        assert.doesNotMatch(markdown, /#### Errors/, "the policy failure is not listed twice");
    });

    it("keeps engine text inside fences it cannot close, and names inside inline code", () => {
        const { markdown } = summarize({
            stack: "staging",
            preview: {
                steps: [{ op: "create", urn: urn("staging", [], CM, "we`ird|name") }],
                diagnostics: [{ severity: "warning", message: "```\n<!-- cicd-platform-preview:staging -->\n```" }],
            },
        });
        assert.match(markdown, /`we ird\\\|name`/);
        assert.match(markdown, /````text\n```\n<!-- cicd-platform-preview:staging -->\n```\n````/);
        assert.equal(markdown.indexOf(commentMarker("staging")), 0);
    });

    it("links the full log", () => {
        const { markdown } = summarize({
            stack: "staging",
            preview: smallPreview(),
            logUrl: "https://gitlab.example.com/p/-/jobs/1",
        });
        assert.match(markdown, /\[Full preview log\]\(https:\/\/gitlab\.example\.com\/p\/-\/jobs\/1\)\n$/);
    });
});

describe("secrets", () => {
    const SECRET = "correct-horse-battery-staple";

    it("blanks passed-in values out of engine text, also base64 and JSON-escaped", () => {
        const { markdown } = summarize({
            stack: "staging",
            preview: {
                diagnostics: [
                    { severity: "warning", message: `auth ${SECRET} failed` },
                    { severity: "warning", message: `dockerconfig ${Buffer.from(SECRET).toString("base64")}` },
                    { severity: "warning", message: `json "${JSON.stringify(SECRET + '"x').slice(1, -1)}"` },
                ],
            },
            secretValues: [{ value: SECRET, source: "$REGISTRY_PASSWORD" }],
        });
        assert.doesNotMatch(markdown, new RegExp(SECRET));
        assert.doesNotMatch(markdown, new RegExp(Buffer.from(SECRET).toString("base64").replace(/=+$/, "")));
        assert.equal(markdown.match(/\[secret\]/g)?.length, 3);
    });

    it("treats plaintext values of additionalSecretOutputs as secrets", () => {
        const preview = syntheticPreview("staging", { create: 7, update: 0, replace: 0, delete: 0, same: 0 }, SECRET);
        const withEcho = { ...preview, diagnostics: [{ severity: "info", message: `created with ${SECRET}` }] };
        const { markdown } = summarize({ stack: "staging", preview: withEcho });
        assert.doesNotMatch(markdown, new RegExp(SECRET));
        assert.match(markdown, /created with \[secret\]/);
    });

    it("fails hard when a secret value would still be printed", () => {
        // A secret that equals a resource name cannot be blanked out of the resource list.
        assert.throws(
            () =>
                summarize({
                    stack: "staging",
                    preview: { steps: [{ op: "create", urn: urn("staging", [], CM, `cm-${SECRET}`) }] },
                    secretValues: [{ value: SECRET, source: "$PULUMI_CONFIG_PASSPHRASE" }],
                }),
            (error: unknown) =>
                error instanceof SecretLeakError &&
                error.message.includes("$PULUMI_CONFIG_PASSPHRASE") &&
                !error.message.includes(SECRET),
        );
    });

    it("reports values too short to scan for instead of matching everything", () => {
        const guard = new SecretGuard([{ value: "abc", source: "$SHORT" }]);
        assert.deepEqual(guard.tooShort, ["$SHORT"]);
        assert.equal(guard.redact("abc abc"), "abc abc");
        const { unscannedSecrets } = summarize({
            stack: "staging",
            preview: {},
            secretValues: [{ value: "abc", source: "$SHORT" }],
        });
        assert.deepEqual(unscannedSecrets, ["$SHORT"]);
    });
});

describe("size limit", () => {
    const COUNTS = { create: 4_000, update: 500, replace: 200, delete: 100, same: 200 };
    const SECRET = "s3cr3t-value-that-must-not-leak";
    const preview = syntheticPreview("production", COUNTS, SECRET);
    const LOG = "https://github.com/example-org/shop/actions/runs/42";

    it("holds GitHub's 65,536 characters for 5,000 resources, counts exact, cuts noted, nothing secret", () => {
        assert.equal(preview.steps?.length, 1 + 4_000 + 500 + 200 * 3 + 100 + 200);
        const started = Date.now();
        const result = summarize({
            stack: "production",
            preview: { ...preview, diagnostics: [{ severity: "warning", message: `x ${SECRET}` }] },
            canaryPlan: PRODUCTION.canaryPlan,
            logUrl: LOG,
            secretValues: [{ value: SECRET, source: "$SECRET" }],
        });
        assert.ok(Date.now() - started < 10_000, "fast enough for CI");
        const { markdown, counts, byType, truncated } = result;
        assert.ok(markdown.length <= GITHUB_COMMENT_LIMIT, `${markdown.length} characters`);
        assert.ok(markdown.length > GITHUB_COMMENT_LIMIT - 5_000, "uses the room it has");
        assert.deepEqual(
            [counts.create, counts.update, counts.replace, counts.delete, counts.same],
            [4_000, 500, 200, 100, 201],
        );
        assert.match(markdown, /\| 4,000 \| 500 \| 200 \| 100 \| 201 \|/);
        // Per type: round robin over the synthetic types.
        const expected = new Map<string, number>();
        for (let i = 0; i < 4_800; i++) {
            expected.set(syntheticType(i), (expected.get(syntheticType(i)) ?? 0) + 1);
        }
        let total = 0;
        for (const [type, row] of byType) {
            if (type === "pulumi:pulumi:Stack") {
                continue;
            }
            const changed = row.create + row.update + row.replace + row.delete;
            total += changed;
            assert.ok(changed <= (expected.get(type) ?? 0), type);
        }
        assert.equal(total, 4_800);
        // The least important sections were cut first, and it says so.
        assert.ok(
            truncated.some((t) => /of 4,000 creates/.test(t)),
            truncated.join("; "),
        );
        assert.match(markdown, /✂️ Cut to stay under 65,536 characters: .*creates/);
        assert.match(markdown, /#### Creates \(4,000\)\n_Cut to fit: 4,000 creates \(see the full log\)\._/);
        assert.match(markdown, /_… and [\d,]+ more updates \(cut to fit; see the full log\)\._/);
        assert.match(markdown, /#### Warnings\n```text\nx \[secret\]\n```/, "warnings outrank the lists");
        assert.match(markdown, /#### Replacements \(200\)/);
        assert.equal(markdown.match(/replaced because of/g)?.length, 200, "every replacement kept");
        assert.match(markdown, /#### Canary plan/);
        assert.match(markdown, new RegExp(`\\[Full preview log\\]\\(${LOG.replace(/[./]/g, "\\$&")}\\)\\n$`));
        assert.doesNotMatch(markdown, new RegExp(SECRET));
        assert.ok(!markdown.includes(Buffer.from(SECRET).toString("base64").replace(/=+$/, "")));
    });

    it("cuts into the important sections only when it must, and still says what was cut", () => {
        const { markdown, truncated } = summarize({ stack: "production", preview, maxChars: 4_000, logUrl: LOG });
        assert.ok(markdown.length <= 4_000, `${markdown.length}`);
        assert.match(markdown, /^<!-- cicd-platform-preview:production -->\n### Pulumi preview/);
        assert.match(markdown, /\| 4,000 \| 500 \| 200 \| 100 \| 201 \|/, "the counts are never cut");
        assert.ok(truncated.length >= 3, truncated.join("; "));
        assert.match(markdown, /Full preview log/);
    });

    it("clips a single huge engine message instead of dropping the summary", () => {
        const { markdown } = summarize({
            stack: "staging",
            preview: { diagnostics: [{ severity: "error", message: "e".repeat(200_000) }] },
            failure: { exitCode: 1, stderr: "line\n".repeat(100_000) },
        });
        assert.ok(markdown.length < 20_000, `${markdown.length}`);
        assert.match(markdown, /more characters in the full log/);
        assert.match(markdown, /earlier characters in the full log/);
    });
});
