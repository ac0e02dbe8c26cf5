/**
 * Faults on real processes during and between `up`s of the local stack: etcd restarted, the API
 * server killed mid-up, the `pulumi` CLI SIGKILLed mid-up (then the documented recovery:
 * scripts/repair-file-backend, `pulumi cancel`, scripts/recover-pending). Each case prints what the
 * fault did and counts what was lost, comparing the objects on the API server with the stack's state.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import {
    describeDrift,
    drift,
    killComponent,
    sessionMembers,
    startGroup,
    stopSession,
    waitForOutput,
    type Drift,
} from "./cluster-state";
import { isolatedEnv, policyFlags, ROOT, run, type Run } from "../support/engine";
import { addEnvironmentReleases } from "./environment-releases";

const STACK = "local";
const UP_TIMEOUT_MS = 240_000;

const say = (text: string): void => {
    process.stdout.write(`[fault] ${text}\n`);
};

const assertConverged = (d: Drift, what: string): void => {
    assert.deepEqual(d.orphaned, [], `${what}: objects on the server the state does not own`);
    assert.deepEqual(d.missing, [], `${what}: objects the state owns that the server lacks`);
    assert.deepEqual(d.duplicated, [], `${what}: objects owned twice`);
    assert.deepEqual(d.pending, [], `${what}: pending operations`);
};

/** The summary counts of an up (`+ 3 created`, `48 unchanged`...). */
const changes = (out: string): string =>
    [...out.matchAll(/^ {4}(?:[+~-] )?(\d+ (?:created|updated|deleted|replaced|unchanged|errored))$/gm)]
        .map((m) => m[1])
        .join(", ");

