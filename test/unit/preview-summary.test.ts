/**
 * The preview summary (preview-summary/): counts, replacements, the canary plan, policy and config
 * errors, secrets, the size limit, the CLI and the GitLab note. Synthetic previews here; the summary
 * of real previews of our stacks is asserted in test/pipelines/gitlab-preview-job.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";

import { upstreamServers } from "../../preview-summary/canary-plan";
import { type CliIO, main, readStackFiles } from "../../preview-summary/cli";
import { type FetchLike, upsertNote } from "../../preview-summary/gitlab-note";
import { parsePreviewJson, parseUrn, type PreviewDigest } from "../../preview-summary/preview-json";
import { SecretGuard, SecretLeakError } from "../../preview-summary/secrets";
import { commentMarker, GITHUB_COMMENT_LIMIT, opKind, summarize } from "../../preview-summary/summarize";
import { syntheticPreview, syntheticType, urn } from "../support/synthetic-preview";

const ROOT = resolve(__dirname, "..", "..");
const STAGING = readStackFiles(join(ROOT, "Pulumi.yaml"), join(ROOT, "Pulumi.staging.yaml"));
const PRODUCTION = readStackFiles(join(ROOT, "Pulumi.yaml"), join(ROOT, "Pulumi.production.yaml"));

const CM = "kubernetes:core/v1:ConfigMap";
const DEPLOY = "kubernetes:apps/v1:Deployment";

function smallPreview(): PreviewDigest {
    return {
        config: { "cicd-platform:environment": "staging", "cicd-platform:registryPassword": "[secret]" },
        steps: [
            { op: "same", urn: urn("staging", [], "pulumi:pulumi:Stack", "cicd-platform-staging") },
            {
                op: "create",
                urn: urn("staging", ["cicd:platform:EnvironmentNamespace"], "kubernetes:core/v1:Namespace", "apps"),
                newState: { type: "kubernetes:core/v1:Namespace", inputs: { metadata: { name: "shop-staging-XYZ" } } },
            },
            ...["create-replacement", "replace", "delete-replaced"].map((op) => ({
                op,
                urn: urn("staging", ["cicd:traffic:WeightedUpstream"], CM, "storefront-router-conf"),
                replaceReasons: ["data"],
                detailedDiff: {
                    'data["nginx.conf"]': { kind: "update-replace", inputDiff: true },
                    "metadata.labels": { kind: "update", inputDiff: true },
                },
                diffReasons: ["data", "metadata"],
            })),
            {
                op: "update",
                urn: urn("staging", ["cicd:release:CanaryRelease"], DEPLOY, "storefront-canary"),
                diffReasons: ["spec"],
                detailedDiff: { "spec.template.spec.containers[0].image": { kind: "update", inputDiff: true } },
                oldState: { type: DEPLOY, inputs: { image: "registry.example.com/shop/storefront:1.5.0" } },
                newState: { type: DEPLOY, inputs: { image: "registry.example.com/shop/storefront:1.6.0" } },
            },
            {
                op: "delete",
                urn: urn("staging", [], "kubernetes:core/v1:Service", "old-service"),
                oldState: { type: "kubernetes:core/v1:Service" },
            },
        ],
        diagnostics: [{ severity: "warning", message: "configured Kubernetes cluster is unreachable" }],
        changeSummary: { create: 1, replace: 1, update: 1, delete: 1, same: 30 },
    };
}

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

describe("canary plan", () => {
    it("comes from the stack config: percentages, replicas per track and the renderer's weights", () => {
        const plan = STAGING.canaryPlan;
        assert.ok(plan, STAGING.canaryPlanError);
        const app = plan.apps[0];
        assert.equal(app?.app, "storefront");
        assert.equal(app.currentPercent, 10);
        assert.deepEqual(
            app.steps.map((s) => [s.percent, s.stableReplicas, s.canaryReplicas, s.weights.stable, s.weights.canary]),
            [
                [10, 2, 1, 90, 10],
                [25, 2, 1, 75, 25],
                [50, 2, 1, 50, 50],
                [100, 2, 2, 0, 100],
            ],
        );
        assert.deepEqual(app.steps.at(-1)?.servers, [{ track: "canary", weight: 100 }], "nginx refuses weight=0");
    });

    it("reads the servers back from the one nginx renderer", () => {
        assert.deepEqual(upstreamServers(0), [{ track: "stable", weight: 100 }]);
        assert.deepEqual(upstreamServers(25), [
            { track: "stable", weight: 75 },
            { track: "canary", weight: 25 },
        ]);
    });

    it("is rendered per app with the current step marked", () => {
        const { markdown } = summarize({ stack: "staging", preview: smallPreview(), canaryPlan: STAGING.canaryPlan });
        assert.match(
            markdown,
            /\*\*storefront\*\*: stable `1\.4\.2`, canary `1\.5\.0`; now at \*\*10%\*\* \(step 1 of 4\)/,
        );
        assert.match(markdown, /\| 1 ◀ now \| 10% \| 2 \| 1 \| stable weight=90, canary weight=10 \|/);
        assert.match(markdown, /\| 4 \| 100% \| 2 \| 2 \| canary weight=100 \(stable left out\) \|/);
        assert.match(markdown, /60 s analysis window/);
    });

    it("shows production without a canary in progress", () => {
        const { markdown } = summarize({ stack: "production", preview: {}, canaryPlan: PRODUCTION.canaryPlan });
        assert.match(markdown, /no canary version set; no canary traffic now \(0%\)/);
        assert.match(markdown, /\| 5 \| 100% \| 4 \| 4 \| canary weight=100 \(stable left out\) \|/);
    });

    it("says why it is missing when the config is invalid", () => {
        const dir = mkdtempSync(join(tmpdir(), "summary-config-"));
        try {
            writeFileSync(
                join(dir, "Pulumi.bad.yaml"),
                readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8").replace(
                    "canaryPercent: 10",
                    "canaryPercent: 150",
                ),
            );
            const files = readStackFiles(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.bad.yaml"));
            assert.equal(files.canaryPlan, undefined);
            assert.match(files.canaryPlanError ?? "", /apps\[0\]\.canaryPercent: 150 is not a percentage/);
            const { markdown } = summarize({ stack: "bad", preview: {}, canaryPlanError: files.canaryPlanError });
            assert.match(markdown, /#### Canary plan\n_Not available: the stack config is invalid/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("knows which config keys are secret: declared in Pulumi.yaml or stored `secure:`", () => {
        assert.ok(STAGING.secretConfigKeys.has("cicd-platform:registryPassword"));
        assert.ok(STAGING.secretConfigKeys.has("cicd-platform:githubToken"));
        assert.ok(!STAGING.secretConfigKeys.has("cicd-platform:apps"));
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

describe("preview-summary CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "summary-cli-"));
    after(() => {
        rmSync(dir, { recursive: true, force: true });
    });

    function io(env: NodeJS.ProcessEnv = {}): CliIO & { stdout: string; stderr: string } {
        const captured = {
            stdout: "",
            stderr: "",
            env,
            cwd: ROOT,
            out: (text: string) => (captured.stdout += text),
            err: (line: string) => (captured.stderr += `${line}\n`),
        };
        return captured;
    }

    it("writes the summary of a preview file with the stack's canary plan", () => {
        const previewFile = join(dir, "preview.json");
        writeFileSync(previewFile, JSON.stringify(smallPreview()));
        const out = join(dir, "summary.md");
        const cli = io();
        const code = main(
            ["--stack", "staging", "--preview", previewFile, "--out", out, "--log-url", "https://ci/1"],
            cli,
        );
        assert.equal(code, 0, cli.stderr);
        const markdown = readFileSync(out, "utf8");
        assert.match(markdown, /^<!-- cicd-platform-preview:staging -->/);
        assert.match(markdown, /now at \*\*10%\*\*/);
        assert.match(cli.stderr, /create 1, update 1, replace 1, delete 1, same 30/);
    });

    it("summarizes a failed preview that printed no JSON", () => {
        const empty = join(dir, "empty.json");
        writeFileSync(empty, "");
        const stderrFile = join(dir, "preview.stderr");
        writeFileSync(stderrFile, "error: no stack named 'staging' found\n");
        const statusFile = join(dir, "status");
        writeFileSync(statusFile, "255\n");
        const cli = io();
        const code = main(
            ["--stack", "staging", "--preview", empty, "--stderr", stderrFile, "--exit-code-file", statusFile],
            cli,
        );
        assert.equal(code, 0, cli.stderr);
        assert.match(cli.stdout, /preview failed\*\* \(exit 255\)/);
        assert.match(cli.stdout, /no stack named 'staging' found/);
    });

    it("exits 3 and writes nothing (removing a stale file) when a secret would be printed", () => {
        const previewFile = join(dir, "leak.json");
        writeFileSync(
            previewFile,
            JSON.stringify({ steps: [{ op: "create", urn: urn("staging", [], CM, "name-hunter2-hunter2") }] }),
        );
        const out = join(dir, "stale.md");
        writeFileSync(out, "an older summary");
        const cli = io({ PULUMI_CONFIG_PASSPHRASE: "hunter2-hunter2" });
        const code = main(
            [
                "--stack",
                "staging",
                "--preview",
                previewFile,
                "--out",
                out,
                "--secret-values-from-env",
                "PULUMI_CONFIG_PASSPHRASE",
            ],
            cli,
        );
        assert.equal(code, 3);
        assert.ok(!existsSync(out));
        assert.match(cli.stderr, /\$PULUMI_CONFIG_PASSPHRASE/);
        assert.doesNotMatch(cli.stderr, /hunter2-hunter2/);
    });

    it("refuses bad usage with exit 2", () => {
        for (const argv of [
            [],
            ["--stack", "x y", "--preview", "p"],
            ["--stack", "staging"],
            ["--stack", "staging", "--preview", "p", "--log-url", "javascript:alert(1)"],
            ["--stack", "staging", "--preview", "p", "--secret-values-from-env", "A-B"],
            ["--stack", "staging", "--preview", "p", "--max-chars", "10"],
            ["--stack", "staging", "--bogus"],
        ]) {
            const cli = io();
            assert.equal(main(argv, cli), 2, argv.join(" "));
            assert.match(cli.stderr, /usage: preview-summary/);
        }
    });
});

