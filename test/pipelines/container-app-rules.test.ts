/**
 * The rules of the application pipeline templates, on both forges:
 *  - actionlint (with shellcheck) is clean on the reusable workflow and on the deploy.yml the
 *    ApplicationRepository component writes; shellcheck is clean on every script block of the GitLab
 *    template;
 *  - every action is pinned by commit SHA and every default image by digest; no `latest`;
 *  - no password or token on a command line, no secret expanded into a script;
 *  - the stages are the same on both forges, deploys go through the deploy step (the canary
 *    command) and never edit live objects, production waits for the forge's approval and for the
 *    E2E job on staging;
 *  - the scanner versions are the ones scripts/ci/app-tools.env pins (and the tests run).
 * That the forges call the same step scripts with the same variables: forge-glue.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { renderDeployWorkflow } from "../../components";
import { checkedTool, TEMPLATE } from "./container-app-fixture";
import { ROOT, run } from "./tools";

type Yaml = Record<string, unknown>;
const asObject = (value: unknown): Yaml => (value ?? {}) as Yaml;

const WORKFLOW = join(ROOT, ".github", "workflows", "container-app.yml");
const workflowText = (): string => readFileSync(WORKFLOW, "utf8");
const workflow = (): Yaml => parseYaml(workflowText()) as Yaml;
const gitlabDocs = (): [Yaml, Yaml] => {
    const [spec, jobs] = readFileSync(TEMPLATE, "utf8").split(/^---$/m);
    return [parseYaml(spec ?? "") as Yaml, parseYaml(jobs ?? "") as Yaml];
};
const gitlabJobs = (): [string, Yaml][] =>
    Object.entries(gitlabDocs()[1]).filter(([name]) => !name.startsWith(".")) as [string, Yaml][];

/** Every shell line of both templates. */
function scripts(): string[] {
    const out: string[] = [];
    for (const job of Object.values(asObject(workflow().jobs))) {
        for (const step of (asObject(job).steps ?? []) as Yaml[]) {
            if (typeof step.run === "string") {
                out.push(step.run);
            }
        }
    }
    for (const job of Object.values(gitlabDocs()[1])) {
        for (const key of ["before_script", "script"]) {
            out.push(...((asObject(job)[key] ?? []) as string[]));
        }
    }
    return out;
}

