/**
 * The controller loop with in-memory fakes for the stack and Prometheus (the real engine, nginx and
 * Prometheus are in test/canary). GIVEN a sequence of window results WHEN the loop runs THEN the
 * stack sees exactly the ups it should, and the outcome and exit code say what happened.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import type { Decision } from "../../delivery/shared/analysis";
import {
    type Clock,
    type ConfigChange,
    EXIT_CODES,
    type Rollout,
    type RolloutPlan,
    runCanary,
} from "../../delivery/canary/controller";
import type { CanaryMetrics, Measurement } from "../../delivery/shared/prometheus";
import { analysisSchema } from "../../config/schema";

const STEPS = [10, 25, 50, 75, 100];

function plan(overrides: Partial<RolloutPlan> = {}): RolloutPlan {
    return {
        stack: "staging",
        app: "shop",
        stableVersion: "1.0.0",
        canaryVersion: "2.0.0",
        steps: STEPS,
        allSteps: STEPS,
        analysis: { ...analysisSchema.parse({}), intervalSeconds: 10, maxNoDataIntervals: 2 },
        ...overrides,
    };
}

const CHANGE: ConfigChange = { file: "Pulumi.staging.yaml", diff: ["-x", "+y"] };

class FakeRollout implements Rollout {
    readonly calls: string[] = [];
    /** What the fake router sends the canary now, as the last up set it. */
    percent = 0;
    constructor(
        private readonly options: {
            plan?: RolloutPlan;
            failPrepare?: boolean;
            failAt?: number;
            duringUp?: (percent: number) => void;
        } = {},
    ) {}
    prepare(): Promise<RolloutPlan> {
        this.calls.push("prepare");
        if (this.options.failPrepare === true) {
            return Promise.reject(new Error('stack staging has no app "shop"'));
        }
        return Promise.resolve(this.options.plan ?? plan());
    }
    async setCanaryPercent(percent: number): Promise<void> {
        this.calls.push(`up ${percent}%`);
        this.percent = percent;
        this.options.duringUp?.(percent);
        // The up takes a moment; an interrupt meanwhile must not cut it short.
        await new Promise((resolve) => setTimeout(resolve, 5));
        this.calls.push(`up ${percent}% done`);
        if (percent === this.options.failAt) {
            throw new Error("nginx -t rejected the new config");
        }
    }
    rollBack(): Promise<ConfigChange> {
        this.calls.push("rollback");
        return Promise.resolve(CHANGE);
    }
    promote(): Promise<ConfigChange> {
        this.calls.push("promote");
        return Promise.resolve(CHANGE);
    }
}

/** 500 canary requests, and as many for stable as a router at `percent` sends it. */
function stableRequests(percent: number): number {
    return Math.round((500 * (100 - percent)) / percent);
}

function measurementFor(decision: Decision, percent: number): Measurement {
    switch (decision) {
        case "pass":
            return {
                canary: { requests: 500, errors: 0, p95Seconds: 0.02 },
                stable: { requests: stableRequests(percent), errors: 1 },
                queryMs: 3,
            };
        case "fail":
            return {
                canary: { requests: 500, errors: 25, p95Seconds: 0.02 },
                stable: { requests: stableRequests(percent), errors: 0 },
                queryMs: 3,
            };
        case "misrouted":
            // A router 30 points away from the step's share: healthy numbers, wrong evidence.
            return {
                canary: { requests: 500, errors: 0, p95Seconds: 0.02 },
                stable: { requests: stableRequests(percent >= 50 ? percent - 30 : percent + 30), errors: 0 },
                queryMs: 3,
            };
        case "no-data":
            return { noData: "Prometheus at http://127.0.0.1:9 unreachable: ECONNREFUSED", queryMs: 1 };
    }
}

