/**
 * Section `canary`: the canary controller on real nginx, Prometheus, backends and load (the lab of
 * test/canary, deployed without the engine; with the engine too when the toolchain is there).
 *
 * - rollback: a canary answering 5% with 5xx is rolled back; time from the first 5xx a client saw to
 *   the last request the canary served (traffic fully back on stable);
 * - reloads: 10,000 requests through nginx while HostUpstream's command changes the weights every
 *   half second; requests failed by the switches (proxy-made 502/504, connection errors) per 10,000:
 *   target 0;
 * - keep-alive resends: the load generator sends a GET once more when nginx closed its idle
 *   connection as the request went out (a reload retires the worker holding it). Every resend is
 *   counted and reported, per run and per 1,000 requests, and held to the canary tests' bound
 *   (MAX_RESENDS_PER_1000; the reload run, a reload every half second, measured 0.8 per 1,000);
 * - analysis queries: wall time of one window's three PromQL queries against Prometheus;
 * - blue-green switch-back: a green answering 5% with 5xx is switched to and watched; time from the
 *   first 5xx a client got from green to the last request green served (traffic back on blue), and
 *   the route's own move green -> blue as the lab recorded it;
 * - split error: 10,000 requests through nginx at each canary step; target minus the canary share
 *   the clients observed (by the backend's `x-track` answer, not by Prometheus), against the
 *   binomial tolerance the analysis accepts for that many requests.
 */
import { join } from "node:path";

import { BlueGreenStackDriver } from "../delivery/blue-green/driver";
import { runSwitch } from "../delivery/blue-green/switch";
import { PrometheusCanaryMetrics, PrometheusClient } from "../delivery/shared/prometheus";
import { splitTolerance } from "../delivery/shared/traffic-split";
import {
    type BlueGreenLabState,
    blueGreenDeploy,
    RELEASE,
    stopColours,
    writeBlueGreenStackFile,
} from "../test/canary/blue-green-lab";
import { requireToolchain, engineStackFactory } from "../test/canary/engine";
import { FileConfigStack } from "../test/canary/file-config-stack";
import { APP, applyRouter, CanaryLab, directDeploy, writeStackFile } from "../test/canary/lab";
import { MAX_RESENDS_PER_1000, type RequestRecord, resendsPer1000, sleep, summarize } from "../test/canary/processes";
import { runScenario, type StackFactory } from "../test/canary/scenario";
import { type BenchSection, median, type SectionResult, table } from "./section";

const STEPS = [10, 50, 100];
const RELOAD_REQUESTS = 10_000;
const RELOAD_RATE = 500;
const QUERY_RUNS = 20;
const SPLIT_STEPS = [5, 10, 25, 50, 75];
const SPLIT_REQUESTS = 10_000;
const SPLIT_RATE = 1000;
const BLUE_GREEN_WATCH = { seconds: 3, drainSeconds: 2 };
/** Target: whole seconds from the first canary 5xx to traffic fully on stable. */
const MAX_ROLLBACK_SECONDS = 30;

const directStack: StackFactory = async (lab, steps) => {
    const file = `${lab.settings.stateDir}/Pulumi.bench.yaml`;
    await writeStackFile(file, lab, steps);
    const stack = new FileConfigStack("bench", file, directDeploy(lab));
    await stack.up();
    return { stack, stackFile: file, dispose: () => Promise.resolve() };
};

interface RollbackMeasure {
    readonly via: string;
    readonly outcome: string;
    /** First 5xx a client got from the canary → last request the canary served. */
    readonly firstErrorToStableMs: number;
    /** The rollback `up` alone (decision → canary gone). */
    readonly requests: number;
    readonly switchFailures: number;
    /** Requests sent a second time after a keep-alive close. */
    readonly resent: number;
}

function rollbackTime(records: readonly RequestRecord[]): number {
    const firstError = Math.min(...records.filter((r) => r.kind === "backend-error").map((r) => r.at));
    const lastCanary = Math.max(...records.filter((r) => r.track === "canary").map((r) => r.at));
    return lastCanary - firstError;
}

