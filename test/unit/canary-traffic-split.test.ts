/**
 * The measured-split check: the binomial tolerance, and how the analysis turns a wrong split into a
 * hold. GIVEN counts a router produced WHEN checked against the step's share THEN a correct router
 * passes (about 999 windows in 1,000) and a router 5 points off is caught once samples are large.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import { analyseWindow, nextAction } from "../../delivery/shared/analysis";
import { checkSplit, SPLIT_Z, splitTolerance } from "../../delivery/shared/traffic-split";
import { analysisSchema } from "../../config/schema";

const THRESHOLDS = { ...analysisSchema.parse({}), minRequests: 30, maxNoDataIntervals: 2 };

/** A seeded binomial draw: n requests each sent to the canary with probability p. */
function binomial(n: number, p: number, random: () => number): number {
    let hits = 0;
    for (let i = 0; i < n; i++) {
        if (random() < p) {
            hits++;
        }
    }
    return hits;
}

function lcg(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 2 ** 32;
    };
}

describe("split tolerance", () => {
    it("is z·√(p(1−p)/n) + 1/(2n), with z for two-sided 99.9%", () => {
        assert.equal(SPLIT_Z, 3.29);
        assert.equal(splitTolerance(0.1, 600), 3.29 * Math.sqrt((0.1 * 0.9) / 600) + 1 / 1200);
        assert.ok(Math.abs(splitTolerance(0.25, 909) - 0.0478) < 0.0001);
        assert.equal(splitTolerance(1, 500), 1 / 1000, "at 100% any stable request is a wrong split");
        assert.equal(splitTolerance(0.5, 0), Number.POSITIVE_INFINITY);
        assert.throws(() => splitTolerance(1.5, 10), /target share 1.5 must be within 0-1/);
    });

    it("with sticky clients, widens by √D and passes a correct sticky router the request-level test would fail", () => {
        assert.equal(splitTolerance(0.1, 600, 20), 3.29 * Math.sqrt((0.1 * 0.9 * 20) / 600) + 1 / 1200);
        assert.throws(() => splitTolerance(0.1, 600, 0.5), /design effect 0.5 must be at least 1/);
        // 4,000 windows of 30 sticky clients × 20 requests: each client draws a track once.
        const random = lcg(7);
        let wrongSticky = 0;
        let wrongPerRequest = 0;
        const runs = 4000;
        for (let i = 0; i < runs; i++) {
            const p = [0.1, 0.25, 0.5][i % 3] as number;
            const canary = binomial(30, p, random) * 20;
            if (!checkSplit(canary, 600 - canary, p, 20).withinTolerance) {
                wrongSticky++;
            }
            if (!checkSplit(canary, 600 - canary, p).withinTolerance) {
                wrongPerRequest++;
            }
        }
        assert.ok(wrongSticky / runs <= 0.005, `${wrongSticky} of ${runs} correct sticky windows judged misrouted`);
        assert.ok(wrongPerRequest / runs > 0.2, `the request-level test misjudged only ${wrongPerRequest} of ${runs}`);
    });

    it("passes a correct router in at least 99.5% of 4,000 simulated windows", () => {
        const random = lcg(42);
        let wrong = 0;
        const runs = 4000;
        for (let i = 0; i < runs; i++) {
            const p = [0.1, 0.25, 0.5, 0.75][i % 4] as number;
            const n = 200 + (i % 7) * 150;
            const canary = binomial(n, p, random);
            if (!checkSplit(canary, n - canary, p).withinTolerance) {
                wrong++;
            }
        }
        assert.ok(wrong / runs <= 0.005, `${wrong} of ${runs} correct windows judged misrouted`);
    });

    it("catches a router 5 points off with 2,000 requests, and the seed's 7:2 weights at 25%", () => {
        const random = lcg(7);
        for (const [target, actual] of [
            [0.1, 0.15],
            [0.25, 0.2],
            [0.5, 0.45],
            [0.25, 2 / 9],
        ] as const) {
            const n = actual === 2 / 9 ? 8000 : 2000;
            const canary = binomial(n, actual, random);
            assert.equal(checkSplit(canary, n - canary, target).withinTolerance, false, `${actual} for ${target}`);
        }
    });

    it("PROPERTY: the exact share always passes; a share beyond the tolerance never does", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100_000 }), (percent, n) => {
                const p = percent / 100;
                const canary = Math.round(n * p);
                assert.equal(checkSplit(canary, n - canary, p).withinTolerance, true);
                const off = Math.min(n, canary + Math.ceil(splitTolerance(p, n) * n) + 1);
                if (off / n - p > splitTolerance(p, n)) {
                    assert.equal(checkSplit(off, n - off, p).withinTolerance, false);
                }
            }),
        );
    });
});

describe("split in the analysis", () => {
    const healthy = (canary: number, stable: number) => ({
        canary: { requests: canary, errors: 0, p95Seconds: 0.01 },
        stable: { requests: stable, errors: 0 },
    });

    it("a healthy canary with the wrong share is misrouted: it holds, then rolls back, never advances", () => {
        const verdict = analyseWindow(healthy(60, 540), THRESHOLDS, { targetShare: 0.5 });
        assert.equal(verdict.decision, "misrouted");
        assert.match(verdict.reasons.join("\n"), /canary got 10\.0% of 600 requests, outside 50\.0% ± 6\.8 pp/);
        assert.deepEqual(
            [0, 1, 2].map((before) => nextAction(verdict.decision, before, THRESHOLDS)),
            ["hold", "hold", "rollback"],
        );
    });

    it("a fail outranks a wrong split; the right split passes; without a target there is no split check", () => {
        const failing = { ...healthy(60, 540), canary: { requests: 60, errors: 30, p95Seconds: 0.01 } };
        assert.equal(analyseWindow(failing, THRESHOLDS, { targetShare: 0.5 }).decision, "fail");
        assert.equal(analyseWindow(healthy(300, 300), THRESHOLDS, { targetShare: 0.5 }).decision, "pass");
        const untargeted = analyseWindow(healthy(60, 540), THRESHOLDS);
        assert.equal(untargeted.decision, "pass");
        assert.ok(!untargeted.checks.some((c) => c.name === "traffic split"));
    });

    it("records every check with its query, window, sample, value, threshold and verdict", () => {
        const verdict = analyseWindow(
            {
                ...healthy(60, 540),
                queries: { requests: "Q-requests", errors: "Q-errors", p95: "Q-p95" },
                windowSeconds: 30,
            },
            THRESHOLDS,
            { targetShare: 0.1 },
        );
        assert.deepEqual(
            verdict.checks.map((c) => [c.name, c.query, c.windowSeconds, c.sampleSize, c.verdict]),
            [
                ["canary requests", "Q-requests", 30, 60, "pass"],
                ["canary 5xx ratio", "Q-errors\nQ-requests", 30, 60, "pass"],
                ["5xx ratio vs stable", "Q-errors\nQ-requests", 30, 540, "pass"],
                ["canary p95", "Q-p95", 30, 60, "pass"],
                ["traffic split", "Q-requests", 30, 600, "pass"],
            ],
        );
        const split = verdict.checks.at(-1);
        assert.equal(split?.value, 0.1);
        assert.equal(split.thresholdText, "10.0% ± 4.1 pp (binomial, 99.9%)");
    });
});