function appToolPins(): Record<string, string> {
    const text = readFileSync(join(ROOT, "scripts", "ci", "app-tools.env"), "utf8");
    return Object.fromEntries([...text.matchAll(/^([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

describe("application pipeline templates", () => {
    let scratch = "";
    before(() => {
        scratch = mkdtempSync(join(tmpdir(), "container-app-rules-"));
    });
    after(() => {
        rmSync(scratch, { recursive: true, force: true });
    });

    it("actionlint and shellcheck are clean on the reusable workflow and the deploy.yml the stack writes", async () => {
        const actionlint = checkedTool("install-tools", "actionlint");
        const shellcheck = checkedTool("install-tools", "shellcheck");
        assert.ok(actionlint && shellcheck, "install them with: bash scripts/ci/install-tools");
        const caller = join(scratch, "deploy.yml");
        writeFileSync(
            caller,
            renderDeployWorkflow({
                platformRepository: "platform/cicd-platform",
                platformRef: "0123456789abcdef0123456789abcdef01234567",
                apps: [
                    { app: "api", image: "team-a/api" },
                    { app: "worker", image: "team-a/worker" },
                ],
            }),
        );
        const result = await run(actionlint, ["-color=false", "-shellcheck", shellcheck, WORKFLOW, caller]);
        assert.equal(result.code, 0, `actionlint:\n${result.stdout}${result.stderr}`);
    });

    it("shellcheck is clean on every script block of the GitLab template", async () => {
        const shellcheck = checkedTool("install-tools", "shellcheck");
        assert.ok(shellcheck, "install it with: bash scripts/ci/install-tools");
        const files: string[] = [];
        for (const [name, job] of Object.entries(gitlabDocs()[1])) {
            for (const key of ["before_script", "script"]) {
                const lines = (asObject(job)[key] ?? []) as string[];
                if (lines.length > 0) {
                    // Inputs are interpolated before the runner sees the script: stand in a value.
                    const text = lines.join("\n").replace(/\$\[\[ inputs\.[a-z-]+ \]\]/g, "input");
                    const file = join(scratch, `${name.replace(/\W/g, "_")}.${key}.sh`);
                    writeFileSync(file, `#!/usr/bin/env bash\nset -eo pipefail\n${text}\n`);
                    files.push(file);
                }
            }
        }
        assert.ok(files.length >= 7, files.join(", "));
        const result = await run(shellcheck, ["-s", "bash", ...files]);
        assert.equal(result.code, 0, `shellcheck:\n${result.stdout}${result.stderr}`);
    });

    it("pin every action by commit SHA and every default image by digest; nothing runs `latest`", () => {
        const uses = [...workflowText().matchAll(/uses: (\S+)/g)].map((m) => m[1] as string);
        assert.ok(uses.length >= 8);
        for (const ref of uses) {
            assert.match(ref, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, ref);
        }
        const inputs = asObject(asObject(gitlabDocs()[0].spec).inputs);
        for (const name of ["tools-image", "node-image"]) {
            const input = asObject(inputs[name]);
            assert.equal(input.regex, "^[^@\\s]+@sha256:[0-9a-f]{64}$", `${name} must only take digests`);
            if (typeof input.default === "string") {
                assert.match(input.default, /@sha256:[0-9a-f]{64}$/, name);
            }
        }
        assert.doesNotMatch(readFileSync(TEMPLATE, "utf8") + workflowText(), /:latest\b|@master\b|@main\b/);
    });

    it("put no password or token on a command line and expand no secret into a script", () => {
        for (const script of scripts()) {
            assert.doesNotMatch(script, /\$\{\{\s*secrets\./, script);
            assert.doesNotMatch(script, /--password[ =]/, script);
            assert.doesNotMatch(script.replace(/\\\n\s*/g, " "), /\blogin\b.*\s-p\s/, script);
            assert.doesNotMatch(script, /--(creds|registry-password)\b/, script);
            for (const login of script.replace(/\\\n\s*/g, " ").match(/^.*\blogin\b.*$/gm) ?? []) {
                assert.match(login, /--password-stdin/, login);
            }
        }
    });

    it("run the same stages on both forges, deploy through the canary command, gate production", () => {
        const gh = asObject(workflow().jobs);
        const gl = Object.fromEntries(gitlabJobs());
        assert.deepEqual(Object.keys(gh), [
            "secret-scan",
            "build",
            "verify",
            "deploy-staging",
            "e2e-staging",
            "deploy-production",
        ]);
        assert.deepEqual(Object.keys(gl).sort(), [
            "container-app:build",
            "container-app:deploy-production",
            "container-app:deploy-staging",
            "container-app:e2e-staging",
            "container-app:publish",
            "container-app:sbom",
            "container-app:secret-scan",
            "container-app:test",
            "container-app:verify",
            "container-app:vulnerability-scan",
        ]);
        const steps = ((asObject(gh.build).steps ?? []) as Yaml[]).map((s) => `${String(s.name)} ${String(s.uses)}`);
        for (const stage of [/Build/, /Test inside/, /SARIF/, /upload-sarif/, /SBOM/, /Push by digest/]) {
            assert.ok(
                steps.some((s) => stage.test(s)),
                `build job lacks ${String(stage)}: ${steps.join(" | ")}`,
            );
        }
        const text = readFileSync(TEMPLATE, "utf8") + workflowText();
        assert.doesNotMatch(text, /kubectl/);
        for (const script of [scripts().join("\n")]) {
            assert.equal(
                script.match(/ci\/steps\/deploy/g)?.length,
                3,
                "two GitHub deploy jobs, one GitLab, each through the release stack's deploy step",
            );
        }
        assert.match(readFileSync(join(ROOT, "ci", "steps", "deploy"), "utf8"), /canary -- promote/);
        assert.equal(asObject(gh["deploy-production"]).environment, "${{ inputs.production-stack }}");
        assert.deepEqual(asObject(gh["deploy-production"]).needs, ["build", "deploy-staging", "e2e-staging"]);
        for (const job of ["deploy-staging", "deploy-production"]) {
            assert.deepEqual(asObject(asObject(gh[job]).concurrency), {
                group: `release-\${{ inputs.app }}-\${{ inputs.${job === "deploy-staging" ? "staging" : "production"}-stack }}`,
                "cancel-in-progress": false,
            });
        }
        const production = asObject(gl["container-app:deploy-production"]);
        assert.deepEqual(asObject(production.environment).deployment_tier, "production");
        // Free: a manual start; the approval-rules input (Premium's protected environments) removes it.
        assert.deepEqual(production.rules, [
            { if: "$CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH", when: "never" },
            { if: '"$[[ inputs.production-approval-rules ]]" == "true"' },
            { when: "manual", allow_failure: false },
        ]);
        assert.equal(production.resource_group, "$[[ inputs.app ]]-$[[ inputs.production-stack ]]");
        assert.equal(
            asObject(gl["container-app:deploy-staging"]).resource_group,
            "$[[ inputs.app ]]-$[[ inputs.staging-stack ]]",
        );
        assert.deepEqual(production.needs, [
            "container-app:deploy-staging",
            "container-app:publish",
            { job: "container-app:e2e-staging", optional: true },
        ]);
        // Merge/pull requests build, test and scan; only the default branch pushes and signs.
        for (const job of ["container-app:publish", "container-app:verify"]) {
            assert.deepEqual(asObject(gl[job]).rules, [{ if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" }], job);
        }
        const push = ((asObject(gh.build).steps ?? []) as Yaml[]).find((s) => s.id === "publish");
        assert.equal(push?.if, "github.event_name == 'push'");
        assert.equal(asObject(gh.verify).if, "github.event_name == 'push'");
        assert.deepEqual(asObject(gl["container-app:publish"]).needs, [
            "container-app:build",
            "container-app:test",
            "container-app:secret-scan",
            "container-app:vulnerability-scan",
            "container-app:sbom",
        ]);
    });

    it("run the scanner versions scripts/ci/app-tools.env pins, on every forge", () => {
        const pins = appToolPins();
        // The secret scan's versions live in its step script, which every forge runs.
        const step = readFileSync(join(ROOT, "ci", "steps", "secret-scan"), "utf8");
        assert.match(step, new RegExp(`^SECRETLINT_VERSION=${pins.SECRETLINT_VERSION ?? "?"}$`, "m"));
        assert.match(step, new RegExp(`^SECRETLINT_PRESET_VERSION=${pins.SECRETLINT_PRESET_VERSION ?? "?"}$`, "m"));
        const lock = JSON.parse(readFileSync(join(ROOT, "scripts", "ci", "secretlint", "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
        };
        assert.deepEqual(lock.dependencies, {
            "@secretlint/secretlint-rule-preset-recommend": pins.SECRETLINT_PRESET_VERSION,
            secretlint: pins.SECRETLINT_VERSION,
        });
        assert.match(workflowText(), new RegExp(`cosign-release: v${pins.COSIGN_VERSION ?? "?"}\\n`));
        assert.match(workflowText(), new RegExp(`syft-version: v${pins.SYFT_VERSION ?? "?"}\\n`));
    });
});
