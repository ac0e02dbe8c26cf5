/**
 * The canary cases on real processes (nginx, Prometheus, backends, load), registered once per way
 * of deploying: through the real engine (engine.test.ts) or without it (real-processes.test.ts).
 *
 * 1. a healthy canary goes 10 → 100 and is promoted; afterwards all traffic reaches the new version;
 * 2. a canary answering 5% with 5xx is rolled back at the first step; traffic is 100% stable again;
 * 3. a canary whose p95 exceeds the limit is rolled back;
 * 4. Prometheus stopped during analysis: the canary is never promoted;
 * 5. in every case, no client request fails because of a switch (proxy-made 502/504 or connection
 *    errors: zero; the canary's own 500s are the backend's and are counted apart), and requests
 *    resent after nginx closed an idle keep-alive connection stay within MAX_RESENDS_PER_1000.
 *
 * Through the engine only cases 1 and 2 run (ENGINE_CASES): they take the deploy paths the engine
 * adds (every step's `up`, the rollback's `up`). Cases 3 and 4 prove decisions of the analysis,
 * which is the same code however the stack is deployed, and end in the rollback `up` case 2 already
 * takes; real-processes.test.ts runs all four.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, it } from "node:test";

import { parse } from "yaml";

import { APP, CanaryLab, STABLE } from "./lab";
import { MAX_RESENDS_PER_1000, resendsPer1000, summarize } from "./processes";
import { runScenario, type ScenarioResult, servedBy, type StackFactory } from "./scenario";

export const STEPS = [10, 50, 100];

type App = { stableVersion: string; canaryVersion?: string; canaryPercent?: number };

function appInStackFile(text: string): App | undefined {
    const doc = parse(text) as { config: Record<string, App[]> };
    return doc.config["cicd-platform:apps"]?.[0];
}

function assertNoSwitchFailures(run: ScenarioResult): void {
    const summary = summarize(run.records);
    console.log(
        `  load: ${summary.total} requests, ${summary.ok} ok, ${summary.backendErrors} backend 5xx, ` +
            `${summary.proxyErrors} proxy errors, ${summary.connectionErrors} connection errors, ` +
            `${summary.keepAliveRetries} resent after a keep-alive close ` +
            `(${resendsPer1000(summary).toFixed(2)} per 1,000)`,
    );
    assert.ok(summary.total > 1000, `too little load to prove anything: ${summary.total}`);
    assert.equal(summary.switchFailures, 0, `requests failed by a switch:\n${summary.examples.join("\n")}`);
    assert.ok(
        resendsPer1000(summary) <= MAX_RESENDS_PER_1000,
        `${summary.keepAliveRetries} of ${summary.total} requests were resent after a keep-alive close: ` +
            `more than ${MAX_RESENDS_PER_1000} per 1,000`,
    );
    const afterSummary = summarize(run.after);
    assert.equal(afterSummary.switchFailures, 0, afterSummary.examples.join("\n"));
    assert.ok(
        resendsPer1000(afterSummary) <= MAX_RESENDS_PER_1000,
        `after the run: ${afterSummary.keepAliveRetries} resent`,
    );
}

/** What assertNoSwitchFailures holds every case to, in words. */
const NO_SWITCH_FAILURES = `no request failed by a switch, at most ${MAX_RESENDS_PER_1000} keep-alive resends per 1,000 requests`;

/** The cases whose paths the engine changes: the promotion's `up`s and the rollback's. */
export const ENGINE_CASES: readonly number[] = [1, 2];

/**
 * With `skip`, every case is registered and reported as skipped for that reason (no hook runs).
 * With `cases`, only those (by number) are registered.
 */
