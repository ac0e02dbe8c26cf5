/**
 * The pipeline definitions pass their linters and keep their rules:
 *  - every workflow passes actionlint (built from its Go module by scripts/ci/install-tools), which
 *    runs shellcheck on every `run:` step; scripts/ci/* and the extracted `script:` blocks of
 *    .gitlab-ci.yml pass shellcheck; no warning is suppressed without a comment saying why;
 *  - actions are pinned by commit SHA, permissions are least privilege, secrets come from
 *    environments, deploys are serialized per stack, production waits for approval;
 *  - both forges call the same npm scripts, which package.json declares.
 * A missing tool FAILS these tests (with how to install it); nothing is skipped.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { ciShellScripts, ciTools, expectedNpmScripts, ROOT, run } from "./tools";

type Yaml = Record<string, unknown>;
const asObject = (value: unknown): Yaml => (value ?? {}) as Yaml;

const WORKFLOW_DIR = join(ROOT, ".github", "workflows");
const workflowFiles = (): string[] =>
    readdirSync(WORKFLOW_DIR)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(WORKFLOW_DIR, f));
const workflows = (): [string, Yaml][] =>
    workflowFiles().map((file) => [file, parseYaml(readFileSync(file, "utf8")) as Yaml]);
const gitlab = (): Yaml => parseYaml(readFileSync(join(ROOT, ".gitlab-ci.yml"), "utf8")) as Yaml;

const GITLAB_RESERVED = new Set(["workflow", "stages", "variables", "default", "include", "image", "cache"]);
function gitlabJobs(doc: Yaml): [string, Yaml][] {
    return Object.entries(doc).filter(([name]) => !GITLAB_RESERVED.has(name)) as [string, Yaml][];
}
function scriptLines(job: Yaml, key: string): string[] {
    const value = job[key];
    if (value === undefined) {
        return [];
    }
    return (Array.isArray(value) ? value : [value]).map(String);
}

/** Steps of every job of every workflow, with the job. */
function workflowSteps(): { file: string; job: string; jobDef: Yaml; step: Yaml }[] {
    const out: { file: string; job: string; jobDef: Yaml; step: Yaml }[] = [];
    for (const [file, doc] of workflows()) {
        for (const [job, jobDef] of Object.entries(asObject(doc.jobs))) {
            for (const step of (asObject(jobDef).steps ?? []) as Yaml[]) {
                out.push({ file, job, jobDef: asObject(jobDef), step });
            }
        }
    }
    return out;
}

/**
 * The application pipeline the platform ships for other repositories: its logic has to live in its
 * steps (an application repository has no scripts/ci), so the platform-only rules skip it and
 * test/pipelines/container-app-rules.test.ts holds it to its own.
 */
const APP_TEMPLATE = "container-app.yml";
const isAppTemplate = (file: string): boolean => file.endsWith(`/${APP_TEMPLATE}`);

const runOf = (step: Yaml): string => (typeof step.run === "string" ? step.run : "");

/** A shell line that only calls the project's npm scripts or scripts/ci: the logic is elsewhere. */
const THIN = /^(npm run (--silent )?[a-z:-]+( -- .*)?|bash scripts\/ci\/[a-z-]+( .*)?)$/s;