describe("GitLab merge-request note", () => {
    interface Note {
        id: number;
        body: string;
        system?: boolean;
        author: { username: string };
    }

    function fakeGitLab(notes: Note[], pageSize = 2): { fetch: FetchLike; calls: string[] } {
        const calls: string[] = [];
        let nextId = 100;
        const fetchFn: FetchLike = (url, init) => {
            const method = init?.method ?? "GET";
            const headers = init?.headers as Record<string, string>;
            calls.push(`${method} ${url.replace(/^https:\/\/gitlab\.example\.com\/api\/v4/, "")}`);
            if (headers["PRIVATE-TOKEN"] !== "glpat-test") {
                return Promise.resolve(new Response('{"message":"401 Unauthorized glpat-wrong"}', { status: 401 }));
            }
            const parsed = new URL(url);
            if (method === "GET") {
                const page = Number(parsed.searchParams.get("page"));
                const slice = notes.slice((page - 1) * pageSize, page * pageSize);
                const next = page * pageSize < notes.length ? String(page + 1) : "";
                return Promise.resolve(Response.json(slice, { headers: { "x-next-page": next } }));
            }
            const body = (JSON.parse(init?.body as string) as { body: string }).body;
            if (method === "PUT") {
                const id = Number(parsed.pathname.split("/").at(-1));
                const note = notes.find((n) => n.id === id);
                assert.ok(note);
                note.body = body;
                return Promise.resolve(Response.json(note));
            }
            const note = { id: nextId++, body, author: { username: "project_42_bot" } };
            notes.push(note);
            return Promise.resolve(Response.json(note, { status: 201 }));
        };
        return { fetch: fetchFn, calls };
    }

    const target = {
        apiUrl: "https://gitlab.example.com/api/v4",
        projectId: "platform/cicd-platform",
        mergeRequestIid: "7",
        token: "glpat-test",
        tokenHeader: "PRIVATE-TOKEN" as const,
    };
    const body = (text: string): string => `${commentMarker("staging")}\n${text}`;

    it("creates the note the first time and updates that same note afterwards", async () => {
        const notes: Note[] = [{ id: 1, body: "LGTM", author: { username: "alice" } }];
        const gitlab = fakeGitLab(notes);
        assert.deepEqual(await upsertNote(target, body("first"), gitlab.fetch), { action: "created", id: 100 });
        assert.deepEqual(await upsertNote(target, body("second"), gitlab.fetch), { action: "updated", id: 100 });
        assert.equal(notes.length, 2);
        assert.equal(notes[1]?.body, body("second"));
        assert.ok(gitlab.calls.includes("PUT /projects/platform%2Fcicd-platform/merge_requests/7/notes/100"));
    });

    it("finds its note on a later page, past system notes and other stacks' notes", async () => {
        const notes: Note[] = [
            { id: 1, body: body("system copy"), system: true, author: { username: "bot" } },
            { id: 2, body: `${commentMarker("production")}\nx`, author: { username: "bot" } },
            { id: 3, body: "hello", author: { username: "alice" } },
            { id: 4, body: body("old"), author: { username: "bot" } },
        ];
        const gitlab = fakeGitLab(notes);
        assert.deepEqual(await upsertNote(target, body("new"), gitlab.fetch), { action: "updated", id: 4 });
        assert.equal(gitlab.calls.filter((c) => c.startsWith("GET")).length, 2);
    });

    it("counts only notes by the given author when asked", async () => {
        const notes: Note[] = [{ id: 5, body: body("forged"), author: { username: "mallory" } }];
        const gitlab = fakeGitLab(notes);
        const result = await upsertNote({ ...target, authorUsername: "project_42_bot" }, body("real"), gitlab.fetch);
        assert.equal(result.action, "created");
        assert.equal(notes[0]?.body, body("forged"));
    });

    it("refuses a body without the marker, and never echoes the token on errors", async () => {
        await assert.rejects(upsertNote(target, "no marker", fakeGitLab([]).fetch), /not a marker comment/);
        await assert.rejects(
            upsertNote({ ...target, token: "glpat-wrong" }, body("x"), fakeGitLab([]).fetch),
            (error: Error) => /HTTP 401/.test(error.message) && !error.message.includes("glpat-wrong"),
        );
    });
});

