/**
 * The world release-deploy.test.ts deploys into: a private control plane running the local stack,
 * a platform repository at two commits, an application repository per app, and a canary lab per
 * app under load. The cases share it because bringing it up is most of the file's time.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { applyRouter, CanaryLab, runScript } from "../canary/lab";
import { START_TRACK_SCRIPT, STOP_TRACK_SCRIPT } from "../canary/fixture/track-scripts";
import { isolatedEnv } from "../support/engine";
import {
    A,
    type AppSide,
    B,
    C,
    clusterCanaryPercent,
    clusterGreenPercent,
    ENVIRONMENT,
    git,
    labTrack,
} from "./release-deploy-apps";
import { deploy, deployInResourceGroups, headerVariables, type JobSite, renderJob } from "./release-deploy-job";
import { ROOT, run } from "./tools";

// Ports of the private control plane that no other test uses.
const CONTROL_PLANE = { apiserver: 14443, etcd: 14379 };

/** Tracked and untracked-but-not-ignored files, as a fresh clone of this repository would have them. */
async function projectFiles(): Promise<string[]> {
    const listed = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT });
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)));
}

function stackFile(side: AppSide, stable: string): string {
    return [
        `# ${side.app} in ${ENVIRONMENT}: the release stack of tenant ${side.tenant}, recorded by the deploy job.`,
        "config:",
        `  cicd-release:environment: ${ENVIRONMENT}`,
        `  cicd-release:namespace: ${side.namespace}`,
        "  cicd-release:canary:",
        `    name: ${side.app}`,
        `    image: ${side.pullPrefix.split("/")[0]}/${side.image}`,
        `    stableVersion: "${stable}"`,
        "    replicas: 2",
        "",
    ].join("\n");
}

export class DeployWorld {
    env: NodeJS.ProcessEnv = {};
    readonly refs = { older: "", newer: "" };
    gitlabCiLocal = "";
    private work = "";
    private controlPlane = "";
    private platform = "";
    private headerNames = new Set<string>();

    async setUp(): Promise<void> {
        const check = await run("bash", [
            join(ROOT, "scripts/ci/install-tools"),
            "--check",
            "--only",
            "gitlab-ci-local",
        ]);
        assert.equal(check.code, 0, `install it with: bash scripts/ci/install-tools\n${check.stderr}`);
        // One line a tool: `gitlab-ci-local <path>`, then the rsync it copies checkouts with.
        const line = check.stdout.split("\n").find((l) => l.startsWith("gitlab-ci-local ")) ?? "";
        this.gitlabCiLocal = line.split(" ")[1] ?? "";
        this.headerNames = headerVariables(
            readFileSync(join(ROOT, "templates", "gitlab", "container-app.yml"), "utf8"),
        );
        for (const name of [
            "TENANT_KUBECONFIG",
            "TENANT_STATE_BACKEND",
            "TENANT_PULL_PREFIX",
            "RELEASE_PASSPHRASE",
            "RELEASE_PUSH_TOKEN",
        ]) {
            assert.ok(
                this.headerNames.has(name),
                `the template's header does not list ${name}: ${[...this.headerNames].join(", ")}`,
            );
        }

        this.work = mkdtempSync(join(tmpdir(), "release-deploy-"));
        ({ env: this.env, dir: this.controlPlane } = await isolatedEnv(CONTROL_PLANE));
        await this.commitPlatform();

        // The operator's side: the local stack (its tenants) and the demo release stacks.
        const up = await run("bash", [join(this.platform, "scripts", "local"), "up"], {
            cwd: this.platform,
            env: this.env,
            timeoutMs: 30 * 60 * 1000,
        });
        assert.equal(up.code, 0, (up.stdout + up.stderr).slice(-6000));
        const output = async (name: string, secret = false): Promise<unknown> => {
            const out = await run(
                "pulumi",
                ["stack", "output", "--stack", "local", "--json", ...(secret ? ["--show-secrets"] : []), name],
                { cwd: this.platform, env: this.env },
            );
            assert.equal(out.code, 0, out.stderr);
            return JSON.parse(out.stdout);
        };
        const settings = (await output("releaseSettings")) as {
            tenants: Record<
                string,
                { namespace: string; stateBackend: string; registryPullServer: string; registryPrefix: string }
            >;
        };
        const kubeconfigs = (await output("tenantKubeconfigs", true)) as Record<string, string>;
        for (const side of [A, B, C]) {
            const tenant = settings.tenants[side.tenant];
            assert.ok(tenant, `the local stack has no tenant ${side.tenant}`);
            side.namespace = tenant.namespace;
            side.backend = tenant.stateBackend;
            side.pullPrefix = `${tenant.registryPullServer}/${tenant.registryPrefix}`;
            // GitLab hands a file variable to the job as the path of a file with its content.
            side.kubeconfig = join(this.work, `${side.tenant}.kubeconfig`);
            writeFileSync(side.kubeconfig, kubeconfigs[side.tenant] ?? "", { mode: 0o600 });
            await this.createApplicationRepository(side);

            side.lab = await CanaryLab.create();
            for (const track of ["stable", "canary"] as const) {
                await runScript(START_TRACK_SCRIPT, labTrack(side, track));
            }
            await applyRouter(side.lab, 0);
            side.load = side.lab.startLoad({ ratePerSecond: 40, maxRequests: 500_000, maxDurationMs: 50 * 60 * 1000 });
        }
    }

