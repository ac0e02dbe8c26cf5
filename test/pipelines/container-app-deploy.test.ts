/**
 * The staging deploy job of templates/gitlab/container-app.yml, run on this machine: the script
 * gitlab-ci-local renders for `container-app:deploy-staging` (its `--preview`, inputs interpolated)
 * runs with bash against a copy of this repository as the platform repository (a local git
 * repository reached over file://), the `local` stack brought up on a private control plane, and the
 * canary lab's nginx, Prometheus and backends standing in for live traffic (the local control plane
 * runs no real pods, so nothing there serves requests).
 *
 * Proves: the job checks out the platform repository at the pinned commit, `npm run canary --
 * promote` rolls the digest out through the stack's own config step by step against Prometheus and
 * promotes it, and the job commits the changed `Pulumi.local.yaml` on `deploy/local/<app>-<hex>`
 * and pushes it with the GitLab merge-request push options.
 *
 * Not run here, with the reason in the test output: `npm ci` (a registry download; the checkout
 * gets this repository's node_modules instead), and the image is a fixed, well-formed digest, not
 * one pushed by the test (the app's image repository is the stack's in-cluster registry).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
    chmodSync,
    cpSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { isolatedEnv } from "../integration/engine";
import { applyRouter, CanaryLab, runScript } from "../canary/lab";
import { START_TRACK_SCRIPT, trackEnvironment } from "../canary/fixture/track-scripts";
import type { LoadGenerator } from "../canary/processes";
import { writeFixtureRepository } from "./container-app-fixture";
import { ciTools, ROOT, run, type Run } from "./tools";

const JOB = "container-app:deploy-staging";
const STACK = "local";
const APP = "storefront";
const IMAGE = "registry.platform-local.svc:5000/shop/storefront";
// A fixed digest: well-formed, of no image (the stack's registry is in-cluster, not reachable here).
const DIGEST = `sha256:${createHash("sha256").update("container-app deploy test").digest("hex")}`;
// Ports of the private control plane that no other test uses.
const CONTROL_PLANE = { apiserver: 30443, etcd: 30379 };
// The line of the job that installs the platform's dependencies from the registry.
const NPM_CI = "npm ci --no-audit --no-fund --loglevel=error";
const GIT_USER = { name: "app-pipeline", email: "app-pipeline@example.invalid" };

/** Tracked and untracked-but-not-ignored files, as a fresh clone of this repository would have them. */
async function projectFiles(): Promise<string[]> {
    const listed = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT });
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)));
}