async function measureRollback(via: string, makeStack: StackFactory): Promise<RollbackMeasure> {
    const lab = await CanaryLab.create();
    try {
        const run = await runScenario(lab, makeStack, { imageVersion: "2.0.1-bad", steps: STEPS });
        const summary = summarize([...run.records, ...run.after]);
        return {
            via,
            outcome: run.result.outcome,
            firstErrorToStableMs: rollbackTime(run.records),
            requests: summary.total,
            switchFailures: summary.switchFailures,
            resent: summary.keepAliveRetries,
        };
    } finally {
        await lab.dispose();
    }
}

async function measureReloadsAndQueries(): Promise<{
    reloads: number;
    failed: number;
    resent: number;
    total: number;
    queryMs: number[];
}> {
    const lab = await CanaryLab.create();
    try {
        const file = `${lab.settings.stateDir}/Pulumi.bench.yaml`;
        await writeStackFile(file, lab, STEPS);
        const stack = new FileConfigStack("bench", file, directDeploy(lab));
        await stack.setAllConfig(
            {
                "cicd-platform:apps[0].canaryVersion": { value: "2.0.0" },
                "cicd-platform:apps[0].canaryPercent": { value: "10" },
            },
            true,
        );
        await stack.up();
        const load = lab.startLoad({
            ratePerSecond: RELOAD_RATE,
            maxRequests: RELOAD_REQUESTS,
            maxDurationMs: 120_000,
        });
        const weights = [50, 90, 25, 75, 10];
        let reloads = 0;
        const state = { done: false };
        void load.finished().then(() => {
            state.done = true;
        });
        while (!state.done) {
            await applyRouter(lab, weights[reloads % weights.length] ?? 10);
            reloads++;
            await sleep(500);
        }
        const records = await load.stop();
        const summary = summarize(records);

        const metrics = new PrometheusCanaryMetrics(new PrometheusClient({ url: lab.prometheus.url }), APP);
        const queryMs: number[] = [];
        for (let run = 0; run < QUERY_RUNS; run++) {
            const measured = await metrics.measure(5);
            if ("noData" in measured) {
                throw new Error(`analysis query without data: ${measured.noData}`);
            }
            queryMs.push(measured.queryMs);
        }
        return {
            reloads,
            failed: summary.switchFailures,
            resent: summary.keepAliveRetries,
            total: summary.total,
            queryMs,
        };
    } finally {
        await lab.dispose();
    }
}

interface SwitchBackMeasure {
    readonly outcome: string;
    /** First 5xx a client got from green → last request green served. */
    readonly firstErrorToBlueMs: number;
    /** The route's move to green → its move back to blue (one watch window, its settle and one up). */
    readonly routeOnGreenMs: number;
    readonly requests: number;
    readonly switchFailures: number;
    readonly resent: number;
}

async function measureSwitchBack(): Promise<SwitchBackMeasure> {
    const lab = await CanaryLab.create();
    try {
        const file = join(lab.settings.stateDir, "Pulumi.bg.yaml");
        await writeBlueGreenStackFile(file, "2.0.1-bad", BLUE_GREEN_WATCH);
        const state: BlueGreenLabState = { running: {}, stopped: [], routed: [] };
        const stack = new FileConfigStack("bg", file, blueGreenDeploy(lab, state));
        await stack.up();
        await lab.prometheus.waitForTargets(1);
        const load = lab.startLoad({ ratePerSecond: 200, maxRequests: 200 * 60, maxDurationMs: 60_000 });
        await sleep(1500);
        const result = await runSwitch({
            target: new BlueGreenStackDriver(stack, { release: RELEASE, to: "green", stackFile: file }),
            metrics: new PrometheusCanaryMetrics(
                new PrometheusClient({ url: lab.prometheus.url, timeoutMs: 2000 }),
                RELEASE,
                { label: "track", canary: "green", stable: "blue" },
            ),
            settleMs: 1000,
            log: () => undefined,
        });
        await sleep(1000);
        const records = await load.stop();
        const summary = summarize(records);
        const firstError = Math.min(...records.filter((r) => r.kind === "backend-error").map((r) => r.at));
        const lastGreen = Math.max(...records.filter((r) => r.track === "green").map((r) => r.at));
        const toGreen = state.routed.find((r) => r.colour === "green")?.at ?? Number.NaN;
        const backToBlue = state.routed.filter((r) => r.colour === "blue").at(-1)?.at ?? Number.NaN;
        return {
            outcome: result.outcome,
            firstErrorToBlueMs: lastGreen - firstError,
            routeOnGreenMs: backToBlue - toGreen,
            requests: summary.total,
            switchFailures: summary.switchFailures,
            resent: summary.keepAliveRetries,
        };
    } finally {
        await stopColours(lab);
        await lab.dispose();
    }
}