    async tearDown(): Promise<void> {
        for (const side of [A, B, C]) {
            await side.load?.stop();
            // The lab stops its own tracks; the blue-green app's run under the colours' names.
            if (side === C && side.lab !== undefined) {
                for (const track of ["stable", "canary"] as const) {
                    await runScript(STOP_TRACK_SCRIPT, labTrack(side, track)).catch(() => undefined);
                }
            }
            await side.lab?.dispose();
        }
        // The control plane and every backend are this file's own and go with its directory, so the
        // stacks are not destroyed first (local-stack.test.ts proves `scripts/local down`).
        const cp = join(this.platform, "scripts", "control-plane", "cp");
        if (this.platform !== "" && existsSync(cp)) {
            const stop = await run("bash", [cp, "stop"], {
                cwd: this.platform,
                env: this.env,
                timeoutMs: 5 * 60 * 1000,
            });
            assert.equal(stop.code, 0, stop.stdout + stop.stderr);
        }
        for (const dir of [this.work, this.controlPlane]) {
            if (dir !== "") rmSync(dir, { recursive: true, force: true });
        }
    }

    renderJob(side: AppSide, ref: string, extraInputs: string[] = []) {
        return renderJob(this.site(), side, ref, extraInputs);
    }

    deploy(side: AppSide, ref: string, imageDigest: string) {
        return deploy(this.site(), side, ref, imageDigest);
    }

    deployInResourceGroups(deploys: { side: AppSide; ref: string; digest: string }[]) {
        return deployInResourceGroups(this.site(), deploys);
    }