class FakeMetrics implements CanaryMetrics {
    readonly windows: number[] = [];
    private index = 0;
    constructor(
        private readonly decisions: readonly Decision[],
        private readonly percent: () => number,
    ) {}
    measure(windowSeconds: number): Promise<Measurement> {
        this.windows.push(windowSeconds);
        const decision = this.decisions[Math.min(this.index++, this.decisions.length - 1)] ?? "pass";
        return Promise.resolve(measurementFor(decision, this.percent()));
    }
}

/** Virtual time: sleeping advances it at once (or stops early when the signal aborts). */
function fakeClock(onSleep?: (count: number) => void): Clock & { slept: number[] } {
    let now = 1_000_000;
    const slept: number[] = [];
    return {
        slept,
        now: () => now,
        sleep: (ms, signal) => {
            slept.push(ms);
            onSleep?.(slept.length);
            if (signal?.aborted !== true) {
                now += ms;
            }
            return Promise.resolve();
        },
    };
}

async function run(
    decisions: readonly Decision[],
    options: {
        rollout?: FakeRollout;
        interrupt?: AbortController;
        onInterrupt?: "rollback" | "hold";
        clock?: Clock;
    } = {},
) {
    const rollout = options.rollout ?? new FakeRollout();
    const metrics = new FakeMetrics(decisions, () => rollout.percent);
    const lines: string[] = [];
    const result = await runCanary({
        rollout,
        metrics,
        log: (line) => lines.push(line),
        clock: options.clock ?? fakeClock(),
        ...(options.interrupt ? { interrupt: options.interrupt.signal } : {}),
        ...(options.onInterrupt ? { onInterrupt: options.onInterrupt } : {}),
    });
    return { result, rollout, metrics, lines };
}