describe("faults during and between ups of the local stack", { timeout: 900_000 }, () => {
    // One control plane and one stack for every case, on purpose: bringing them up costs more than
    // the faults, and each case starts from the converged state the case before left.
    let env: NodeJS.ProcessEnv = {};
    let dir = "";
    let cpDir = "";
    let configFile = "";
    let policy: string[] = [];

    const flags = (): string[] => ["--stack", STACK, "--non-interactive", "--config-file", configFile];
    const pulumi = (args: string[]): Promise<Run> =>
        run("pulumi", [...args, ...flags()], env, { timeoutMs: UP_TIMEOUT_MS });
    const upArgs = (): string[] => ["up", "--yes", "--skip-preview", ...flags(), ...policy];
    const up = (): Promise<Run> => run("pulumi", upArgs(), env, { timeoutMs: UP_TIMEOUT_MS });
    const addApp = async (index: number, name: string): Promise<void> => {
        for (const [key, value] of [
            ["name", name],
            ["image", `registry.platform-local.svc:5000/shop/${name}`],
            ["stableVersion", "1.0.0"],
            ["canaryVersion", "1.1.0"],
        ] as const) {
            const set = await run(
                "pulumi",
                ["config", "set", "--path", `cicd-platform:apps[${index}].${key}`, value, ...flags()],
                env,
            );
            assert.equal(set.code, 0, set.stderr);
        }
    };
    /** The next up after a fault: it must succeed, then a preview must find nothing to change. */
    const converge = async (what: string): Promise<Drift> => {
        const next = await up();
        assert.equal(next.code, 0, `${what}: the next up failed\n${next.stdout.slice(-4000)}${next.stderr}`);
        say(`${what}: next up: ${changes(next.stdout)}`);
        const preview = await pulumi(["preview", "--expect-no-changes", ...policy]);
        assert.equal(preview.code, 0, `${what}: changes left after the next up\n${preview.stdout.slice(-3000)}`);
        const d = await drift(env, STACK);
        say(`${what}: after the next up: ${describeDrift(d)}`);
        assertConverged(d, what);
        return d;
    };

    before(async () => {
        ({ env, dir } = await isolatedEnv({ apiserver: 29443, etcd: 29379 }));
        cpDir = env.CICD_CP_DIR ?? "";
        configFile = join(dir, "Pulumi.local.yaml");
        copyFileSync(join(ROOT, "Pulumi.local.yaml"), configFile);
        addEnvironmentReleases(configFile);
        const start = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 600_000 });
        assert.equal(start.code, 0, start.stderr);
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        const select = await run("pulumi", ["stack", "select", "--create", STACK, "--non-interactive"], env);
        assert.equal(select.code, 0, select.stderr);
        policy = await policyFlags(STACK, env);
        const first = await up();
        assert.equal(first.code, 0, first.stdout.slice(-4000) + first.stderr);
        say(`first up: ${changes(first.stdout)}`);
        assertConverged(await drift(env, STACK), "first up");
    });

    after(async () => {
        if (dir) {
            const stop = await run("bash", ["scripts/control-plane/cp", "stop"], env);
            assert.equal(stop.code, 0, stop.stderr);
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("etcd restarted between two ups: the second up changes nothing and nothing is lost", async () => {
        const before = await drift(env, STACK);
        const pid = await killComponent(cpDir, "etcd", "SIGTERM");
        say(`etcd (pid ${pid}) stopped with TERM`);
        const restart = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 300_000 });
        assert.equal(restart.code, 0, restart.stderr);
        assert.match(restart.stderr, /not running: .*etcd/);
        say("etcd restarted by cp start on the same data directory");

        const next = await up();
        assert.equal(next.code, 0, next.stdout.slice(-4000) + next.stderr);
        say(`etcd restart: next up: ${changes(next.stdout)}`);
        assert.doesNotMatch(next.stdout, /\d+ (created|updated|deleted|replaced)$/m, "the second up changed something");
        const d = await drift(env, STACK);
        say(`etcd restart: ${describeDrift(d)}`);
        assertConverged(d, "etcd restart");
        assert.equal(d.owned, before.owned, "objects lost across the restart");
    });

    it("kube-apiserver killed during an up and restarted: the next up converges, nothing duplicated or orphaned", async () => {
        await addApp(1, "pricing");
        const upRun = startGroup("pulumi", upArgs(), env);
        // Kill it once the new app's first object exists, while the rest are still being created.
        await waitForOutput(upRun, /kubernetes:\S+ pricing\S* created/, UP_TIMEOUT_MS);
        const pid = await killComponent(cpDir, "kube-apiserver", "SIGKILL");
        const createdBefore = (upRun.output.match(/ created \(/g) ?? []).length;
        say(`kube-apiserver (pid ${pid}) SIGKILLed after ${createdBefore} creates of this up`);
        const restart = await run("bash", ["scripts/control-plane/cp", "start"], env, { timeoutMs: 300_000 });
        assert.equal(restart.code, 0, restart.stderr);
        say("kube-apiserver restarted by cp start");
        const code = await upRun.exited;
        const errored = upRun.output.match(/^ {4}error: .*$/gm) ?? [];
        say(`the interrupted up exited ${String(code)}: ${changes(upRun.output)}; ${errored.length} errors`);
        for (const line of errored) {
            say(`  ${line.trim().slice(0, 220)}`);
        }
        const during = await drift(env, STACK);
        say(`after the interrupted up: ${describeDrift(during)}`);
        // The engine records a create the server did not answer as failed, not as pending: no
        // operation is left to explain.
        assert.deepEqual(during.pending, [], "pending operations after the API server's death");

        await converge("kube-apiserver kill");
    });

    it("the pulumi CLI SIGKILLed during an up: scripts/recover-pending, then up, back to no changes", async () => {
        await addApp(2, "search");
        const upRun = startGroup("pulumi", upArgs(), env);
        await waitForOutput(upRun, /kubernetes:\S+ search\S* created/, UP_TIMEOUT_MS);
        process.kill(upRun.pid, "SIGKILL");
        const createdBefore = (upRun.output.match(/ created \(/g) ?? []).length;
        say(`pulumi (pid ${upRun.pid}) SIGKILLed after ${createdBefore} creates of this up`);
        // Its language host, program and plugins (the kubernetes provider, the dynamic provider) run
        // on in its session, each plugin in a process group of its own: count them, then stop every
        // group of the session (they are processes this test started).
        await new Promise((r) => setTimeout(r, 1000));
        say(`processes of the killed pulumi still running after 1 s: ${sessionMembers(upRun.pid).length}`);
        await stopSession(upRun.pid);
        await upRun.exited;
        assert.deepEqual(sessionMembers(upRun.pid), [], "processes of the killed pulumi left running");

        // The recovery's first step: a kill that lands while the backend writes a file's sidecar
        // leaves it unreadable, and then every command fails (`failed to load checkpoint: EOF`).
        const repair = await run("bash", ["scripts/repair-file-backend"], env);
        assert.equal(repair.code, 0, repair.stdout + repair.stderr);
        for (const line of repair.stdout.split("\n").filter((l) => l.startsWith("[repair-backend]"))) {
            say(`  ${line}`);
        }

        const during = await drift(env, STACK);
        say(`after the kill: ${describeDrift(during)}`);
        assert.ok(
            during.pending.length > 0,
            "a SIGKILL mid-up leaves pending operations (else the fault was not mid-up)",
        );

        const locked = await pulumi(["refresh", "--yes"]);
        assert.notEqual(locked.code, 0, "the dead process's lock holds");
        assert.match(locked.stderr, /currently locked by 1 lock/);
        const cancel = await run("pulumi", ["cancel", "--yes", "--stack", STACK, "--non-interactive"], env);
        assert.equal(cancel.code, 0, cancel.stderr);
        say("the dead process's lock removed with pulumi cancel");

        const recover = await run("bash", ["scripts/recover-pending", STACK, "--config-file", configFile], env, {
            timeoutMs: UP_TIMEOUT_MS,
        });
        assert.equal(recover.code, 0, recover.stdout.slice(-4000) + recover.stderr);
        for (const line of recover.stdout.split("\n").filter((l) => l.startsWith("[recover]"))) {
            say(`  ${line}`);
        }
        const settled = await drift(env, STACK);
        assert.deepEqual(settled.pending, [], "recover-pending left pending operations");
        // What the killed up created is now owned: nothing on the server is left without an owner.
        assert.deepEqual(settled.orphaned, [], "objects the recovery did not adopt");

        await converge("pulumi SIGKILL");
    });
});
