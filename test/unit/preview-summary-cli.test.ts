/**
 * The preview summary's edges: the CLI (a preview file in, the summary file out, exit codes), the
 * GitLab merge-request note (GitLab's notes API through a recorded fetch), and the summary of a
 * RECORDED real preview of the staging stack.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";

import { type CliIO, main, readStackFiles } from "../../preview-summary/cli";
import { type FetchLike, upsertNote } from "../../preview-summary/gitlab-note";
import { parsePreviewJson } from "../../preview-summary/preview-json";
import { commentMarker, summarize } from "../../preview-summary/summarize";
import { CM, smallPreview, urn } from "../support/synthetic-preview";

const ROOT = resolve(__dirname, "..", "..");
const STAGING = readStackFiles(join(ROOT, "Pulumi.yaml"), join(ROOT, "Pulumi.staging.yaml"));

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
