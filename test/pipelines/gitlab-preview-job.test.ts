/**
 * The merge-request preview job of .gitlab-ci.yml (`preview: [staging]`), run on this machine by
 * gitlab-ci-local with its shell executor, against a fake GitLab API on loopback that records the
 * merge-request notes the job writes.
 *
 *  1. plumbing: `pulumi` is a stand-in that prints a SYNTHETIC preview (test/pipelines/
 *     synthetic-preview.ts, a hand-made fixture): proves the job's wiring, the summary artifact and
 *     the note created once and then updated in place.
 *  2. the real engine: the toolchain's `pulumi preview` of our staging stack against a file://
 *     backend (secrets re-encrypted there under a test passphrase, a kubeconfig whose API server
 *     does not answer); the summary's content is asserted. Without the toolchain this FAILS.
 *
 * Self-contained: the project is copied into a temp git repository (node_modules symlinked; the job
 * is told not to run npm ci over it). The repository's files are not touched.
 */
import assert from "node:assert/strict";
import {
    chmodSync,
    cpSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";

import { commentMarker, GITHUB_COMMENT_LIMIT } from "../../preview-summary/summarize";
import { syntheticPreview } from "../support/synthetic-preview";
import { ciTools, expectedNpmScripts, onPath, ROOT, run } from "./tools";
import { OFFLINE_KUBECONFIG, secureKeys, stripSecure } from "../support/engine";
import { demoSecrets } from "../support/stack-secrets";
import { parse as parseYaml } from "yaml";

const PASSPHRASE = "gitlab-job-test-passphrase";
// Built at run time so secret scanners do not flag a test value as a leaked token.
const NOTE_TOKEN = ["glpat", "gitlab-job-test-token"].join("-");
const JOB = "preview: [staging]";
const JOB_TIMEOUT_MS = 25 * 60 * 1000;

interface Note {
    id: number;
    body: string;
    author: { username: string };
    system: boolean;
}

/** The notes API of one merge request, as gitlab-note.ts uses it. */
function fakeGitLab(): { server: Server; notes: Note[]; requests: string[]; url: () => string } {
    const notes: Note[] = [];
    const requests: string[] = [];
    let nextId = 1000;
    const read = (req: IncomingMessage): Promise<string> =>
        new Promise((resolveBody) => {
            let data = "";
            req.on("data", (chunk: Buffer) => (data += chunk.toString()));
            req.on("end", () => {
                resolveBody(data);
            });
        });
    const server = createServer((req, res) => {
        void (async () => {
            const url = new URL(req.url ?? "/", "http://127.0.0.1");
            requests.push(`${req.method ?? "?"} ${url.pathname}`);
            const base = "/api/v4/projects/42/merge_requests/7/notes";
            const json = (status: number, value: unknown): void => {
                res.writeHead(status, { "Content-Type": "application/json", "x-next-page": "" });
                res.end(JSON.stringify(value));
            };
            if (req.headers["private-token"] !== NOTE_TOKEN) {
                json(401, { message: "401 Unauthorized" });
                return;
            }
            if (req.method === "GET" && url.pathname === base) {
                json(200, notes);
            } else if (req.method === "POST" && url.pathname === base) {
                const note = {
                    id: nextId++,
                    body: (JSON.parse(await read(req)) as { body: string }).body,
                    author: { username: "project_42_bot" },
                    system: false,
                };
                notes.push(note);
                json(201, note);
            } else if (req.method === "PUT" && url.pathname.startsWith(`${base}/`)) {
                const note = notes.find((n) => n.id === Number(url.pathname.split("/").at(-1)));
                if (!note) {
                    json(404, { message: "404 Not found" });
                    return;
                }
                note.body = (JSON.parse(await read(req)) as { body: string }).body;
                json(200, note);
            } else {
                json(404, { message: `unexpected ${req.method ?? "?"} ${url.pathname}` });
            }
        })();
    });
    return {
        server,
        notes,
        requests,
        url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`,
    };
}

/** Tracked and untracked-but-not-ignored files of the working tree, as a fresh clone would have them. */
async function projectFiles(): Promise<string[]> {
    const listed = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT });
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)));
}

describe(
    "the merge-request preview job of .gitlab-ci.yml under gitlab-ci-local",
    { timeout: 3 * JOB_TIMEOUT_MS },
    () => {
        let work = "";
        let tools: ReturnType<typeof ciTools>;
        const gitlab = fakeGitLab();
        let setupError: Error | undefined;
        const notes: string[] = [];

        before(async () => {
            try {
                tools = ciTools();
                if (onPath("rsync") === undefined) {
                    throw new Error("rsync is not on PATH (gitlab-ci-local needs it): bash scripts/ci/install-tools");
                }
                work = mkdtempSync(join(tmpdir(), "gitlab-preview-job-"));
                await new Promise<void>((resolveListen) => gitlab.server.listen(0, "127.0.0.1", resolveListen));
            } catch (error) {
                setupError = error instanceof Error ? error : new Error(String(error));
            }
        });
        after(async () => {
            await new Promise<void>((resolveClose) =>
                gitlab.server.close(() => {
                    resolveClose();
                }),
            );
            if (work !== "") {
                rmSync(work, { recursive: true, force: true });
            }
        });

        /** A git repository with the project in it, as the runner would check it out. */
        async function projectCopy(name: string, prepare?: (repo: string) => Promise<void>): Promise<string> {
            const repo = join(work, name);
            for (const file of await projectFiles()) {
                mkdirSync(dirname(join(repo, file)), { recursive: true });
                cpSync(join(ROOT, file), join(repo, file));
            }
            symlinkSync(join(ROOT, "node_modules"), join(repo, "node_modules"), "dir");
            symlinkSync(join(ROOT, "policy", "node_modules"), join(repo, "policy", "node_modules"), "dir");
            // The pipelines call npm scripts package.json may not declare yet (the lint test fails then):
            // the job runs with the scripts the pipelines are written against.
            const pkgFile = join(repo, "package.json");
            const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { scripts: Record<string, string> };
            const missing = Object.entries(expectedNpmScripts()).filter(([k, v]) => pkg.scripts[k] !== v);
            if (missing.length > 0) {
                notes.push(`package.json lacks ${missing.map(([k]) => k).join(", ")}: added in the temp copy only`);
                Object.assign(pkg.scripts, Object.fromEntries(missing));
                writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + "\n");
            }
            // The stacks' own passphrases are not ours: drop their encrypted values (`prepare` re-adds
            // them under a test passphrase, see secureKeys).
            for (const stack of ["staging", "production"]) {
                const file = join(repo, `Pulumi.${stack}.yaml`);
                writeFileSync(file, stripSecure(readFileSync(file, "utf8")));
            }
            await prepare?.(repo);
            for (const args of [
                ["init", "-q", "-b", "feature/preview"],
                ["add", "-A"],
                ["-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-q", "-m", "merge request head"],
                ["remote", "add", "origin", "https://gitlab.example.com/platform/cicd-platform.git"],
            ]) {
                const result = await run("git", args, { cwd: repo });
                assert.equal(result.code, 0, `git ${args.join(" ")}: ${result.stderr}`);
            }
            return repo;
        }

        async function runJob(repo: string, env: NodeJS.ProcessEnv, variables: Record<string, string>) {
            const all: Record<string, string> = {
                CI_PIPELINE_SOURCE: "merge_request_event",
                CI_MERGE_REQUEST_IID: "7",
                CI_PROJECT_ID: "42",
                CI_API_V4_URL: gitlab.url(),
                CI_JOB_URL: "https://gitlab.example.com/platform/cicd-platform/-/jobs/4242",
                GITLAB_NOTE_TOKEN: NOTE_TOKEN,
                CICD_SKIP_NPM_CI: "true",
                CICD_CACHE: process.env.CICD_CACHE ?? join(homedir(), ".cache", "cicd-platform"),
                ...variables,
            };
            const args = [
                "--force-shell-executor",
                "--artifacts-to-source",
                "--color=false",
                "--home",
                join(work, "gcl-home"),
                "--ignore-predefined-vars",
                "CI_PIPELINE_SOURCE,CI_MERGE_REQUEST_IID,CI_PROJECT_ID,CI_API_V4_URL,CI_JOB_URL",
                ...Object.entries(all).flatMap(([k, v]) => ["--variable", `${k}=${v}`]),
                JOB,
            ];
            const result = await run(tools.gitlabCiLocal, args, { cwd: repo, env, timeoutMs: JOB_TIMEOUT_MS });
            const output = result.stdout + result.stderr;
            const summaryFile = join(repo, "preview", "staging", "summary.md");
            return { ...result, output, summary: existsSync(summaryFile) ? readFileSync(summaryFile, "utf8") : "" };
        }

        it("plumbing, with a stand-in pulumi printing a SYNTHETIC preview: summary artifact, one note created then updated", async (t) => {
            if (setupError !== undefined) {
                throw setupError;
            }
            const repo = await projectCopy("plumbing");
            for (const note of notes) {
                t.diagnostic(note);
            }
            const bin = join(work, "stand-in-bin");
            mkdirSync(bin, { recursive: true });
            writeFileSync(
                join(work, "synthetic-preview.json"),
                JSON.stringify(syntheticPreview("staging", { create: 40, update: 3, replace: 2, delete: 1, same: 5 })),
            );
            writeFileSync(
                join(bin, "pulumi"),
                `#!/usr/bin/env bash\n# Stand-in for the engine: prints the SYNTHETIC fixture for preview --json.\n` +
                    `case "$1" in preview) cat ${JSON.stringify(join(work, "synthetic-preview.json"))} ;; *) echo "stand-in pulumi: $*" >&2 ;; esac\n`,
            );
            chmodSync(join(bin, "pulumi"), 0o755);
            const env = { ...process.env, PATH: [bin, process.env.PATH].join(delimiter) };
            const variables = { CICD_SKIP_BOOTSTRAP: "true", PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };

            const first = await runJob(repo, env, variables);
            assert.equal(first.code, 0, first.output);
            assert.match(first.output, /PASS {2}preview: \[staging\]/);
            assert.equal(first.summary.split("\n")[0], commentMarker("staging"));
            assert.match(first.summary, /\| 40 \| 3 \| 2 \| 1 \| 6 \|/);
            assert.match(first.summary, /now at \*\*10%\*\* \(step 1 of 4\)/);
            assert.match(
                first.summary,
                /\[Full preview log\]\(https:\/\/gitlab\.example\.com\/platform\/cicd-platform\/-\/jobs\/4242\)/,
            );
            assert.equal(gitlab.notes.length, 1);
            assert.equal(gitlab.notes[0]?.body, first.summary);
            assert.deepEqual(gitlab.requests, [
                "GET /api/v4/projects/42/merge_requests/7/notes",
                "POST /api/v4/projects/42/merge_requests/7/notes",
            ]);

            const second = await runJob(repo, env, variables);
            assert.equal(second.code, 0, second.output);
            assert.equal(gitlab.notes.length, 1, "updated in place, not a second note");
            assert.deepEqual(gitlab.requests.slice(2), [
                "GET /api/v4/projects/42/merge_requests/7/notes",
                `PUT /api/v4/projects/42/merge_requests/7/notes/${String(gitlab.notes[0].id)}`,
            ]);
            for (const secret of [PASSPHRASE, NOTE_TOKEN]) {
                assert.ok(!second.summary.includes(secret));
            }
        });

        it("the real engine: pulumi preview of staging on a file:// backend, and its summary (GitHub off; Podman hosts and the gate on the command plugin)", async (t) => {
            if (setupError !== undefined) {
                throw setupError;
            }
            const sourced = await run("bash", [
                "-c",
                `source ${JSON.stringify(join(ROOT, "scripts/toolchain/env.sh"))} 2>/dev/null; printf '%s\\n%s' "$PATH" "$PULUMI_HOME"`,
            ]);
            const [path, pulumiHome] = sourced.stdout.split("\n");
            const pulumi = onPath("pulumi", path);
            if (pulumi === undefined || onPath("pulumi-language-nodejs", path) === undefined) {
                throw new Error(
                    "the Pulumi toolchain is not built: bash scripts/toolchain/bootstrap (scripts/setup runs it), then re-run",
                );
            }
            const state = join(work, "state");
            mkdirSync(state, { recursive: true });
            const kubeconfig = join(work, "kubeconfig");
            writeFileSync(kubeconfig, OFFLINE_KUBECONFIG);
            const env: NodeJS.ProcessEnv = {
                ...process.env,
                PATH: path,
                PULUMI_HOME: pulumiHome,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
                PULUMI_BACKEND_URL: `file://${state}`,
                PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
                PULUMI_CONFIG_PASSPHRASE_FILE: "",
                KUBECONFIG: kubeconfig,
                GITHUB_TOKEN: "",
            };
            const stackFile = readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8");
            const encrypted = secureKeys(stackFile);
            assert.ok(encrypted.includes("cicd-platform:registryPassword"), encrypted.join(", "));
            const plain = Object.fromEntries(
                Object.entries((parseYaml(stackFile) as { config: Record<string, unknown> }).config)
                    .filter(([key]) => !encrypted.includes(key))
                    .map(([key, value]) => [key.replace(/^cicd-platform:/, ""), value]),
            );
            const demo = demoSecrets(
                plain,
                encrypted.map((key) => key.replace(/^cicd-platform:/, "")),
                "demo",
            );
            const repo = await projectCopy("engine", async (dir) => {
                for (const args of [
                    ["stack", "init", "staging", "--non-interactive"],
                    ...Object.entries(demo).map(([key, value]) => [
                        "config",
                        "set",
                        "--secret",
                        "--stack",
                        "staging",
                        `cicd-platform:${key}`,
                        // A PEM value starts with "-": after "--" it is no flag.
                        "--",
                        value,
                    ]),
                    // The job's plumbing is under test here, and GitHub's API is not reachable from
                    // the job: leave GitHub out (test/policy/preview.test.ts previews it against a
                    // local stand-in of the API).
                    ["config", "set", "--path", "--stack", "staging", "cicd-platform:github.enabled", "false"],
                ]) {
                    const result = await run(pulumi, args, { cwd: dir, env });
                    assert.equal(result.code, 0, `pulumi ${args.join(" ")}:\n${result.stdout}${result.stderr}`);
                }
            });
            gitlab.notes.length = 0;
            gitlab.requests.length = 0;
            const job = await runJob(repo, env, {
                PULUMI_BACKEND_URL: `file://${state}`,
                PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
                KUBECONFIG: kubeconfig,
            });
            t.diagnostic(`summary (${job.summary.length} characters):\n${job.summary}`);
            writeFileSync(join(tmpdir(), "cicd-platform-gitlab-preview-summary.md"), job.summary);
            assert.equal(job.code, 0, job.output.slice(-8_000));
            const summary = job.summary;
            assert.equal(summary.split("\n")[0], commentMarker("staging"));
            assert.ok(summary.length <= GITHUB_COMMENT_LIMIT);
            assert.match(summary, /### Pulumi preview: `staging` · [\d,]+ resources to change/);
            assert.match(summary, /#### Creates \([\d,]+\)/);
            for (const type of [
                "kubernetes:apps/v1:Deployment",
                "kubernetes:core/v1:ConfigMap",
                "kubernetes:core/v1:Secret",
            ]) {
                assert.ok(summary.includes(`\`${type}\``), type);
            }
            assert.match(
                summary,
                /\*\*storefront\*\*: stable `1\.4\.2`, canary `1\.5\.0`; now at \*\*10%\*\* \(step 1 of 4\)/,
            );
            assert.match(summary, /\| 1 ◀ now \| 10% \| 2 \| 1 \| stable weight=90, canary weight=10 \|/);
            assert.match(summary, /\| 4 \| 100% \| 2 \| 2 \| canary weight=100 \(stable left out\) \|/);
            const values = Object.values(demo);
            const base64 = values.map((v) => Buffer.from(v).toString("base64"));
            for (const secret of [...values, ...base64, PASSPHRASE, NOTE_TOKEN]) {
                assert.ok(!summary.includes(secret), "a secret value reached the summary");
            }
            assert.equal(gitlab.notes.length, 1);
            assert.equal(gitlab.notes[0]?.body, summary);
        });
    },
);