    /** Keeps each lab's router on the weights the release's router ConfigMap asks for, while `body` runs. */
    async withRouters<T>(body: () => Promise<T>): Promise<{ value: T; percents: Record<string, number[]> }> {
        const state = { running: true };
        const percents: Record<string, number[]> = { [A.app]: [], [B.app]: [], [C.app]: [] };
        const followers = [A, B, C].map(async (side) => {
            let applied = 0;
            while (state.running) {
                const percent =
                    side === C ? await clusterGreenPercent(this.env, side) : await clusterCanaryPercent(this.env, side);
                if (percent !== undefined && percent !== applied && side.lab !== undefined) {
                    await applyRouter(side.lab, percent);
                    applied = percent;
                    percents[side.app]?.push(percent);
                }
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
        });
        try {
            return { value: await body(), percents };
        } finally {
            state.running = false;
            await Promise.all(followers);
        }
    }

    private site(): JobSite {
        return {
            work: this.work,
            platform: this.platform,
            gitlabCiLocal: this.gitlabCiLocal,
            headerNames: this.headerNames,
        };
    }

    /** The platform repository at two commits: B deploys from the newer, A from the older. */
    private async commitPlatform(): Promise<void> {
        const platform = join(this.work, "platform");
        this.platform = platform;
        for (const file of await projectFiles()) {
            mkdirSync(dirname(join(platform, file)), { recursive: true });
            cpSync(join(ROOT, file), join(platform, file));
        }
        // Two canary steps instead of the demo's five: each step is an `up` and its analysis windows,
        // and nothing this file proves depends on how many steps there are. The windows keep the
        // demo's 5 s: the labs' routers follow the cluster's ConfigMaps by polling the API server,
        // and under load the first window of a step can pass before they do.
        const localStackFile = join(platform, "Pulumi.local.yaml");
        const demoSteps = "    steps: [10, 25, 50, 75, 100]\n";
        assert.ok(readFileSync(localStackFile, "utf8").includes(demoSteps), "Pulumi.local.yaml's canary steps moved");
        writeFileSync(
            localStackFile,
            readFileSync(localStackFile, "utf8").replace(demoSteps, "    steps: [50, 100]\n"),
        );
        // The operator's checkout has its packages installed already; the deploy jobs install their
        // own in the platform checkout they fetch (ci/steps/deploy, from the runner's cache), as shipped.
        for (const modules of ["node_modules", join("policy", "node_modules")]) {
            symlinkSync(join(ROOT, modules), join(platform, modules));
        }
        await git(platform, "init", "--quiet", "--initial-branch=main");
        await git(platform, "config", "uploadpack.allowAnySHA1InWant", "true");
        await git(platform, "add", "--all");
        const commit = (message: string) =>
            git(
                platform,
                "-c",
                "user.name=platform",
                "-c",
                "user.email=platform@example.invalid",
                "commit",
                "-qm",
                message,
            );
        await commit("platform, the older release");
        // The jobs' checkouts must install their packages themselves, as a runner's do: the links
        // above are the operator's work tree only (ignored, as every node_modules is).
        assert.equal(await git(platform, "ls-files", "node_modules", "policy/node_modules"), "");
        this.refs.older = await git(platform, "rev-parse", "HEAD");
        writeFileSync(join(platform, "CHANGELOG.test"), "a newer platform release\n");
        await git(platform, "add", "CHANGELOG.test");
        await commit("platform, the newer release");
        this.refs.newer = await git(platform, "rev-parse", "HEAD");
    }

    /**
     * The application's repository: the template included at the older platform commit (B's
     * deploys render it at the newer one), and its release stack file.
     */
    private async createApplicationRepository(side: AppSide): Promise<void> {
        const work = this.work;
        side.origin = join(work, `${side.app}.git`);
        await git(work, "init", "--quiet", "--bare", "--initial-branch=main", side.origin);
        const tree = join(work, `${side.app}-init`);
        mkdirSync(join(tree, "deploy"), { recursive: true });
        const initial =
            side === B
                ? stackFile(side, "3.0.0")
                : readFileSync(join(this.platform, "release", `Pulumi.${side.app}-local.yaml`), "utf8");
        // The blue-green app watches 10 s instead of the default minute (room for its lab's router
        // to follow the switch and still count the default 50 requests at 40 a second), and does
        // not wait to drain: the lab's colours are its own processes, which the cluster's
        // scale-down does not stop.
        const gates = "    gateIntervalSeconds: 2\n";
        assert.ok(side !== C || initial.includes(gates), "the checkout's release stack file changed shape");
        writeFileSync(
            join(tree, "deploy", `Pulumi.${side.app}-${ENVIRONMENT}.yaml`),
            side === C
                ? initial.replace(gates, `${gates}    watch:\n      seconds: 10\n      drainSeconds: 0\n`)
                : initial,
        );
        writeFileSync(join(tree, ".gitlab-ci.yml"), "# replaced per deploy by includeAt()\n");
        await git(tree, "init", "--quiet", "--initial-branch=main");
        await git(tree, "add", "--all");
        await git(
            tree,
            "-c",
            "user.name=team",
            "-c",
            "user.email=team@example.invalid",
            "commit",
            "-qm",
            "release stack file",
        );
        await git(tree, "push", "--quiet", side.origin, "main");
    }
}
