/**
 * The blue-green switch with a watch on real nginx, real Prometheus, real backend processes and real
 * load, deployed without the engine (FileConfigStack + blueGreenDeploy):
 * 1. a healthy green passes the watch; blue is stopped only after the watch passed and the drain;
 * 2. a green answering 5% with 5xx is switched back within one watch window plus one up; green is
 *    stopped only after the switch back and the drain;
 * 3. Prometheus stopped (by its recorded pid) once traffic is on green: the watch gets no data, holds
 *    one window (`maxNoDataIntervals` 1), then switches back; green stopped only after the drain;
 * and in all no client request fails because of a switch (proxy-made errors or connection errors),
 * keep-alive resends counted apart, as in the canary cases.
 */
// @serial: the blue-green watch judged on latency (p95) under load
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import { parse } from "yaml";

import { BlueGreenStackDriver } from "../../delivery/blue-green/driver";
import { runSwitch } from "../../delivery/blue-green/switch";
import { PrometheusCanaryMetrics, PrometheusClient } from "../../delivery/shared/prometheus";
import type { SwitchResult } from "../../delivery/blue-green/types";
import {
    BLUE,
    type BlueGreenLabState,
    blueGreenDeploy,
    RELEASE,
    stopColours,
    writeBlueGreenStackFile,
} from "./blue-green-lab";
import { FileConfigStack } from "./file-config-stack";
import { CanaryLab } from "./lab";
import { MAX_RESENDS_PER_1000, type RequestRecord, resendsPer1000, sleep, summarize, waitFor } from "./processes";
import { servedBy } from "./scenario";

const WATCH = { seconds: 3, drainSeconds: 2 };

interface SwitchRun {
    readonly result: SwitchResult;
    readonly state: BlueGreenLabState;
    readonly records: readonly RequestRecord[];
    readonly after: readonly RequestRecord[];
    readonly stackFile: Record<string, unknown>;
    /** Date.now() of the switch's start. */
    readonly startedAt: number;
}

async function runBlueGreen(
    lab: CanaryLab,
    greenVersion: string,
    onLine?: (line: string, state: BlueGreenLabState) => void,
): Promise<SwitchRun> {
    const file = join(lab.settings.stateDir, "Pulumi.bg.yaml");
    await writeBlueGreenStackFile(file, greenVersion, WATCH);
    const state: BlueGreenLabState = { running: {}, stopped: [], routed: [] };
    const stack = new FileConfigStack("bg", file, blueGreenDeploy(lab, state));
    await stack.up(); // blue serving, green at 0 replicas
    await lab.prometheus.waitForTargets(1);
    const load = lab.startLoad({ ratePerSecond: 200, maxRequests: 200 * 60, maxDurationMs: 60_000 });
    await sleep(1500);
    const startedAt = Date.now();
    const result = await runSwitch({
        target: new BlueGreenStackDriver(stack, { release: RELEASE, to: "green", stackFile: file }),
        metrics: new PrometheusCanaryMetrics(
            new PrometheusClient({ url: lab.prometheus.url, timeoutMs: 2000 }),
            RELEASE,
            {
                label: "track",
                canary: "green",
                stable: "blue",
            },
        ),
        settleMs: 1000,
        log: (line) => {
            console.log(line);
            onLine?.(line, state);
        },
    });
    await sleep(1000);
    const records = await load.stop();
    const afterLoad = lab.startLoad({ ratePerSecond: 300, maxRequests: 300, maxDurationMs: 10_000 });
    await afterLoad.finished();
    const after = await afterLoad.stop();
    const stackFile = (parse(await readFile(file, "utf8")) as { config: Record<string, Record<string, unknown>> })
        .config["cicd-platform:blueGreen"] as Record<string, unknown>;
    return { result, state, records, after, stackFile, startedAt };
}

function eventAt(run: SwitchRun, what: SwitchResult["events"][number]["what"]): number {
    const found = run.result.events.find((e) => e.what === what);
    assert.ok(found, `no "${what}" in ${JSON.stringify(run.result.events)}`);
    return run.result.startedAt + found.at;
}

function assertNoSwitchFailures(run: SwitchRun): void {
    const summary = summarize(run.records);
    console.log(
        `  load: ${summary.total} requests, ${summary.ok} ok, ${summary.backendErrors} backend 5xx, ` +
            `${summary.proxyErrors} proxy errors, ${summary.connectionErrors} connection errors, ` +
            `${summary.keepAliveRetries} resent after a keep-alive close; served ${JSON.stringify(servedBy(run.records))}`,
    );
    assert.ok(summary.total > 1000, `too little load: ${summary.total}`);
    assert.equal(summary.switchFailures, 0, `requests failed by a switch:\n${summary.examples.join("\n")}`);
    assert.ok(resendsPer1000(summary) <= MAX_RESENDS_PER_1000, `${summary.keepAliveRetries} resent`);
    assert.equal(summarize(run.after).switchFailures, 0);
}