/** KEY=value pins of scripts/ci/versions.env, the one place that pins the CI tools. */
function ciToolPins(): Record<string, string> {
    const text = readFileSync(join(ROOT, "scripts", "ci", "versions.env"), "utf8");
    return Object.fromEntries(
        text
            .split("\n")
            .map((line) => /^([A-Z_]+)=(\S+)$/.exec(line))
            .filter((match) => match !== null)
            .map((match) => [match[1] as string, match[2] as string]),
    );
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("pipeline linters", () => {
    // The scratch directory is shared on purpose: each case writes its own files into it.
    let scratch = "";
    before(() => {
        scratch = mkdtempSync(join(tmpdir(), "pipeline-lint-"));
    });
    after(() => {
        rmSync(scratch, { recursive: true, force: true });
    });

    it("has the pinned tools installed, each at the version scripts/ci/versions.env pins", async () => {
        const tools = ciTools();
        const pins = ciToolPins();
        const actionlint = await run(tools.actionlint, ["-version"]);
        assert.equal(actionlint.code, 0, actionlint.stderr);
        assert.match(actionlint.stdout, new RegExp(`^v?${escapeRegExp(pins.ACTIONLINT_VERSION ?? "<unpinned>")}\\s`));
        const gitlabCiLocal = await run(tools.gitlabCiLocal, ["--version"]);
        assert.equal(gitlabCiLocal.code, 0, gitlabCiLocal.stderr);
        assert.equal(gitlabCiLocal.stdout.trim(), pins.GITLAB_CI_LOCAL_VERSION);
        // ShellCheck comes from the Debian package, whose version the distribution picks.
        const shellcheck = await run(tools.shellcheck, ["--version"]);
        assert.equal(shellcheck.code, 0, shellcheck.stderr);
        assert.match(shellcheck.stdout, /^version: \d+\.\d+\.\d+$/m);
    });

    it("every workflow passes actionlint, with shellcheck on PATH checking each run: step", async () => {
        const tools = ciTools();
        const files = workflowFiles();
        assert.ok(files.length >= 3, "pull-request.yml, main.yml and the reusable pulumi-stack.yml");
        const result = await run(
            tools.actionlint,
            ["-color=false", "-verbose", "-shellcheck", tools.shellcheck, ...files],
            {},
        );
        assert.equal(result.code, 0, `actionlint:\n${result.stdout}${result.stderr}`);
        assert.doesNotMatch(result.stderr, /Rule "shellcheck" was disabled/, "shellcheck must run");
    });

    it("actionlint really reports a shellcheck finding in a run: step (the check is live)", async () => {
        const tools = ciTools();
        const bad = join(scratch, "bad.yml");
        writeFileSync(bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo $FOO\n");
        const result = await run(tools.actionlint, ["-color=false", "-shellcheck", tools.shellcheck, bad]);
        assert.equal(result.code, 1);
        assert.match(result.stdout, /SC2086/);
    });

    it("scripts/ci/* pass shellcheck", async () => {
        const tools = ciTools();
        const scripts = ciShellScripts();
        assert.ok(scripts.length >= 6, scripts.join(", "));
        const result = await run(tools.shellcheck, ["-x", ...scripts]);
        assert.equal(result.code, 0, `shellcheck:\n${result.stdout}${result.stderr}`);
    });

    it("every script block of .gitlab-ci.yml passes shellcheck", async () => {
        const tools = ciTools();
        const files: string[] = [];
        for (const [name, job] of gitlabJobs(gitlab())) {
            for (const key of ["before_script", "script", "after_script"]) {
                const lines = scriptLines(job, key);
                if (lines.length > 0) {
                    // The runner runs the lines one after another in one bash shell.
                    const file = join(scratch, `${name.replace(/[^A-Za-z0-9_-]/g, "_")}.${key}.sh`);
                    writeFileSync(file, `#!/usr/bin/env bash\nset -eo pipefail\n${lines.join("\n")}\n`);
                    files.push(file);
                }
            }
        }
        assert.ok(files.length >= 5, files.join(", "));
        const result = await run(tools.shellcheck, ["-s", "bash", ...files]);
        assert.equal(result.code, 0, `shellcheck:\n${result.stdout}${result.stderr}`);
    });

    it("suppresses no shellcheck warning without a comment saying why", () => {
        const texts: [string, string][] = [
            ...ciShellScripts().map((f): [string, string] => [f, readFileSync(f, "utf8")]),
            ...workflowFiles().map((f): [string, string] => [f, readFileSync(f, "utf8")]),
            [".gitlab-ci.yml", readFileSync(join(ROOT, ".gitlab-ci.yml"), "utf8")],
        ];
        for (const [file, text] of texts) {
            const lines = text.split("\n");
            lines.forEach((line, index) => {
                if (/shellcheck\s+(\S+\s+)*disable=/.test(line)) {
                    const sameLine = /disable=\S+\s+#\s*\S+/.test(line);
                    const previous = lines[index - 1] ?? "";
                    const commentAbove = /^\s*#/.test(previous) && !/shellcheck/.test(previous);
                    assert.ok(sameLine || commentAbove, `${file}:${index + 1}: "${line.trim()}" gives no reason`);
                }
            });
        }
    });
});

describe("GitHub workflows", () => {
    it("pin every action by full commit SHA", () => {
        for (const { file, step } of workflowSteps()) {
            if (typeof step.uses === "string" && !step.uses.startsWith("./")) {
                assert.match(step.uses, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${file}: ${step.uses}`);
            }
        }
    });

    it("grant contents: read at the top and add only what a job needs", () => {
        for (const [file, doc] of workflows()) {
            assert.deepEqual(doc.permissions, { contents: "read" }, file);
            for (const [name, job] of Object.entries(asObject(doc.jobs))) {
                const permissions = asObject(asObject(job).permissions);
                for (const [scope, level] of Object.entries(permissions)) {
                    const allowed =
                        (scope === "contents" && level === "read") ||
                        (scope === "pull-requests" && level === "write" && name === "preview-stack") ||
                        (scope === "security-events" && level === "write" && name === "build" && isAppTemplate(file));
                    assert.ok(allowed, `${file}: job ${name} asks for ${scope}: ${String(level)}`);
                }
            }
            assert.doesNotMatch(readFileSync(file, "utf8"), /id-token:|pull_request_target|secrets: inherit/, file);
        }
    });

    it("read secrets only in jobs bound to an environment, and never echo them", () => {
        for (const [file, doc] of workflows()) {
            for (const [name, job] of Object.entries(asObject(doc.jobs))) {
                const text = JSON.stringify(job);
                if (/secrets\./.test(text)) {
                    assert.ok(asObject(job).environment, `${file}: job ${name} reads secrets without an environment`);
                }
            }
        }
        for (const { file, step } of workflowSteps()) {
            const script = runOf(step);
            assert.doesNotMatch(script, /\$\{\{\s*secrets\./, `${file}: a secret expanded into a script`);
            assert.doesNotMatch(script, /(echo|printf).*(PASSPHRASE|TOKEN|KUBECONFIG_DATA)/, `${file}: ${script}`);
        }
    });

    it("run only the project's npm scripts and scripts/ci (no logic in YAML)", () => {
        const allowed = [
            /^cat "\$RUNNER_TEMP\/preview\/summary\.md" >>"\$GITHUB_STEP_SUMMARY"$/,
            /^echo "checks: /,
            // The syft the action downloaded, on PATH for the tools-image job's SBOM step.
            /^dirname "\$SYFT_BINARY" >>"\$GITHUB_PATH"$/,
        ];
        for (const { file, step } of workflowSteps()) {
            if (step.run === undefined || isAppTemplate(file)) {
                continue;
            }
            const script = runOf(step).trim();
            assert.ok(THIN.test(script) || allowed.some((a) => a.test(script)), `${file}: ${script}`);
        }
    });

    it("preview both stacks on pull requests and gate merging on the `preview` check", () => {
        const pr = workflows().find(([f]) => f.endsWith("pull-request.yml"))?.[1] ?? {};
        assert.deepEqual(Object.keys(asObject(pr.on)), ["pull_request"]);
        const jobs = asObject(pr.jobs);
        const previewStack = asObject(jobs["preview-stack"]);
        assert.deepEqual(asObject(asObject(previewStack.strategy).matrix).stack, ["staging", "production"]);
        assert.equal(asObject(previewStack.with).operation, "preview");
        // GitHubRepositorySettings requires the status check named by previewCheck ("preview").
        assert.equal(asObject(jobs.preview).name, "preview");
    });

    it("deploy staging, then production in the `production` environment, one run per stack", () => {
        const main = workflows().find(([f]) => f.endsWith("main.yml"))?.[1] ?? {};
        assert.deepEqual(asObject(main.on), { push: { branches: ["main"] } });
        const jobs = asObject(main.jobs);
        assert.deepEqual(asObject(jobs["up-staging"]).with, {
            stack: "staging",
            operation: "up",
            environment: "staging",
        });
        assert.deepEqual(asObject(jobs["up-production"]).with, {
            stack: "production",
            operation: "up",
            environment: "production",
        });
        assert.equal(asObject(jobs["up-production"]).needs, "up-staging");
        const reusable = workflows().find(([f]) => f.endsWith("pulumi-stack.yml"))?.[1] ?? {};
        const job = asObject(asObject(reusable.jobs).pulumi);
        assert.equal(job.environment, "${{ inputs.environment }}");
        const concurrency = asObject(job.concurrency);
        assert.match(String(concurrency.group), /inputs\.stack/);
        assert.equal(
            concurrency["cancel-in-progress"],
            "${{ inputs.operation == 'preview' }}",
            "up is never cancelled",
        );
    });

    it("post the summary as one comment found by its marker and PATCHed", () => {
        const steps = workflowSteps().filter((s) => s.file.endsWith("pulumi-stack.yml"));
        const comment = steps.find((s) => runOf(s.step).includes("preview:comment"));
        assert.ok(comment);
        assert.equal(asObject(comment.step.env).GH_TOKEN, "${{ github.token }}");
        const script = readFileSync(join(ROOT, "scripts/ci/github-pr-comment"), "utf8");
        assert.match(script, /--method PATCH "repos\/\$repo\/issues\/comments\/\$existing"/);
    });
});

describe(".gitlab-ci.yml", () => {
    it("uses rules:, never only:/except:", () => {
        for (const [name, job] of gitlabJobs(gitlab())) {
            assert.ok(!("only" in job) && !("except" in job), name);
        }
    });

    it("runs jobs in the Node image pinned by digest on runners the stacks register", () => {
        const doc = gitlab();
        const variables = asObject(doc.variables);
        assert.match(String(variables.NODE_IMAGE), /^node:20-bookworm@sha256:[0-9a-f]{64}$/);
        // The tags each stack's general and build runner registers (its stack file).
        const registered = (stack: string, runner: "kubernetes" | "build"): string[] => {
            const file = parseYaml(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as Yaml;
            const runners = asObject(asObject(file.config)["cicd-platform:runners"]);
            return asObject(runners[runner]).tags as string[];
        };
        assert.deepEqual(asObject(doc.default).tags, registered("staging", "kubernetes"));
        const expected: Record<string, { tags: string[]; image: RegExp }> = {
            "up-production": { tags: registered("production", "kubernetes"), image: /^\$PULUMI_JOB_IMAGE$/ },
            // Builds an image: the build runner's rootless Buildah pods, in the image it published last.
            "tools-image": { tags: registered("staging", "build"), image: /^\$TOOLS_JOB_IMAGE$/ },
        };
        for (const [name, job] of gitlabJobs(doc)) {
            const own = expected[name];
            if (own === undefined) {
                assert.ok(!("tags" in job), `${name} overrides the runner tags`);
            } else {
                assert.deepEqual(job.tags, own.tags, name);
            }
            if ("image" in job) {
                assert.match(String(job.image), own?.image ?? /^\$(NODE_IMAGE|PULUMI_JOB_IMAGE)$/, name);
            }
        }
    });

    it("previews both stacks on merge requests and updates one note per stack", () => {
        const preview = asObject(gitlab().preview);
        assert.deepEqual(asObject(asObject(preview.parallel).matrix as Yaml[])[0], {
            STACK: ["staging", "production"],
        });
        const lines = scriptLines(preview, "script");
        assert.match(lines[0] ?? "", /^npm run preview -- --stack "\$STACK"/);
        assert.ok(lines.some((l) => l.startsWith("npm run preview:note -- ")));
        assert.match(lines.at(-1) ?? "", /--check-status/);
    });

    it("deploys with one job per stack at a time, production manual on a protected environment", () => {
        const doc = gitlab();
        const staging = asObject(doc["up-staging"]);
        const production = asObject(doc["up-production"]);
        assert.equal(staging.resource_group, "pulumi-staging");
        assert.equal(production.resource_group, "pulumi-production");
        assert.deepEqual(production.environment, { name: "production", deployment_tier: "production" });
        const rules = production.rules as Yaml[];
        assert.ok(rules.every((r) => r.when === "manual" && r.allow_failure === false));
        assert.deepEqual(production.needs, ["up-staging"]);
    });

    it("runs only the project's npm scripts and scripts/ci (no logic in YAML)", () => {
        for (const [name, job] of gitlabJobs(gitlab())) {
            for (const key of ["before_script", "script", "after_script"]) {
                for (const line of scriptLines(job, key)) {
                    assert.match(line.trim(), THIN, `${name}.${key}: ${line}`);
                }
            }
        }
    });
});

describe("npm scripts", () => {
    const called = (text: string): Set<string> =>
        new Set(Array.from(text.matchAll(/npm run (?:--silent )?([a-z][a-z:-]*)/g), (m) => m[1] as string));

    it("both forges call the same scripts (the comment step is forge-specific)", () => {
        const github = called(
            workflowFiles()
                .filter((f) => !isAppTemplate(f))
                .map((f) => readFileSync(f, "utf8"))
                .join("\n"),
        );
        const gitlabCalls = called(readFileSync(join(ROOT, ".gitlab-ci.yml"), "utf8"));
        github.delete("preview:comment");
        gitlabCalls.delete("preview:note");
        assert.deepEqual([...github].sort(), [...gitlabCalls].sort());
    });

    it("package.json declares every script the pipelines call (scripts/ci/npm-scripts.json)", () => {
        const declared = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Yaml }).scripts;
        const expected = expectedNpmScripts();
        const allCalls = called(
            [...workflowFiles(), join(ROOT, ".gitlab-ci.yml")].map((f) => readFileSync(f, "utf8")).join("\n"),
        );
        for (const name of allCalls) {
            assert.ok(name in expected || name in declared, `the pipelines call npm run ${name}, defined nowhere`);
        }
        const missing = Object.entries(expected).filter(([name, command]) => declared[name] !== command);
        assert.deepEqual(
            missing,
            [],
            `package.json lacks these scripts (add them as they are in scripts/ci/npm-scripts.json):\n` +
                missing.map(([name, command]) => `    "${name}": "${command}",`).join("\n"),
        );
    });
});