describe("a recorded real preview of the staging stack", () => {
    // RECORDED engine output, not hand-made: `pulumi preview --stack staging --json` with the
    // toolchain's CLI v3.274.1 and language host, before its kubernetes plugin existed, so the engine
    // stopped at the provider (exit 1). Secrets were set under a throwaway passphrase.
    const dir = join(ROOT, "test", "pipelines", "fixtures");
    const preview = parsePreviewJson(
        readFileSync(join(dir, "recorded-staging-preview-missing-k8s-plugin.json"), "utf8"),
    );
    const stderr = readFileSync(join(dir, "recorded-staging-preview-missing-k8s-plugin.stderr"), "utf8");

    it("says the preview failed and why, with the canary plan and no secret", () => {
        assert.equal(preview.config?.["cicd-platform:registryPassword"], "[secret]");
        const { markdown } = summarize({
            stack: "staging",
            preview,
            failure: { exitCode: 1, stderr },
            canaryPlan: STAGING.canaryPlan,
            secretConfigKeys: STAGING.secretConfigKeys,
        });
        assert.match(markdown, /❌ \*\*preview failed\*\* \(exit 1\)/);
        assert.match(
            markdown,
            /- error on `kubernetes`:\n\n```text\nerror: no resource plugin 'pulumi-resource-kubernetes' found/,
        );
        assert.match(markdown, /now at \*\*10%\*\* \(step 1 of 4\)/);
        assert.doesNotMatch(markdown, /demo-|\[secret\]/, "no secret value and not even its placeholder");
    });
});