describe("blue-green switch with a watch, on real processes", { timeout: 180_000 }, () => {
    let lab: CanaryLab;
    beforeEach(async () => {
        lab = await CanaryLab.create();
    });
    afterEach(async (context) => {
        if ((context as unknown as { passed?: boolean }).passed === false) {
            console.error(await lab.logs());
        }
        await stopColours(lab);
        await lab.dispose();
    });

    it("1: a healthy green passes the watch; blue is stopped only after the watch and the drain; no request failed by a switch", async () => {
        const run = await runBlueGreen(lab, "2.0.0");
        assert.equal(run.result.outcome, "switched", run.result.message);
        assert.equal(run.result.exitCode, 0);
        assert.deepEqual(
            run.result.windows.map((w) => w.verdict.decision),
            ["pass"],
        );
        assert.ok((run.result.windows[0]?.verdict.canaryRequests ?? 0) >= 30);
        const passed = eventAt(run, "watch passed");
        const blueStopped = run.state.stopped.find((s) => s.colour === "blue");
        assert.ok(blueStopped, "blue was scaled down");
        assert.ok(
            blueStopped.at >= passed + WATCH.drainSeconds * 1000,
            `blue stopped ${blueStopped.at - passed}ms after the watch passed, before the ${WATCH.drainSeconds}s drain`,
        );
        console.log(`  blue stopped ${blueStopped.at - passed}ms after the watch passed`);
        assert.deepEqual(servedBy(run.after), { "green 2.0.0": run.after.length });
        assert.equal(run.stackFile.active, "green");
        assert.equal(run.stackFile.idleReplicas, 0);
        assertNoSwitchFailures(run);
    });

    it("2: a green answering 5% with 5xx is switched back within one watch window plus one up; green stopped only after that; no request failed by a switch", async () => {
        const run = await runBlueGreen(lab, "2.0.1-bad");
        assert.equal(run.result.outcome, "switched-back", run.result.message);
        assert.equal(run.result.exitCode, 3);
        const window = run.result.windows[0];
        assert.equal(window?.verdict.decision, "fail");
        const ratio = window.verdict.canaryRatio ?? 0;
        assert.ok(ratio > 0.02 && ratio < 0.1, `measured green 5xx ratio ${ratio}`);
        const toGreen = run.state.routed.find((r) => r.colour === "green")?.at ?? 0;
        const backToBlue = run.state.routed.filter((r) => r.colour === "blue").at(-1)?.at ?? 0;
        const backMs = backToBlue - toGreen;
        console.log(`  traffic back on blue ${backMs}ms after it moved to green (ratio ${(ratio * 100).toFixed(2)}%)`);
        // One watch window, its settle, the query, and one up (a backend start is not in it).
        assert.ok(backMs < (WATCH.seconds + 1 + 4) * 1000, `switched back after ${backMs}ms`);
        const greenStopped = run.state.stopped.find((s) => s.colour === "green");
        assert.ok(greenStopped, "green was scaled down after the switch back");
        assert.ok(greenStopped.at >= backToBlue + WATCH.drainSeconds * 1000, "green stopped before the drain");
        assert.ok(!run.state.stopped.some((s) => s.colour === "blue"), "blue was never scaled down");
        assert.deepEqual(servedBy(run.after), { [`blue ${BLUE}`]: run.after.length });
        assert.equal(run.stackFile.active, "blue");
        assert.equal(run.stackFile.idleReplicas, 0);
        const served500 = run.records.filter((r) => r.kind === "backend-error");
        assert.ok(served500.length > 0 && served500.every((r) => r.track === "green"), "the 500s were green's");
        assertNoSwitchFailures(run);
    });

    it("3: Prometheus stopped once traffic is on green: the watch holds one window, then switches back; no request failed by a switch", async () => {
        let stopping: Promise<void> | undefined;
        const run = await runBlueGreen(lab, "2.0.0", (line, state) => {
            // The route moves inside the switch's up, after this line: stop Prometheus once it did,
            // so the whole watch runs without it.
            if (stopping === undefined && /^\[switch\] active: green/.test(line)) {
                stopping = (async () => {
                    await waitFor("the route on green", () => state.routed.some((r) => r.colour === "green"), 30_000);
                    await lab.prometheus.stop();
                })();
            }
        });
        assert.ok(stopping, "the switch never logged its up");
        await stopping;
        assert.equal(lab.prometheus.pid, undefined, "Prometheus is still running");
        assert.equal(run.result.outcome, "switched-back", run.result.message);
        assert.equal(run.result.exitCode, 3);
        assert.deepEqual(
            run.result.windows.map((w) => [w.verdict.decision, w.action]),
            [
                ["no-data", "hold"],
                ["no-data", "rollback"],
            ],
            "maxNoDataIntervals 1: one hold, then the switch back",
        );
        assert.match(run.result.message, /unreachable/);
        const toGreen = run.state.routed.find((r) => r.colour === "green")?.at ?? 0;
        const backToBlue = run.state.routed.filter((r) => r.colour === "blue").at(-1)?.at ?? 0;
        assert.ok(backToBlue > toGreen, "traffic never went back to blue");
        console.log(
            `  traffic back on blue ${backToBlue - toGreen}ms after it moved to green (two windows without data)`,
        );
        const greenStopped = run.state.stopped.find((s) => s.colour === "green");
        assert.ok(greenStopped, "green was scaled down after the switch back");
        assert.ok(greenStopped.at >= backToBlue + WATCH.drainSeconds * 1000, "green stopped before the drain");
        assert.ok(!run.state.stopped.some((s) => s.colour === "blue"), "blue was never scaled down");
        assert.deepEqual(servedBy(run.after), { [`blue ${BLUE}`]: run.after.length });
        assert.equal(run.stackFile.active, "blue");
        assertNoSwitchFailures(run);
    });
});