interface SplitMeasure {
    readonly targetPercent: number;
    readonly requests: number;
    readonly canary: number;
    /** Target minus observed canary share, in percentage points. */
    readonly errorPp: number;
    /** The analysis's accepted |error| for this many requests, in percentage points. */
    readonly tolerancePp: number;
    readonly switchFailures: number;
}

async function measureSplit(): Promise<SplitMeasure[]> {
    const lab = await CanaryLab.create();
    try {
        const file = `${lab.settings.stateDir}/Pulumi.bench.yaml`;
        await writeStackFile(file, lab, STEPS);
        const stack = new FileConfigStack("bench", file, directDeploy(lab));
        await stack.setAllConfig(
            {
                "cicd-platform:apps[0].canaryVersion": { value: "2.0.0" },
                "cicd-platform:apps[0].canaryPercent": { value: String(SPLIT_STEPS[0] ?? 10) },
            },
            true,
        );
        await stack.up(); // both tracks running
        const measures: SplitMeasure[] = [];
        for (const percent of SPLIT_STEPS) {
            await applyRouter(lab, percent);
            const load = lab.startLoad({
                ratePerSecond: SPLIT_RATE,
                maxRequests: SPLIT_REQUESTS,
                maxDurationMs: 120_000,
            });
            await load.finished();
            const records = await load.stop();
            const served = records.filter((r) => r.track === "canary" || r.track === "stable");
            const canary = served.filter((r) => r.track === "canary").length;
            const target = percent / 100;
            measures.push({
                targetPercent: percent,
                requests: served.length,
                canary,
                errorPp: (target - canary / Math.max(1, served.length)) * 100,
                tolerancePp: splitTolerance(target, served.length) * 100,
                switchFailures: summarize(records).switchFailures,
            });
        }
        return measures;
    } finally {
        await lab.dispose();
    }
}

async function engineAvailable(): Promise<boolean> {
    try {
        await requireToolchain([]);
        return true;
    } catch {
        return false;
    }
}