export function canaryCases(
    makeStack: StackFactory,
    options: { readonly skip?: string; readonly cases?: readonly number[] } = {},
): void {
    const caseOptions = options.skip === undefined ? {} : { skip: options.skip };
    const registered = new Set<number>();
    // Each case's name ends with the bound assertNoSwitchFailures holds it to.
    const test = (name: string, fn: () => Promise<void>): void => {
        const number = Number(/^(\d+):/.exec(name)?.[1]);
        if (options.cases !== undefined && !options.cases.includes(number)) return;
        registered.add(number);
        it(`${name}; ${NO_SWITCH_FAILURES}`, caseOptions, fn);
    };
    let lab: CanaryLab;

    beforeEach(async () => {
        lab = await CanaryLab.create();
    });

    afterEach(async (context) => {
        // node:test passes the test context; print the processes' logs when a case failed.
        const failed = (context as unknown as { passed?: boolean }).passed === false;
        if (failed) {
            console.error(await lab.logs());
        }
        await lab.dispose();
    });

    test("1: a healthy canary goes 10 → 50 → 100 and is promoted; then all traffic reaches 2.0.0", async () => {
        const run = await runScenario(lab, makeStack, { imageVersion: "2.0.0", steps: STEPS });
        assert.equal(run.result.outcome, "promoted", `${run.result.message}\n${run.engineOutput}`);
        assert.equal(run.result.exitCode, 0);
        assert.deepEqual(
            run.result.windows.filter((w) => w.verdict.decision === "pass").map((w) => w.percent),
            STEPS,
        );
        for (const window of run.result.windows) {
            assert.ok((window.verdict.canaryRequests ?? 0) >= 30, `${window.percent}%: too few canary requests`);
        }
        assert.deepEqual(servedBy(run.after), { "stable 2.0.0": run.after.length }, "after promotion: only 2.0.0");
        const app = appInStackFile(run.stackFileText);
        assert.ok(app, run.stackFileText);
        assert.equal(app.stableVersion, "2.0.0");
        assert.equal(app.canaryPercent, 0);
        assert.equal(app.canaryVersion, undefined);
        const diff = run.result.configChange?.diff ?? [];
        assert.ok(
            diff.some((line) => /^\+\s+stableVersion: "?2\.0\.0"?$/.test(line)),
            diff.join("\n"),
        );
        // The canary really served traffic at every step (measured by the clients, not Prometheus).
        const canarySeen = run.records.filter((r) => r.track === "canary" && r.version === "2.0.0").length;
        assert.ok(canarySeen > 100, `canary served ${canarySeen} requests`);
        assertNoSwitchFailures(run);
    });

    test("2: a canary answering 5% with 5xx is rolled back at the first step; traffic is 100% stable again", async () => {
        const run = await runScenario(lab, makeStack, { imageVersion: "2.0.1-bad", steps: STEPS });
        assert.equal(run.result.outcome, "rolled-back", `${run.result.message}\n${run.engineOutput}`);
        assert.equal(run.result.exitCode, 3);
        assert.deepEqual(
            run.result.windows.map((w) => [w.percent, w.verdict.decision]),
            [[10, "fail"]],
        );
        const ratio = run.result.windows[0]?.verdict.canaryRatio ?? 0;
        assert.ok(ratio > 0.02 && ratio < 0.1, `measured canary 5xx ratio ${ratio}`);
        assert.deepEqual(
            servedBy(run.after),
            { [`stable ${STABLE}`]: run.after.length },
            "after rollback: only stable",
        );
        const app = appInStackFile(run.stackFileText);
        assert.ok(app, run.stackFileText);
        assert.equal(app.stableVersion, STABLE);
        assert.equal(app.canaryPercent, 0);
        assert.equal(app.canaryVersion, undefined);
        const backend500 = run.records.filter((r) => r.kind === "backend-error");
        assert.ok(backend500.length > 0 && backend500.every((r) => r.track === "canary"), "the 500s were the canary's");
        assertNoSwitchFailures(run);
    });

    test("3: a canary whose p95 exceeds the limit is rolled back", async () => {
        const run = await runScenario(lab, makeStack, { imageVersion: "2.0.2-slow", steps: STEPS });
        assert.equal(run.result.outcome, "rolled-back", `${run.result.message}\n${run.engineOutput}`);
        const last = run.result.windows.at(-1);
        assert.equal(last?.verdict.decision, "fail");
        assert.ok((last.verdict.p95Seconds ?? 0) > 0.25, `p95 ${String(last.verdict.p95Seconds)}`);
        assert.match(last.verdict.reasons.join("\n"), /p95 .* is above the limit 250ms/);
        assert.deepEqual(servedBy(run.after), { [`stable ${STABLE}`]: run.after.length });
        assert.equal(appInStackFile(run.stackFileText)?.stableVersion, STABLE);
        assertNoSwitchFailures(run);
    });

    test("4: Prometheus stopped during analysis: held, then rolled back, never promoted", async () => {
        let stopped = false;
        const run = await runScenario(lab, makeStack, {
            imageVersion: "2.0.0",
            steps: STEPS,
            onLine: async (line, l) => {
                if (!stopped && / 10%: setting canaryPercent 10/.test(line)) {
                    stopped = true;
                    await l.prometheus.stop();
                }
            },
        });
        assert.ok(stopped);
        assert.equal(run.result.outcome, "rolled-back", `${run.result.message}\n${run.engineOutput}`);
        assert.ok(run.result.windows.every((w) => w.verdict.decision === "no-data"));
        assert.deepEqual(
            run.result.windows.map((w) => w.action),
            ["hold", "hold", "rollback"],
            "maxNoDataIntervals 2: two holds, then the rollback",
        );
        assert.match(run.result.message, /unreachable/);
        assert.ok(!run.lines.some((line) => /promoting/.test(line)));
        assert.equal(appInStackFile(run.stackFileText)?.stableVersion, STABLE);
        assert.deepEqual(servedBy(run.after), { [`stable ${STABLE}`]: run.after.length });
        assertNoSwitchFailures(run);
    });
    // A renamed case would otherwise leave a suite that registers nothing and passes.
    const missing = (options.cases ?? []).filter((number) => !registered.has(number));
    if (missing.length > 0) {
        throw new Error(`canaryCases: no case numbered ${missing.join(", ")}`);
    }
}

export { APP };
