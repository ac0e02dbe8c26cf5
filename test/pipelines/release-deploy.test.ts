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
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import {
    A,
    type AppSide,
    B,
    C,
    clusterGreenPercent,
    digest,
    ENVIRONMENT,
    git,
    objectVersions,
    record,
} from "./release-deploy-apps";
import { jobLog } from "./release-deploy-job";
import { DeployWorld } from "./release-deploy-world";
import { run, type Run } from "./tools";

describe("the GitLab template's deploy job on two tenants' release stacks", { timeout: 60 * 60 * 1000 }, () => {
    const world = new DeployWorld();

    before(() => world.setUp());

    after(() => world.tearDown());

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
        const { value: result, percents } = await world.withRouters(() =>
            world.deploy(B, world.refs.newer, DIGESTS.b1),
        );
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
        const before = await objectVersions(world.env, B.namespace);
        assert.ok(
            Object.keys(before).some((k) => k.startsWith("Deployment/")),
            JSON.stringify(before),
        );
        const {
            value: [result, blueGreen],
            percents,
        } = await world.withRouters(() =>
            Promise.all([world.deploy(A, world.refs.older, DIGESTS.a1), world.deploy(C, world.refs.newer, DIGESTS.c1)]),
        );
        blueGreenDeploy = { result: blueGreen, percents: percents[C.app] ?? [] };
        assert.equal(result.code, 0, `${jobLog(result)}\n${await A.lab?.logs()}`);
        assert.deepEqual(await objectVersions(world.env, B.namespace), before);
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
        assert.equal(await clusterGreenPercent(world.env, C), 100, "the live Service serves green");
    });

    it("A's credential is refused by the API server in B's namespace", async () => {
        const asA = { ...world.env, KUBECONFIG: A.kubeconfig };
        const canI = await run("kubectl", ["auth", "can-i", "create", "deployments", "-n", B.namespace], { env: asA });
        assert.equal(canI.stdout.trim(), "no");
        const get = await run("kubectl", ["get", "deployments", "-n", B.namespace], { env: asA });
        assert.notEqual(get.code, 0);
        assert.match(get.stderr, /forbidden/i);
        const own = await run("kubectl", ["auth", "can-i", "create", "deployments", "-n", A.namespace], { env: asA });
        assert.equal(own.stdout.trim(), "yes", "and allowed in its own");
    });

    it("A twice and B, started together: B runs beside A, A's two deploys one after the other (resource_group stand-in), all finish", async (t) => {
        const { value: results } = await world.withRouters(() =>
            world.deployInResourceGroups([
                { side: A, ref: world.refs.older, digest: DIGESTS.a2 },
                { side: A, ref: world.refs.older, digest: DIGESTS.a3 },
                { side: B, ref: world.refs.newer, digest: DIGESTS.b2 },
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
            const { dir } = await world.renderJob(A, world.refs.older, inputs);
            const list = await run(world.gitlabCiLocal, ["--list-json"], {
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