export const section: BenchSection = {
    name: "canary",
    title:
        "canary rollback time, requests failed by reloads per 10,000, analysis query time, blue-green switch-back time, " +
        "split error per step (real nginx + Prometheus)",
    async run(): Promise<SectionResult> {
        const rollbacks = [await measureRollback("direct (no engine)", directStack)];
        if (await engineAvailable()) {
            rollbacks.push(await measureRollback("Pulumi engine (dynamic resources)", engineStackFactory("dynamic")));
        }
        const reload = await measureReloadsAndQueries();
        const switchBack = await measureSwitchBack();
        const splits = await measureSplit();
        const perTenThousand = (reload.failed * 10_000) / reload.total;
        const sortedQueries = [...reload.queryMs].sort((a, b) => a - b);
        const lines = [
            ...table(
                [
                    "rollback of a 5%-5xx canary",
                    "outcome",
                    "first 5xx -> all on stable",
                    "requests",
                    "failed by switch",
                    "resent (per 1,000)",
                ],
                rollbacks.map((r) => [
                    r.via,
                    r.outcome,
                    `${(r.firstErrorToStableMs / 1000).toFixed(1)}s`,
                    String(r.requests),
                    String(r.switchFailures),
                    `${r.resent} (${resendsPer1000({ total: r.requests, keepAliveRetries: r.resent }).toFixed(2)})`,
                ]),
            ),
            "",
            `reloads: ${reload.total} requests at ${RELOAD_RATE}/s through ${reload.reloads} weight changes: ` +
                `${reload.failed} failed (${perTenThousand.toFixed(2)} per 10,000; target 0), ` +
                `${reload.resent} resent once after a keep-alive close ` +
                `(${resendsPer1000({ total: reload.total, keepAliveRetries: reload.resent }).toFixed(2)} per 1,000, ` +
                `${(reload.resent / Math.max(1, reload.reloads)).toFixed(2)} per reload)`,
            `analysis queries (3 PromQL per window, ${QUERY_RUNS} windows): median ${median(reload.queryMs).toFixed(1)}ms, ` +
                `max ${(sortedQueries.at(-1) ?? 0).toFixed(1)}ms`,
            `window settings: ${STEPS.join("/")}%, analysis window 3s + 1s scrape settle, Prometheus scrape 1s`,
            "",
            `blue-green switch-back of a 5%-5xx green (watch ${BLUE_GREEN_WATCH.seconds}s + 1s settle, drain ` +
                `${BLUE_GREEN_WATCH.drainSeconds}s): ${switchBack.outcome}; first green 5xx -> all on blue ` +
                `${(switchBack.firstErrorToBlueMs / 1000).toFixed(1)}s; route on green ${(switchBack.routeOnGreenMs / 1000).toFixed(1)}s; ` +
                `${switchBack.requests} requests, ${switchBack.switchFailures} failed by a switch, ${switchBack.resent} resent`,
            "",
            ...table(
                [
                    "split at step",
                    "requests",
                    "canary",
                    "observed",
                    "target - observed",
                    "accepted ±",
                    "failed by switch",
                ],
                splits.map((m) => [
                    `${m.targetPercent}%`,
                    String(m.requests),
                    String(m.canary),
                    `${((m.canary * 100) / Math.max(1, m.requests)).toFixed(2)}%`,
                    `${m.errorPp >= 0 ? "+" : ""}${m.errorPp.toFixed(2)} pp`,
                    `${m.tolerancePp.toFixed(2)} pp`,
                    String(m.switchFailures),
                ]),
            ),
        ];
        const slow = rollbacks.filter(
            (r) => r.outcome !== "rolled-back" || r.firstErrorToStableMs > MAX_ROLLBACK_SECONDS * 1000,
        );
        const resending = [
            ...rollbacks.map((r) => ({ run: `rollback ${r.via}`, total: r.requests, keepAliveRetries: r.resent })),
            { run: "reloads", total: reload.total, keepAliveRetries: reload.resent },
        ].filter((r) => resendsPer1000(r) > MAX_RESENDS_PER_1000);
        const switchBackSlow =
            switchBack.outcome !== "switched-back" ||
            !(switchBack.firstErrorToBlueMs <= MAX_ROLLBACK_SECONDS * 1000) ||
            switchBack.switchFailures > 0;
        // A split outside the tolerance the analysis accepts would make a correct router look misrouted.
        const offSplits = splits.filter((m) => Math.abs(m.errorPp) > m.tolerancePp || m.switchFailures > 0);
        const failed =
            reload.failed > 0 ||
            rollbacks.some((r) => r.switchFailures > 0) ||
            slow.length > 0 ||
            resending.length > 0 ||
            switchBackSlow ||
            offSplits.length > 0;
        lines.push(
            failed
                ? `FAIL: ${reload.failed} reload failures, ${slow.length} rollbacks slower than ${MAX_ROLLBACK_SECONDS}s or not rolled back, ` +
                      `more than ${MAX_RESENDS_PER_1000} resends per 1,000 requests in: ${resending.map((r) => r.run).join(", ") || "none"}; ` +
                      `blue-green switch-back ${switchBackSlow ? "not back within " + String(MAX_ROLLBACK_SECONDS) + "s or failed requests" : "ok"}; ` +
                      `split outside tolerance at: ${offSplits.map((m) => `${m.targetPercent}%`).join(", ") || "none"}`
                : `pass: 0 requests failed by reloads; rollback and blue-green switch-back within ${MAX_ROLLBACK_SECONDS}s; ` +
                      `at most ${MAX_RESENDS_PER_1000} resends per 1,000 requests; every split within its binomial tolerance`,
        );
        return {
            status: failed ? "fail" : "pass",
            ...(failed ? { reason: lines.at(-1) } : {}),
            lines,
            data: {
                rollbacks,
                reloads: { ...reload, failedPer10k: perTenThousand, queryMs: undefined },
                queryMs: { median: median(reload.queryMs), max: sortedQueries.at(-1), runs: reload.queryMs },
                blueGreenSwitchBack: switchBack,
                split: splits,
            },
        };
    },
};

if (require.main === module) {
    void section.run().then((result) => {
        for (const line of result.lines) {
            console.log(line);
        }
        process.exitCode = result.status === "fail" ? 1 : 0;
    });
}
