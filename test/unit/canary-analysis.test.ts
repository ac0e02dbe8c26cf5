import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import { type AnalysisThresholds, analyseWindow, nextAction, type WindowMetrics } from "../../delivery/shared/analysis";
import { analysisSchema } from "../../config/schema";

/** The schema's defaults: 1% max, 1.5x stable, 0.1% floor, p95 0.5s, 50 requests, 3 no-data windows. */
const DEFAULTS: AnalysisThresholds = analysisSchema.parse({});

function window(canary: [number, number, number | null], stable: [number, number]): WindowMetrics {
    return {
        canary: { requests: canary[0], errors: canary[1], p95Seconds: canary[2] },
        stable: { requests: stable[0], errors: stable[1] },
    };
}

describe("canary analysis: one window", () => {
    it("passes a healthy canary and reports its ratios", () => {
        const verdict = analyseWindow(window([1000, 1, 0.12], [9000, 9]), DEFAULTS);
        assert.equal(verdict.decision, "pass", verdict.reasons.join("; "));
        assert.equal(verdict.canaryRatio, 0.001);
        assert.equal(verdict.stableRatio, 0.001);
        assert.equal(verdict.p95Seconds, 0.12);
    });

    it("fails above the maximum 5xx ratio (a ratio of requests, not a rate)", () => {
        const verdict = analyseWindow(window([100, 5, 0.05], [900, 0]), DEFAULTS);
        assert.equal(verdict.decision, "fail");
        assert.equal(verdict.canaryRatio, 0.05);
        assert.match(verdict.reasons.join("\n"), /5xx ratio 5\.00% is above the maximum 1\.00%/);
    });

    it("fails above 1.5x stable's ratio when above the floor", () => {
        // 0.8% is under the 1% maximum, but 4x stable's 0.2%.
        const verdict = analyseWindow(window([1000, 8, 0.05], [10000, 20]), DEFAULTS);
        assert.equal(verdict.decision, "fail");
        assert.match(verdict.reasons.join("\n"), /above 1\.5× stable's 0\.20%/);
    });

    it("does not fail 0.05% vs 0% stable: under the floor", () => {
        const verdict = analyseWindow(window([2000, 1, 0.05], [20000, 0]), DEFAULTS);
        assert.equal(verdict.decision, "pass", verdict.reasons.join("; "));
    });

    it("fails when p95 is above the limit", () => {
        const verdict = analyseWindow(window([500, 0, 0.75], [5000, 0]), DEFAULTS);
        assert.equal(verdict.decision, "fail");
        assert.match(verdict.reasons.join("\n"), /p95 750ms is above the limit 500ms/);
    });

    it("treats a canary without enough traffic as no data, never a pass", () => {
        const verdict = analyseWindow(window([10, 0, 0.01], [1000, 0]), DEFAULTS);
        assert.equal(verdict.decision, "no-data");
        assert.match(verdict.reasons.join("\n"), /fewer than the minimum 50: no traffic is not a pass/);
        assert.equal(analyseWindow(window([0, 0, null], [1000, 0]), DEFAULTS).decision, "no-data");
    });

    it("fails a canary with few requests but already too many errors for any minimum", () => {
        // 3 errors: even at 50 requests that is 6%.
        const verdict = analyseWindow(window([10, 3, 0.01], [1000, 0]), DEFAULTS);
        assert.equal(verdict.decision, "fail");
    });

    it("says no data with the reason when Prometheus had none", () => {
        const verdict = analyseWindow({ noData: "Prometheus at http://x unreachable: ECONNREFUSED" }, DEFAULTS);
        assert.equal(verdict.decision, "no-data");
        assert.deepEqual(verdict.reasons, ["Prometheus at http://x unreachable: ECONNREFUSED"]);
    });

    it("says no data for NaN or negative counts, and for a missing p95", () => {
        assert.equal(analyseWindow(window([Number.NaN, 0, 0.1], [10, 0]), DEFAULTS).decision, "no-data");
        assert.equal(analyseWindow(window([100, -1, 0.1], [10, 0]), DEFAULTS).decision, "no-data");
        assert.equal(analyseWindow(window([100, 0, null], [10, 0]), DEFAULTS).decision, "no-data");
    });

    it("skips the stable comparison when stable served nothing (canary at 100%)", () => {
        const verdict = analyseWindow(window([1000, 5, 0.1], [0, 0]), DEFAULTS);
        assert.equal(verdict.stableRatio, null);
        assert.equal(verdict.decision, "pass", verdict.reasons.join("; "));
    });
});

describe("canary analysis: what to do next", () => {
    it("advances on pass, rolls back on fail", () => {
        assert.equal(nextAction("pass", 0, DEFAULTS), "advance");
        assert.equal(nextAction("fail", 0, DEFAULTS), "rollback");
    });

    it("holds on no data for maxNoDataIntervals windows, then rolls back", () => {
        const limits = { maxNoDataIntervals: 3 };
        assert.deepEqual(
            [0, 1, 2, 3].map((before) => nextAction("no-data", before, limits)),
            ["hold", "hold", "hold", "rollback"],
        );
        assert.equal(nextAction("no-data", 0, { maxNoDataIntervals: 0 }), "rollback");
    });
});

const thresholds = fc.record({
    maxErrorRatio: fc.double({ min: 0.0001, max: 1, noNaN: true }),
    maxRatioVsStable: fc.double({ min: 1, max: 10, noNaN: true }),
    ratioFloor: fc.double({ min: 0.0001, max: 1, noNaN: true }),
    maxP95Seconds: fc.double({ min: 0.001, max: 10, noNaN: true }),
    minRequests: fc.integer({ min: 1, max: 1000 }),
    maxNoDataIntervals: fc.integer({ min: 0, max: 10 }),
});

const counts = fc
    .tuple(fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([requests, share]) => ({ requests, errors: Math.floor(requests * share) }));

const metrics = fc.record({
    canary: fc
        .tuple(counts, fc.option(fc.double({ min: 0, max: 20, noNaN: true }), { nil: null }))
        .map(([c, p95Seconds]) => ({ ...c, p95Seconds })),
    stable: counts,
});

describe("canary analysis: properties", () => {
    it("never passes below minRequests, above the maximum ratio, or above the p95 limit", () => {
        fc.assert(
            fc.property(metrics, thresholds, (m, t) => {
                const verdict = analyseWindow(m, t);
                if (verdict.decision !== "pass") {
                    return;
                }
                assert.ok(m.canary.requests >= t.minRequests);
                assert.ok(m.canary.errors / m.canary.requests <= t.maxErrorRatio);
                assert.ok(m.canary.p95Seconds !== null && m.canary.p95Seconds <= t.maxP95Seconds);
                if (m.stable.requests > 0) {
                    const canaryRatio = m.canary.errors / m.canary.requests;
                    const stableRatio = m.stable.errors / m.stable.requests;
                    assert.ok(canaryRatio <= t.maxRatioVsStable * stableRatio || canaryRatio <= t.ratioFloor);
                }
            }),
            { numRuns: 2000 },
        );
    });

    it("more canary errors never turn a fail or a no-data into a pass", () => {
        fc.assert(
            fc.property(metrics, thresholds, fc.integer({ min: 1, max: 1000 }), (m, t, extra) => {
                const worse = {
                    ...m,
                    canary: { ...m.canary, errors: Math.min(m.canary.requests, m.canary.errors + extra) },
                };
                if (analyseWindow(m, t).decision !== "pass") {
                    assert.notEqual(analyseWindow(worse, t).decision, "pass");
                }
            }),
            { numRuns: 2000 },
        );
    });

    it("a clean canary with enough requests and a fast p95 always passes", () => {
        fc.assert(
            fc.property(thresholds, counts, fc.integer({ min: 0, max: 100_000 }), (t, stable, more) => {
                const m = {
                    canary: { requests: t.minRequests + more, errors: 0, p95Seconds: t.maxP95Seconds / 2 },
                    stable,
                };
                assert.equal(analyseWindow(m, t).decision, "pass");
            }),
        );
    });

    it("no data never advances, and rolls back exactly after maxNoDataIntervals windows in a row", () => {
        fc.assert(
            fc.property(
                fc.array(fc.constantFrom("pass", "fail", "no-data"), {
                    maxLength: 30,
                }),
                fc.integer({ min: 0, max: 10 }),
                (decisions, max) => {
                    let noData = 0;
                    for (const decision of decisions) {
                        const action = nextAction(decision, noData, { maxNoDataIntervals: max });
                        if (decision === "no-data") {
                            assert.notEqual(action, "advance");
                            assert.equal(action, noData + 1 > max ? "rollback" : "hold");
                        }
                        if (action !== "hold") {
                            return;
                        }
                        noData++;
                    }
                },
            ),
        );
    });
});