describe("canary controller", () => {
    it("GIVEN every window passes THEN it walks every step, one up each, and promotes (exit 0)", async () => {
        const { result, rollout, metrics, lines } = await run(["pass"]);
        assert.equal(result.outcome, "promoted");
        assert.equal(result.exitCode, 0);
        assert.deepEqual(
            rollout.calls.filter((c) => !c.endsWith("done")),
            ["prepare", "up 10%", "up 25%", "up 50%", "up 75%", "up 100%", "promote"],
        );
        assert.deepEqual(metrics.windows, [10, 10, 10, 10, 10]);
        assert.equal(result.windows.length, 5);
        assert.deepEqual(result.configChange, CHANGE);
        assert.equal(result.state, "stable 2.0.0 only, no canary");
        const progress = lines.filter((line) => line.includes("| canary 5xx"));
        assert.equal(progress.length, 5);
        assert.match(
            progress[1] ?? "",
            /step 2\/5 25% \| canary 5xx 0\.00% \(500 req\) \| stable 5xx 0\.07% \| p95 20ms \| share 25\.0% of 25\.0% ± [\d.]+ pp \| pass -> next step \| ~\d+s left/,
        );
        assert.match(progress[4] ?? "", /pass -> promote \| ~0s left/);
    });

    it("GIVEN the first window fails THEN it rolls back at 10% in one up and never promotes (exit 3)", async () => {
        const { result, rollout, lines } = await run(["fail"]);
        assert.equal(result.outcome, "rolled-back");
        assert.equal(result.exitCode, EXIT_CODES["rolled-back"]);
        assert.deepEqual(
            rollout.calls.filter((c) => !c.endsWith("done")),
            ["prepare", "up 10%", "rollback"],
        );
        assert.match(result.message, /rolled back at 10%: canary 5xx ratio 5\.00% is above the maximum 1\.00%/);
        assert.equal(result.state, "stable 1.0.0 only, no canary");
        assert.ok(lines.some((line) => /fail -> roll back/.test(line)));
    });

    it("GIVEN no data THEN it holds maxNoDataIntervals windows, then rolls back", async () => {
        const { result, rollout } = await run(["no-data"]);
        assert.equal(result.outcome, "rolled-back");
        assert.deepEqual(
            result.windows.map((w) => [w.percent, w.attempt, w.action]),
            [
                [10, 1, "hold"],
                [10, 2, "hold"],
                [10, 3, "rollback"],
            ],
        );
        assert.ok(!rollout.calls.includes("promote"));
        assert.match(result.message, /unreachable/);
    });

    it("GIVEN data comes back after a hold THEN it goes on from the same step", async () => {
        const { result, rollout } = await run(["no-data", "pass"]);
        assert.equal(result.outcome, "promoted");
        assert.deepEqual(
            result.windows.slice(0, 2).map((w) => [w.percent, w.action]),
            [
                [10, "hold"],
                [10, "advance"],
            ],
        );
        assert.equal(rollout.calls.filter((c) => c === "up 10%").length, 1, "a hold does not redeploy");
    });

    it("GIVEN Ctrl-C during an up THEN the up finishes, then one rollback, exit 4", async () => {
        const interrupt = new AbortController();
        const rollout = new FakeRollout({
            duringUp: (percent) => {
                if (percent === 25) {
                    interrupt.abort();
                }
            },
        });
        const { result, lines } = await run(["pass"], { rollout, interrupt });
        assert.equal(result.outcome, "interrupted");
        assert.equal(result.exitCode, EXIT_CODES.interrupted);
        assert.deepEqual(rollout.calls, ["prepare", "up 10%", "up 10% done", "up 25%", "up 25% done", "rollback"]);
        assert.equal(result.state, "stable 1.0.0 only, no canary");
        assert.ok(lines.some((line) => /interrupted; rolled back to stable/.test(line)));
    });

    it("GIVEN Ctrl-C with --on-interrupt=hold THEN it stays at the last completed step and says so", async () => {
        const interrupt = new AbortController();
        const rollout = new FakeRollout({
            duringUp: (percent) => {
                if (percent === 50) {
                    interrupt.abort();
                }
            },
        });
        const { result } = await run(["pass"], { rollout, interrupt, onInterrupt: "hold" });
        assert.equal(result.outcome, "interrupted");
        assert.ok(!rollout.calls.includes("rollback"));
        assert.ok(!rollout.calls.includes("promote"));
        assert.equal(result.state, "held at 50%: canary 2.0.0, stable 1.0.0");
    });

    it("GIVEN Ctrl-C while waiting for a window THEN it stops waiting and rolls back without analysing", async () => {
        const interrupt = new AbortController();
        const clock = fakeClock((count) => {
            if (count === 2) {
                interrupt.abort();
            }
        });
        const { result, rollout, metrics } = await run(["pass"], { interrupt, clock });
        assert.equal(result.outcome, "interrupted");
        assert.equal(metrics.windows.length, 1, "the interrupted window is not analysed");
        assert.deepEqual(
            rollout.calls.filter((c) => !c.endsWith("done")),
            ["prepare", "up 10%", "up 25%", "rollback"],
        );
    });

    it("GIVEN an up fails THEN it rolls back and exits with the error code", async () => {
        const rollout = new FakeRollout({ failAt: 50 });
        const { result } = await run(["pass"], { rollout });
        assert.equal(result.outcome, "error");
        assert.equal(result.exitCode, 1);
        assert.match(result.message, /up at 50% failed: nginx -t rejected the new config; rolled back/);
        assert.equal(rollout.calls.at(-1), "rollback");
    });

    it("GIVEN prepare fails THEN nothing is deployed (exit 1)", async () => {
        const rollout = new FakeRollout({ failPrepare: true });
        const { result } = await run(["pass"], { rollout });
        assert.equal(result.outcome, "error");
        assert.deepEqual(rollout.calls, ["prepare"]);
        assert.match(result.message, /no app "shop"/);
    });

    it("resumes from the running percentage when the plan says so", async () => {
        const rollout = new FakeRollout({ plan: plan({ steps: [50, 75, 100], resumedFrom: 50 }) });
        const { result } = await run(["pass"], { rollout });
        assert.equal(result.outcome, "promoted");
        assert.deepEqual(
            result.windows.map((w) => `${w.step}:${w.percent}`),
            ["3:50", "4:75", "5:100"],
        );
    });

    it("GIVEN the router sends the wrong share THEN the step holds, never promotes, and rolls back after maxNoDataIntervals", async () => {
        const { result, rollout, lines } = await run(["pass", "misrouted"]);
        assert.equal(result.outcome, "rolled-back");
        assert.deepEqual(
            result.windows.map((w) => [w.percent, w.verdict.decision, w.action]),
            [
                [10, "pass", "advance"],
                [25, "misrouted", "hold"],
                [25, "misrouted", "hold"],
                [25, "misrouted", "rollback"],
            ],
        );
        assert.ok(!rollout.calls.includes("promote"));
        assert.match(result.message, /rolled back at 25%: canary got 55\.0% of 909 requests, outside 25\.0% ± 4\.8 pp/);
        assert.ok(lines.some((line) => /misrouted -> hold \(1\/2 windows held\)/.test(line)));
        const split = result.windows[1]?.verdict.split;
        assert.equal(split?.target, 0.25);
        assert.equal(split.withinTolerance, false);
    });

    it("GIVEN bakeSeconds THEN one more window at 100% of that length passes before the promotion", async () => {
        const rollout = new FakeRollout({ plan: plan({ bakeSeconds: 30 }) });
        const { result, metrics, lines } = await run(["pass"], { rollout });
        assert.equal(result.outcome, "promoted");
        assert.deepEqual(metrics.windows, [10, 10, 10, 10, 10, 30]);
        assert.deepEqual(
            result.windows.map((w) => `${w.phase ?? "?"}:${w.percent}`),
            ["step:10", "step:25", "step:50", "step:75", "step:100", "bake:100"],
        );
        assert.ok(lines.some((line) => /step 5\/5 100% .* pass -> bake/.test(line)));
        assert.ok(lines.some((line) => /bake 100% \(30s\) .* pass -> promote/.test(line)));
        assert.deepEqual(rollout.calls.filter((c) => !c.endsWith("done")).slice(-2), ["up 100%", "promote"]);
    });

    it("GIVEN the canary fails only in the bake THEN it rolls back, stable never replaced (exit 3)", async () => {
        const rollout = new FakeRollout({ plan: plan({ bakeSeconds: 30 }) });
        const { result } = await run(["pass", "pass", "pass", "pass", "pass", "fail"], { rollout });
        assert.equal(result.outcome, "rolled-back");
        assert.equal(result.exitCode, EXIT_CODES["rolled-back"]);
        assert.ok(!rollout.calls.includes("promote"));
        assert.equal(rollout.calls.at(-1), "rollback");
        assert.match(result.message, /rolled back in the bake at 100%: canary 5xx ratio 5\.00%/);
    });

    it("PROPERTY: promotes only when every step had a passing window, and never without data", async () => {
        await fc.assert(
            fc.asyncProperty(
                fc.array(fc.constantFrom<Decision>("pass", "fail", "no-data", "misrouted"), {
                    minLength: 1,
                    maxLength: 25,
                }),
                async (decisions) => {
                    const { result, rollout } = await run([...decisions, "no-data"]);
                    const passes = result.windows.filter((w) => w.verdict.decision === "pass").map((w) => w.percent);
                    if (result.outcome === "promoted") {
                        assert.deepEqual(passes, STEPS);
                    } else {
                        assert.equal(result.outcome, "rolled-back");
                        assert.ok(!rollout.calls.includes("promote"));
                    }
                    assert.equal(
                        rollout.calls.filter((c) => c === "rollback" || c === "promote").length,
                        1,
                        "exactly one final up",
                    );
                },
            ),
            { numRuns: 200 },
        );
    });
});