async function git(cwd: string, ...args: string[]): Promise<string> {
    const result = await run("git", args, { cwd });
    assert.equal(result.code, 0, `git ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
}

/** The canary percentage of the app in a stack file (0 when none is set). */
function canaryPercent(stackFile: string): number {
    const doc = parseYaml(readFileSync(stackFile, "utf8")) as {
        config: Record<string, { name: string; canaryPercent?: number }[] | undefined>;
    };
    return doc.config["cicd-platform:apps"]?.find((a) => a.name === APP)?.canaryPercent ?? 0;
}

describe("the GitLab template's staging deploy job on the local stack", { timeout: 40 * 60 * 1000 }, () => {
    let work = "";
    let platform = "";
    let env: NodeJS.ProcessEnv = {};
    let controlPlane = "";
    let stackUp = false;
    let lab: CanaryLab | undefined;
    let load: LoadGenerator | undefined;
    let jobScript = "";
    let jobVariables: Record<string, string> = {};

    before(async () => {
        const tools = ciTools();
        work = mkdtempSync(join(tmpdir(), "container-app-deploy-"));
        ({ env, dir: controlPlane } = await isolatedEnv(CONTROL_PLANE));
        // The platform repository: this repository's files at one commit, as the job fetches it.
        platform = join(work, "platform");
        for (const file of await projectFiles()) {
            mkdirSync(dirname(join(platform, file)), { recursive: true });
            cpSync(join(ROOT, file), join(platform, file));
        }
        // The repository's local stack has a canary of another version in flight, which the command
        // rightly refuses to replace: the pinned commit is one where that canary was settled.
        // Removed as lines, so the file keeps its formatting and the job's diff is the command's alone.
        const stackFile = join(platform, `Pulumi.${STACK}.yaml`);
        const original = readFileSync(stackFile, "utf8");
        const settled = original.replace(/^ {6}canary(Version|Percent): .*\n/gm, "");
        assert.equal(
            original.split("\n").length - settled.split("\n").length,
            2,
            `Pulumi.${STACK}.yaml no longer has the canaryVersion and canaryPercent of ${APP}`,
        );
        writeFileSync(stackFile, settled);
        await git(platform, "init", "--quiet", "--initial-branch=main");
        await git(platform, "add", "--all");
        await git(
            platform,
            "-c",
            "user.name=platform",
            "-c",
            "user.email=platform@example.invalid",
            "commit",
            "-qm",
            "platform",
        );
        // What GitLab acts on: the pushed branch and its push options, recorded by the receiving side.
        await git(platform, "config", "receive.advertisePushOptions", "true");
        await git(platform, "config", "uploadpack.allowAnySHA1InWant", "true");
        const hook = join(platform, ".git", "hooks", "pre-receive");
        writeFileSync(
            hook,
            [
                "#!/bin/sh",
                'cat >>"$GIT_DIR/pushed-refs"',
                "i=0",
                'while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do',
                '    eval "printf \'%s\\n\' \\"\\$GIT_PUSH_OPTION_$i\\"" >>"$GIT_DIR/push-options"',
                "    i=$((i + 1))",
                "done",
                "",
            ].join("\n"),
        );
        chmodSync(hook, 0o755);
        const ref = await git(platform, "rev-parse", "HEAD");

        // The application repository that includes the template, pinned to that commit.
        const app = join(work, "app");
        writeFixtureRepository(app);
        const ci = readFileSync(join(app, ".gitlab-ci.yml"), "utf8")
            .replace(/^( {6}app: ).*$/m, `$1${APP}`)
            .replace(/^( {6}platform-repository: ).*$/m, `$1file://${platform}`)
            .replace(/^( {6}platform-ref: ).*$/m, `$1"${ref}"`)
            .concat(`      staging-stack: ${STACK}\n`);
        writeFileSync(join(app, ".gitlab-ci.yml"), ci);
        const home = join(work, "home");
        mkdirSync(home);
        const preview = await run(tools.gitlabCiLocal, ["--preview"], {
            cwd: app,
            env: { PATH: process.env.PATH, HOME: home, LANG: "C.UTF-8" },
            timeoutMs: 120_000,
        });
        assert.equal(preview.code, 0, preview.stderr);
        const job = (
            parseYaml(preview.stdout) as Record<string, { script: string[]; variables: Record<string, string> }>
        )[JOB];
        assert.ok(job !== undefined, `${JOB} is not in the rendered pipeline`);
        jobScript = job.script.join("\n");
        jobVariables = job.variables;
        assert.equal(jobVariables.STACK, STACK);
        assert.equal(jobVariables.APP, APP);

        // The stack as the pinned commit describes it, on the private control plane.
        const up = await run("bash", [join(platform, "scripts", "local"), "up"], {
            cwd: platform,
            env,
            timeoutMs: 20 * 60 * 1000,
        });
        assert.equal(up.code, 0, (up.stdout + up.stderr).slice(-4000));
        stackUp = true;

        lab = await CanaryLab.create();
        for (const track of ["stable", "canary"] as const) {
            await runScript(
                START_TRACK_SCRIPT,
                trackEnvironment({
                    stateDir: lab.settings.stateDir,
                    app: APP,
                    track,
                    version: track,
                    port: track === "stable" ? lab.settings.stablePort : lab.settings.canaryPort,
                    errorRatio: 0,
                    delayMs: 0,
                }),
            );
        }
        await applyRouter(lab, 0);
        load = lab.startLoad({ ratePerSecond: 40, maxRequests: 200_000, maxDurationMs: 30 * 60 * 1000 });
    });

    after(async () => {
        await load?.stop();
        await lab?.dispose();
        if (stackUp) {
            const down = await run("bash", [join(platform, "scripts", "local"), "down"], { cwd: platform, env });
            assert.equal(down.code, 0, down.stdout + down.stderr);
        }
        for (const dir of [work, controlPlane]) {
            if (dir !== "") {
                rmSync(dir, { recursive: true, force: true });
            }
        }
    });

    it("runs the canary with a FIXED digest (not a pushed image), commits the stack file naming it, pushes the MR branch", async (t) => {
        assert.ok(lab !== undefined);
        t.diagnostic(
            `not run here: \`${NPM_CI}\` (a registry download); the checkout links this repository's node_modules`,
        );
        t.diagnostic(
            `not run here: pushing an image; ${DIGEST} is a fixed digest, since ${IMAGE} is the stack's in-cluster registry`,
        );
        // The job's script as rendered, with the one line that needs the registry swapped: it must
        // be there exactly once, so a changed template fails here rather than passing unchecked.
        assert.equal(jobScript.split(NPM_CI).length, 2, `the job no longer runs \`${NPM_CI}\` once:\n${jobScript}`);
        const script = jobScript.replace(NPM_CI, `ln -s ${JSON.stringify(join(ROOT, "node_modules"))} node_modules`);
        const jobTmp = join(work, "job-tmp");
        mkdirSync(jobTmp);
        const jobEnv: Record<string, string> = {
            ...(env as Record<string, string>),
            ...jobVariables,
            TMPDIR: jobTmp,
            IMAGE_DIGEST: DIGEST,
            IMAGE_REFERENCE: `${IMAGE}@${DIGEST}`,
            PROMETHEUS_URL: lab.prometheus.url,
            PLATFORM_TOKEN: ["platform", "token", "of", "the", "test"].join("-"),
            GITLAB_USER_NAME: GIT_USER.name,
            GITLAB_USER_EMAIL: GIT_USER.email,
        };
        // The cluster's router has no traffic here: the lab's nginx follows the split the job's
        // checkout of the stack file asks for, as the router the stack deploys would.
        const follower = { running: true };
        let applied = 0;
        const percents: number[] = [];
        const follow = (async () => {
            while (follower.running) {
                const checkout = readdirSync(jobTmp)
                    .map((d) => join(jobTmp, d, "platform", `Pulumi.${STACK}.yaml`))
                    .find((f) => existsSync(f));
                if (checkout !== undefined) {
                    const percent = canaryPercent(checkout);
                    if (percent !== applied) {
                        await applyRouter(lab, percent);
                        applied = percent;
                        percents.push(percent);
                    }
                }
                await new Promise((resolve) => setTimeout(resolve, 200));
            }
        })();
        let result: Run;
        try {
            // As GitLab's shell executor runs a job's script: bash, stopping at the first failure.
            result = await run("bash", ["-c", `set -eo pipefail\n${script}`], {
                cwd: work,
                env: jobEnv,
                timeoutMs: 20 * 60 * 1000,
            });
        } finally {
            follower.running = false;
            await follow;
        }
        const output = `${result.stdout}${result.stderr}`;
        assert.equal(result.code, 0, `${output.slice(-6000)}\n${await lab.logs()}`);
        t.diagnostic(`router followed the stack file through ${percents.join(", ")}%`);
        // Every step of the stack's canary.steps was deployed before the promotion put it back to 0.
        assert.deepEqual(percents, [10, 25, 50, 75, 100, 0]);
        assert.match(output, /promoted/i);

        const branch = `deploy/${STACK}/${APP}-${DIGEST.slice("sha256:".length)}`;
        const diff = await git(platform, "diff", "main", branch, "--", `Pulumi.${STACK}.yaml`);
        // Promoted: the digest is the stable version and no canary is left; nothing else moved.
        const changedLines = diff.split("\n").filter((l) => /^[-+](?![-+])/.test(l));
        assert.deepEqual(
            changedLines,
            ['-      stableVersion: "1.0.0"', `+      stableVersion: "${DIGEST}"`, "+      canaryPercent: 0"],
            diff,
        );
        const changed = await git(platform, "diff", "--name-only", "main", branch);
        assert.equal(changed, `Pulumi.${STACK}.yaml`);
        const message = await git(platform, "log", "-1", "--format=%an <%ae>%n%s", branch);
        assert.equal(message, `${GIT_USER.name} <${GIT_USER.email}>\n${APP}: ${STACK} runs ${IMAGE}@${DIGEST}`);
        const options = readFileSync(join(platform, ".git", "push-options"), "utf8")
            .trim()
            .split("\n");
        assert.deepEqual(options, [
            "merge_request.create",
            "merge_request.target=main",
            "merge_request.remove_source_branch",
        ]);
        assert.match(
            readFileSync(join(platform, ".git", "pushed-refs"), "utf8"),
            new RegExp(`refs/heads/${branch}$`, "m"),
        );
    });
});
