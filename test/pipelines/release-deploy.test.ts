/**
 * The GitLab template's deploy job, run as shipped, on two tenants' release stacks: the local stack
 * (tenants shop and news, from the platform repository's Pulumi.local.yaml) on a private control
 * plane, app A (storefront, tenant shop) and app B (headlines, tenant news) each with an application
 * repository holding its release stack file (deploy/Pulumi.<app>-local.yaml) and the template
 * included at a pinned platform commit (a local git repository reached over file://).
 *
 * Each deploy is the script gitlab-ci-local renders for `container-app:deploy-staging` (inputs
 * interpolated; staging-stack is `local`), run with bash in a clone of the application repository
 * with exactly the variables the template's header lists (the tenant fan-out's and the team's), the
 * job's own variables, and GitLab's predefined ones it reads; nothing else: no toolchain on PATH (the
 * job installs it), no KUBECONFIG, no PULUMI_*, no image reference (the job computes it from the
 * pull prefix and the digest). The canary lab's nginx, Prometheus and backends stand in for live
 * traffic (the control plane's pods serve nothing); its router follows the weights the release
 * stack's router ConfigMap has on the API server.
 *
 * A third app, C (checkout, tenant shop), is the local stack's blue-green release: its deploy, run
 * beside A's first one, puts the digest on the idle colour and switches to it (the gates, then the
 * watch on the lab's Prometheus, where its colours are the lab's two backends).
 *
 * Proves: B's objects keep their resourceVersion through A's deploy from an older platform commit
 * (and C's beside it); A's credential is refused in B's namespace; A's and B's deploys started
 * together both finish; two deploys of A in one resource group run one after the other, the second
 * from the first's record; each promotion is committed to the application's default branch by the
 * job itself. The GitLab production job is manual, and not with the approval-rules input.
 *
 * A stand-in: GitLab's resource_group (gitlab-ci-local does not serialise by it): jobs whose rendered
 * resource_group is equal run one after another, others side by side, as GitLab's resource groups do.
 * Not run here: pushing an image (the digests are fixed; the cluster pulls nothing).
 */
// @serial: canary and blue-green deploys judged on latency (p95) in labs under load
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import { applyRouter, CanaryLab, runScript } from "../canary/lab";
import { START_TRACK_SCRIPT, STOP_TRACK_SCRIPT, trackEnvironment } from "../canary/fixture/track-scripts";
import type { LoadGenerator } from "../canary/processes";
import { isolatedEnv } from "../support/engine";
import { ROOT, run, type Run } from "./tools";

const JOB = "container-app:deploy-staging";
const ENVIRONMENT = "local";
// Ports of the private control plane that no other test uses.
const CONTROL_PLANE = { apiserver: 33443, etcd: 33379 };
const GIT_USER = { name: "app-pipeline", email: "app-pipeline@example.invalid" };
const digest = (what: string): string => `sha256:${createHash("sha256").update(what).digest("hex")}`;

interface AppSide {
    readonly app: string;
    readonly tenant: string;
    readonly image: string;
    readonly passphrase: string;
    /** The application's repository (bare, "GitLab's") and a work tree that commits to it. */
    origin: string;
    namespace: string;
    kubeconfig: string;
    backend: string;
    pullPrefix: string;
    lab?: CanaryLab;
    load?: LoadGenerator;
}

const A: AppSide = {
    app: "storefront",
    tenant: "shop",
    image: "shop/storefront",
    passphrase: "cicd-release-local-storefront",
    origin: "",
    namespace: "",
    kubeconfig: "",
    backend: "",
    pullPrefix: "",
};
/** A blue-green app of tenant A's team: the local stack's demo checkout, already a release stack there. */
const C: AppSide = {
    app: "checkout",
    tenant: "shop",
    image: "shop/checkout",
    passphrase: "cicd-release-local-checkout",
    origin: "",
    namespace: "",
    kubeconfig: "",
    backend: "",
    pullPrefix: "",
};
const B: AppSide = {
    app: "headlines",
    tenant: "news",
    image: "news/headlines",
    passphrase: "passphrase-of-the-news-team",
    origin: "",
    namespace: "",
    kubeconfig: "",
    backend: "",
    pullPrefix: "",
};

async function git(cwd: string, ...args: string[]): Promise<string> {
    const result = await run("git", args, { cwd });
    assert.equal(result.code, 0, `git ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
}

/** Tracked and untracked-but-not-ignored files, as a fresh clone of this repository would have them. */
async function projectFiles(): Promise<string[]> {
    const listed = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT });
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)));
}

/** The variable names the template's header lists (the lines `#   NAME (…) - …`, also `A, B, C - …`). */
function headerVariables(template: string): Set<string> {
    const header = template.slice(0, template.indexOf("\nspec:"));
    const names = new Set<string>();
    for (const line of header.split("\n")) {
        const match = /^#\s{3}([A-Z][A-Z0-9_]*(?:(?: \([^)]*\))?, [A-Z][A-Z0-9_]*)*)/.exec(line);
        for (const name of match?.[1]?.matchAll(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? []) {
            names.add(name[0]);
        }
    }
    return names;
}

/** GitLab's predefined variables the deploy job reads (GitLab sets them on every job). */
const PREDEFINED = ["CI_PROJECT_DIR", "CI_DEFAULT_BRANCH", "GITLAB_USER_NAME", "GITLAB_USER_EMAIL"];

/** PATH without this project's toolchain: the job installs its own. */
function runnerPath(): string {
    return (process.env.PATH ?? "")
        .split(delimiter)
        .filter((dir) => dir !== "" && !dir.includes("cicd-platform/toolchain"))
        .join(delimiter);
}

/** The canary share the release's router ConfigMap on the API server asks for (0 when it has no canary). */
async function clusterCanaryPercent(env: NodeJS.ProcessEnv, side: AppSide): Promise<number | undefined> {
    const deployments = await run(
        "kubectl",
        [
            "get",
            "deployments",
            "-n",
            side.namespace,
            "-l",
            `app=${side.app}-router,app.kubernetes.io/component=router`,
            "-o",
            "json",
        ],
        { env },
    );
    if (deployments.code !== 0) return undefined;
    const items = (
        JSON.parse(deployments.stdout) as {
            items: { spec: { template: { spec: { volumes?: { configMap?: { name: string } }[] } } } }[];
        }
    ).items;
    const configMap = items[0]?.spec.template.spec.volumes?.find((v) => v.configMap !== undefined)?.configMap?.name;
    if (configMap === undefined) return undefined;
    const conf = await run(
        "kubectl",
        ["get", "configmap", "-n", side.namespace, configMap, "-o", "jsonpath={.data.nginx\\.conf}"],
        { env },
    );
    if (conf.code !== 0) return undefined;
    const canary = /weight=(\d+)[^\n]*# canary/.exec(conf.stdout);
    return canary === null ? 0 : Number(canary[1]);
}

/** A failed job's story: the canary command's and the step's own lines, then the end of the rest. */
function jobLog(result: Run): string {
    const all = `${result.stdout}\n${result.stderr}`;
    const decisions = all.split("\n").filter((line) => /^\[(canary|switch|deploy|toolchain)\]/.test(line));
    return `${decisions.join("\n")}\n--- end of the job's output:\n${all.slice(-4000)}`;
}

/** 100 while the blue-green release's live Service serves green, 0 while blue: the lab's router follows. */
async function clusterGreenPercent(env: NodeJS.ProcessEnv, side: AppSide): Promise<number | undefined> {
    const service = await run(
        "kubectl",
        [
            "get",
            "service",
            "-n",
            side.namespace,
            side.app,
            "-o",
            "jsonpath={.metadata.annotations.cicd\\.platform/active-color}",
        ],
        { env },
    );
    if (service.code !== 0) return undefined;
    return service.stdout.trim() === "green" ? 100 : 0;
}

/** name → resourceVersion of every object a release creates in a namespace. */
async function objectVersions(env: NodeJS.ProcessEnv, namespace: string): Promise<Record<string, string>> {
    const out = await run(
        "kubectl",
        ["get", "deployments,services,configmaps,poddisruptionbudgets", "-n", namespace, "-o", "json"],
        { env },
    );
    assert.equal(out.code, 0, out.stderr);
    const items = (
        JSON.parse(out.stdout) as { items: { kind: string; metadata: { name: string; resourceVersion: string } }[] }
    ).items;
    return Object.fromEntries(items.map((i) => [`${i.kind}/${i.metadata.name}`, i.metadata.resourceVersion]));
}

/** The environment of a lab track's start and stop scripts for `side`. */
function labTrack(side: AppSide, track: "stable" | "canary"): Record<string, string> {
    const lab = side.lab;
    assert.ok(lab, `${side.app} has no lab`);
    return {
        ...trackEnvironment({
            stateDir: lab.settings.stateDir,
            app: side.app,
            track,
            version: track,
            port: track === "stable" ? lab.settings.stablePort : lab.settings.canaryPort,
            errorRatio: 0,
            delayMs: 0,
        }),
        // The blue-green app's colours: blue behind the lab's stable port, green its canary port.
        ...(side === C ? { TRACK: track === "stable" ? "blue" : "green" } : {}),
    };
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

describe("the GitLab template's deploy job on two tenants' release stacks", { timeout: 60 * 60 * 1000 }, () => {
    let work = "";
    let env: NodeJS.ProcessEnv = {};
    let controlPlane = "";
    let platform = "";
    const refs = { older: "", newer: "" };
    let gitlabCiLocal = "";
    let headerNames = new Set<string>();

    before(async () => {
        const check = await run("bash", [
            join(ROOT, "scripts/ci/install-tools"),
            "--check",
            "--only",
            "gitlab-ci-local",
        ]);
        assert.equal(check.code, 0, `install it with: bash scripts/ci/install-tools\n${check.stderr}`);
        // One line a tool: `gitlab-ci-local <path>`, then the rsync it copies checkouts with.
        const line = check.stdout.split("\n").find((l) => l.startsWith("gitlab-ci-local ")) ?? "";
        gitlabCiLocal = line.split(" ")[1] ?? "";
        headerNames = headerVariables(readFileSync(join(ROOT, "templates", "gitlab", "container-app.yml"), "utf8"));
        for (const name of [
            "TENANT_KUBECONFIG",
            "TENANT_STATE_BACKEND",
            "TENANT_PULL_PREFIX",
            "RELEASE_PASSPHRASE",
            "RELEASE_PUSH_TOKEN",
        ]) {
            assert.ok(
                headerNames.has(name),
                `the template's header does not list ${name}: ${[...headerNames].join(", ")}`,
            );
        }

        work = mkdtempSync(join(tmpdir(), "release-deploy-"));
        ({ env, dir: controlPlane } = await isolatedEnv(CONTROL_PLANE));
        // The platform repository at two commits: B deploys from the newer, A from the older.
        platform = join(work, "platform");
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
        // own in the platform checkout they fetch, as shipped.
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
        refs.older = await git(platform, "rev-parse", "HEAD");
        writeFileSync(join(platform, "CHANGELOG.test"), "a newer platform release\n");
        await git(platform, "add", "CHANGELOG.test");
        await commit("platform, the newer release");
        refs.newer = await git(platform, "rev-parse", "HEAD");

        // The operator's side: the local stack (its tenants) and the demo release stacks.
        const up = await run("bash", [join(platform, "scripts", "local"), "up"], {
            cwd: platform,
            env,
            timeoutMs: 30 * 60 * 1000,
        });
        assert.equal(up.code, 0, (up.stdout + up.stderr).slice(-6000));
        const output = async (name: string, secret = false): Promise<unknown> => {
            const out = await run(
                "pulumi",
                ["stack", "output", "--stack", "local", "--json", ...(secret ? ["--show-secrets"] : []), name],
                { cwd: platform, env },
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
            side.kubeconfig = join(work, `${side.tenant}.kubeconfig`);
            writeFileSync(side.kubeconfig, kubeconfigs[side.tenant] ?? "", { mode: 0o600 });

            // The application's repository: the template included at the older platform commit (B's
            // deploys render it at the newer one), and its release stack file.
            side.origin = join(work, `${side.app}.git`);
            await git(work, "init", "--quiet", "--bare", "--initial-branch=main", side.origin);
            const tree = join(work, `${side.app}-init`);
            mkdirSync(join(tree, "deploy"), { recursive: true });
            const initial =
                side === B
                    ? stackFile(side, "3.0.0")
                    : readFileSync(join(platform, "release", `Pulumi.${side.app}-local.yaml`), "utf8");
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

            side.lab = await CanaryLab.create();
            for (const track of ["stable", "canary"] as const) {
                await runScript(START_TRACK_SCRIPT, labTrack(side, track));
            }
            await applyRouter(side.lab, 0);
            side.load = side.lab.startLoad({ ratePerSecond: 40, maxRequests: 500_000, maxDurationMs: 50 * 60 * 1000 });
        }
    });

    after(async () => {
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
        const cp = join(platform, "scripts", "control-plane", "cp");
        if (platform !== "" && existsSync(cp)) {
            const stop = await run("bash", [cp, "stop"], {
                cwd: platform,
                env,
                timeoutMs: 5 * 60 * 1000,
            });
            assert.equal(stop.code, 0, stop.stdout + stop.stderr);
        }
        for (const dir of [work, controlPlane]) {
            if (dir !== "") rmSync(dir, { recursive: true, force: true });
        }
    });

    /** The deploy job of `side` as gitlab-ci-local renders it, with the platform at `ref`. */
    async function renderJob(
        side: AppSide,
        ref: string,
        extraInputs: string[] = [],
    ): Promise<{ script: string; variables: Record<string, string>; resourceGroup: string; dir: string }> {
        const dir = mkdtempSync(join(work, `${side.app}-render-`));
        mkdirSync(join(dir, "templates", "gitlab"), { recursive: true });
        cpSync(
            join(ROOT, "templates", "gitlab", "container-app.yml"),
            join(dir, "templates", "gitlab", "container-app.yml"),
        );
        const unpulled = (name: string) => `${name}.invalid/${name}@${digest(name)}`;
        writeFileSync(
            join(dir, ".gitlab-ci.yml"),
            [
                "include:",
                "  - local: templates/gitlab/container-app.yml",
                "    inputs:",
                `      image: ${side.image}`,
                `      app: ${side.app}`,
                `      platform-repository: file://${platform}`,
                `      platform-ref: "${ref}"`,
                `      staging-stack: ${ENVIRONMENT}`,
                `      tools-image: "${unpulled("tools")}"`,
                ...extraInputs.map((input) => `      ${input}`),
                "",
            ].join("\n"),
        );
        await git(dir, "init", "--quiet", "--initial-branch=main");
        await git(dir, "add", "--all");
        await git(dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "ci");
        mkdirSync(join(dir, ".home"));
        const preview = await run(gitlabCiLocal, ["--preview"], {
            cwd: dir,
            env: { PATH: process.env.PATH, HOME: join(dir, ".home"), LANG: "C.UTF-8" },
            timeoutMs: 120_000,
        });
        assert.equal(preview.code, 0, preview.stderr);
        const job = (
            parseYaml(preview.stdout) as Record<
                string,
                { script: string[]; variables: Record<string, string>; resource_group: string }
            >
        )[JOB];
        assert.ok(job !== undefined, `${JOB} is not in the rendered pipeline`);
        return { script: job.script.join("\n"), variables: job.variables, resourceGroup: job.resource_group, dir };
    }

    /** Runs a rendered deploy job for `side` with the digest the publish job would hand it. */
    async function deploy(
        side: AppSide,
        ref: string,
        imageDigest: string,
    ): Promise<Run & { started: number; finished: number }> {
        const job = await renderJob(side, ref);
        // GitLab's checkout of the pipeline's commit, origin = the project's repository.
        const checkout = mkdtempSync(join(work, `${side.app}-job-`));
        await git(work, "clone", "--quiet", side.origin, checkout);
        const jobEnv: Record<string, string> = {
            // The runner's shell.
            PATH: runnerPath(),
            HOME: process.env.HOME ?? "/root",
            LANG: "C.UTF-8",
            // The job's own variables, as rendered.
            ...job.variables,
            // GitLab's predefined variables the job reads.
            CI_PROJECT_DIR: checkout,
            CI_DEFAULT_BRANCH: "main",
            GITLAB_USER_NAME: GIT_USER.name,
            GITLAB_USER_EMAIL: GIT_USER.email,
            // The publish job's dotenv report.
            IMAGE_DIGEST: imageDigest,
            // What the header lists: the tenant fan-out's, the team's, the runner's cache.
            TENANT_KUBECONFIG: side.kubeconfig,
            TENANT_STATE_BACKEND: side.backend,
            TENANT_PULL_PREFIX: side.pullPrefix,
            RELEASE_PASSPHRASE: side.passphrase,
            RELEASE_PUSH_TOKEN: ["push", "token", "of", side.app].join("-"),
            PROMETHEUS_URL: side.lab?.prometheus.url ?? "",
            CICD_CACHE: process.env.CICD_CACHE ?? join(process.env.HOME ?? "/root", ".cache", "cicd-platform"),
        };
        const allowed = new Set([
            ...headerNames,
            ...Object.keys(job.variables),
            ...PREDEFINED,
            "IMAGE_DIGEST",
            "PATH",
            "HOME",
            "LANG",
        ]);
        assert.deepEqual(
            Object.keys(jobEnv).filter((name) => !allowed.has(name)),
            [],
            "a variable the header does not list",
        );
        const started = Date.now();
        // As GitLab's shell executor runs a job's script: bash, stopping at the first failure.
        const result = await run("bash", ["-c", `set -eo pipefail\n${job.script}`], {
            cwd: checkout,
            env: jobEnv,
            timeoutMs: 25 * 60 * 1000,
        });
        return { ...result, started, finished: Date.now() };
    }

    /**
     * Runs deploys as GitLab's resource groups would: equal groups one after another in the order the
     * jobs were created, others side by side (stand-in). The groups are rendered first, so the order
     * does not depend on which rendering finishes first.
     */
    async function deployInResourceGroups(deploys: { side: AppSide; ref: string; digest: string }[]) {
        const rendered = await Promise.all(deploys.map((d) => renderJob(d.side, d.ref)));
        const groups = new Map<string, Promise<unknown>>();
        const runs = deploys.map((d, index) => {
            const group = rendered[index]?.resourceGroup ?? "";
            const previous = groups.get(group) ?? Promise.resolve();
            const mine = previous.then(() => deploy(d.side, d.ref, d.digest));
            groups.set(
                group,
                mine.catch(() => undefined),
            );
            return mine.then((result) => ({ group, result }));
        });
        return Promise.all(runs);
    }

    /** Keeps each lab's router on the weights the release's router ConfigMap asks for, while `body` runs. */
    async function withRouters<T>(body: () => Promise<T>): Promise<{ value: T; percents: Record<string, number[]> }> {
        const state = { running: true };
        const percents: Record<string, number[]> = { [A.app]: [], [B.app]: [], [C.app]: [] };
        const followers = [A, B, C].map(async (side) => {
            let applied = 0;
            while (state.running) {
                const percent =
                    side === C ? await clusterGreenPercent(env, side) : await clusterCanaryPercent(env, side);
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

    /** The release stack file on the application's default branch, and its last commit's subject. */
    async function record(side: AppSide): Promise<{ stable: string; subject: string; subjects: string[] }> {
        const file = await git(side.origin, "show", `main:deploy/Pulumi.${side.app}-${ENVIRONMENT}.yaml`);
        const canary = (parseYaml(file) as { config: Record<string, { stableVersion?: string }> }).config[
            "cicd-release:canary"
        ];
        const subjects = (await git(side.origin, "log", "--format=%s", "main")).split("\n");
        return { stable: String(canary?.stableVersion), subject: subjects[0] ?? "", subjects };
    }

    const DIGESTS = {
        b1: digest("headlines 1"),
        a1: digest("storefront 1"),
        a2: digest("storefront 2"),
        a3: digest("storefront 3"),
        b2: digest("headlines 2"),
        c1: digest("checkout 1"),
    };
    const reference = (side: AppSide, d: string) => `${side.pullPrefix.split("/")[0]}/${side.image}@${d}`;

    it("B's first deploy (newer platform) creates its release stack in its tenant's backend and records the promotion", async (t) => {
        t.diagnostic("not run here: pushing an image; the digests are fixed (the cluster pulls nothing)");
        const { value: result, percents } = await withRouters(() => deploy(B, refs.newer, DIGESTS.b1));
        t.diagnostic(`router of ${B.app} followed ${percents[B.app]?.join(", ")}%`);
        assert.equal(result.code, 0, `${jobLog(result)}\n${await B.lab?.logs()}`);
        assert.match(result.stdout + result.stderr, /promoted/);
        const rec = await record(B);
        assert.equal(rec.stable, DIGESTS.b1);
        assert.equal(rec.subject, `${B.app}: ${ENVIRONMENT} runs ${reference(B, DIGESTS.b1)} [skip ci]`);
        assert.ok(existsSync(B.backend.replace(/^file:\/\//, "")), "the state is in the tenant's backend");
    });

    // C's deploy runs beside A's: both are tenant shop's, neither touches B, and the wait for one
    // deploy is most of this file's time. Its own checks are the next case's.
    let blueGreenDeploy: { result: Run; percents: number[] } | undefined;

    it("A's deploy from an OLDER platform commit, and C's beside it, leave every object of B at its resourceVersion", async () => {
        const before = await objectVersions(env, B.namespace);
        assert.ok(
            Object.keys(before).some((k) => k.startsWith("Deployment/")),
            JSON.stringify(before),
        );
        const {
            value: [result, blueGreen],
            percents,
        } = await withRouters(() =>
            Promise.all([deploy(A, refs.older, DIGESTS.a1), deploy(C, refs.newer, DIGESTS.c1)]),
        );
        blueGreenDeploy = { result: blueGreen, percents: percents[C.app] ?? [] };
        assert.equal(result.code, 0, `${jobLog(result)}\n${await A.lab?.logs()}`);
        assert.deepEqual(await objectVersions(env, B.namespace), before);
        const rec = await record(A);
        assert.equal(rec.stable, DIGESTS.a1);
        assert.equal(rec.subject, `${A.app}: ${ENVIRONMENT} runs ${reference(A, DIGESTS.a1)} [skip ci]`);
    });

    it("a blue-green app's deploy puts the digest on the idle colour, switches after the gates and the watch, and records it", async (t) => {
        assert.ok(blueGreenDeploy, "C's deploy runs beside A's, in the case before");
        const { result, percents } = blueGreenDeploy;
        t.diagnostic(`router of ${C.app} followed ${percents.join(", ")}%`);
        assert.equal(result.code, 0, `${jobLog(result)}\n${await C.lab?.logs()}`);
        assert.match(result.stdout + result.stderr, /switched/);
        const file = await git(C.origin, "show", `main:deploy/Pulumi.${C.app}-${ENVIRONMENT}.yaml`);
        const blueGreen = (
            parseYaml(file) as { config: Record<string, { active?: string; greenVersion?: string } | undefined> }
        ).config["cicd-release:blueGreen"];
        assert.ok(blueGreen, file);
        assert.equal(blueGreen.active, "green");
        assert.equal(blueGreen.greenVersion, DIGESTS.c1);
        const subject = (await git(C.origin, "log", "-1", "--format=%s", "main")).trim();
        assert.equal(subject, `${C.app}: ${ENVIRONMENT} runs ${reference(C, DIGESTS.c1)} [skip ci]`);
        assert.equal(await clusterGreenPercent(env, C), 100, "the live Service serves green");
    });

    it("A's credential is refused by the API server in B's namespace", async () => {
        const asA = { ...env, KUBECONFIG: A.kubeconfig };
        const canI = await run("kubectl", ["auth", "can-i", "create", "deployments", "-n", B.namespace], { env: asA });
        assert.equal(canI.stdout.trim(), "no");
        const get = await run("kubectl", ["get", "deployments", "-n", B.namespace], { env: asA });
        assert.notEqual(get.code, 0);
        assert.match(get.stderr, /forbidden/i);
        const own = await run("kubectl", ["auth", "can-i", "create", "deployments", "-n", A.namespace], { env: asA });
        assert.equal(own.stdout.trim(), "yes", "and allowed in its own");
    });

    it("A twice and B, started together: B runs beside A, A's two deploys one after the other (resource_group stand-in), all finish", async (t) => {
        const { value: results } = await withRouters(() =>
            deployInResourceGroups([
                { side: A, ref: refs.older, digest: DIGESTS.a2 },
                { side: A, ref: refs.older, digest: DIGESTS.a3 },
                { side: B, ref: refs.newer, digest: DIGESTS.b2 },
            ]),
        );
        const [a2, a3, b2] = results.map((r) => r.result);
        for (const [name, r] of [
            ["A 2", a2],
            ["A 3", a3],
            ["B 2", b2],
        ] as const) {
            assert.equal(r?.code, 0, `${name}: ${r === undefined ? "" : jobLog(r)}`);
        }
        assert.equal(results[0]?.group, `${A.app}-${ENVIRONMENT}`);
        assert.equal(results[2]?.group, `${B.app}-${ENVIRONMENT}`);
        assert.ok(a2 && a3 && b2);
        assert.ok(a3.started >= a2.finished, "A's second deploy started after its first finished");
        assert.ok(b2.started < a2.finished && b2.finished > a2.started, "B ran while A's first deploy ran");
        t.diagnostic(
            `A: ${a2.started}-${a2.finished}, then ${a3.started}-${a3.finished}; B: ${b2.started}-${b2.finished}`,
        );
        // The second deploy of A started from what the first recorded.
        assert.match(a3.stdout + a3.stderr, new RegExp(`-\\s+stableVersion: "?${DIGESTS.a2}`));
        const recA = await record(A);
        assert.equal(recA.stable, DIGESTS.a3);
        assert.deepEqual(recA.subjects.slice(0, 3), [
            `${A.app}: ${ENVIRONMENT} runs ${reference(A, DIGESTS.a3)} [skip ci]`,
            `${A.app}: ${ENVIRONMENT} runs ${reference(A, DIGESTS.a2)} [skip ci]`,
            `${A.app}: ${ENVIRONMENT} runs ${reference(A, DIGESTS.a1)} [skip ci]`,
        ]);
        assert.equal((await record(B)).stable, DIGESTS.b2);
    });

    it("GitLab production is manual (gitlab-ci-local lists it waiting); the approval-rules input removes the manual step", async () => {
        const when = async (inputs: string[]): Promise<string | undefined> => {
            const { dir } = await renderJob(A, refs.older, inputs);
            const list = await run(gitlabCiLocal, ["--list-json"], {
                cwd: dir,
                env: { PATH: process.env.PATH, HOME: join(dir, ".home"), LANG: "C.UTF-8" },
                timeoutMs: 120_000,
            });
            assert.equal(list.code, 0, list.stderr);
            const jobs = JSON.parse(list.stdout) as { name: string; when: string }[];
            return jobs.find((j) => j.name === "container-app:deploy-production")?.when;
        };
        assert.equal(await when([]), "manual");
        assert.equal(await when(["production-approval-rules: true"]), "on_success");
    });
});
