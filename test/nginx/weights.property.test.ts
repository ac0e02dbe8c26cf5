/**
 * Properties of the weight arithmetic over every percentage 0-100. Pure: no nginx needed. The
 * real-nginx tests next to this file prove that these weights produce the intended traffic shares.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import { renderUpstream } from "../../components/traffic/nginx-config";
import { canaryReplicas, trackWeights } from "../../components/traffic/traffic-split";

const PERCENTAGES = Array.from({ length: 101 }, (_, percent) => percent);
const percentArb = fc.integer({ min: 0, max: 100 });
const replicasArb = fc.integer({ min: 1, max: 500 });
/** Values that are not an integer percentage: out of range, fractional, not a number. */
const INVALID_PERCENTAGES = [-1, 101, 2.5, Number.NaN, Number.POSITIVE_INFINITY, -0.5];
const INVALID_REPLICAS = [-1, 0, 2.5, Number.NaN, Number.POSITIVE_INFINITY];

interface ServerLine {
    readonly track: string;
    readonly backend: string;
    readonly weight: number;
}

/** Reads the `server` lines back, so the assertions check the text nginx will parse. */
function serverLines(upstream: string): ServerLine[] {
    const pattern = /^ {4}server (\S+) weight=(\d+) [^;]*; # (\w+)$/gm;
    return [...upstream.matchAll(pattern)].map((match) => ({
        backend: match[1]!,
        weight: Number(match[2]),
        track: match[3]!,
    }));
}

function upstreamAt(canaryPercent: number): string {
    return renderUpstream({ name: "app", stable: "stable.svc:80", canary: "canary.svc:80", canaryPercent });
}

describe("trackWeights at every percentage 0-100", () => {
    it("gives two non-negative integers that sum to 100, the canary's being the percentage", () => {
        for (const percent of PERCENTAGES) {
            const weights = trackWeights(percent);
            assert.ok(Number.isInteger(weights.stable) && weights.stable >= 0, `stable at ${percent}%`);
            assert.ok(Number.isInteger(weights.canary) && weights.canary >= 0, `canary at ${percent}%`);
            assert.equal(weights.stable + weights.canary, 100, `sum at ${percent}%`);
            assert.equal(weights.canary, percent, `canary weight at ${percent}%`);
        }
    });
});

describe("renderUpstream at every percentage 0-100", () => {
    it("never writes weight=0, which nginx rejects", () => {
        for (const percent of PERCENTAGES) {
            assert.doesNotMatch(upstreamAt(percent), /weight=0\b/, `at ${percent}%`);
        }
    });

    it("contains exactly the servers whose weight is above 0, with that weight", () => {
        for (const percent of PERCENTAGES) {
            const weights = trackWeights(percent);
            const expected = [
                { track: "stable", backend: "stable.svc:80", weight: weights.stable },
                { track: "canary", backend: "canary.svc:80", weight: weights.canary },
            ].filter((server) => server.weight > 0);
            const text = upstreamAt(percent);
            assert.deepEqual(serverLines(text), expected, `at ${percent}%:\n${text}`);
            // No server line escaped the parser above (e.g. one with a different shape).
            assert.equal(text.match(/\bserver\b/g)?.length ?? 0, expected.length, `at ${percent}%`);
        }
    });

    it("keeps the weights for any backends and server settings", () => {
        const host = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}(\.[a-z0-9-]{1,10}){0,3}:[1-9][0-9]{0,4}$/);
        fc.assert(
            fc.property(
                percentArb,
                host,
                host,
                fc.nat(10),
                fc.nat(300),
                fc.nat(64),
                (canaryPercent, stable, canary, maxFails, failTimeoutSeconds, keepalive) => {
                    const text = renderUpstream({
                        name: "app",
                        stable,
                        canary,
                        canaryPercent,
                        maxFails,
                        failTimeoutSeconds,
                        keepalive,
                    });
                    const weights = trackWeights(canaryPercent);
                    const servers = serverLines(text);
                    assert.deepEqual(
                        servers.map((server) => server.track),
                        ["stable", "canary"].filter((track) => weights[track as "stable" | "canary"] > 0),
                    );
                    for (const server of servers) {
                        assert.equal(server.weight, weights[server.track as "stable" | "canary"]);
                        assert.equal(server.backend, server.track === "stable" ? stable : canary);
                    }
                    assert.equal(text.includes(`keepalive ${keepalive};`), keepalive > 0);
                },
            ),
            { numRuns: 300 },
        );
    });
});

describe("canaryReplicas", () => {
    it("is 0 exactly when the percentage is 0", () => {
        fc.assert(
            fc.property(replicasArb, percentArb, (replicas, percent) => {
                assert.equal(canaryReplicas(replicas, percent) === 0, percent === 0);
            }),
            { numRuns: 1000 },
        );
    });

    it("never exceeds the stable replicas at any percentage up to 100", () => {
        fc.assert(
            fc.property(replicasArb, (replicas) => {
                for (const percent of PERCENTAGES) {
                    const canary = canaryReplicas(replicas, percent);
                    assert.ok(canary <= replicas, `${canary} canary > ${replicas} stable at ${percent}%`);
                }
            }),
            { numRuns: 200 },
        );
    });

    it("is monotonic in the percentage", () => {
        fc.assert(
            fc.property(replicasArb, percentArb, percentArb, (replicas, a, b) => {
                const [low, high] = a <= b ? [a, b] : [b, a];
                assert.ok(canaryReplicas(replicas, low) <= canaryReplicas(replicas, high), `${low}% vs ${high}%`);
            }),
            { numRuns: 1000 },
        );
    });

    it("carries at least the requested share of the stable capacity", () => {
        fc.assert(
            fc.property(replicasArb, percentArb, (replicas, percent) => {
                assert.ok(canaryReplicas(replicas, percent) * 100 >= replicas * percent);
            }),
            { numRuns: 1000 },
        );
    });
});

describe("invalid inputs", () => {
    for (const value of INVALID_PERCENTAGES) {
        it(`rejects canaryPercent ${String(value)} with a RangeError naming the field`, () => {
            const error = (field: string) => (thrown: unknown) =>
                thrown instanceof RangeError && thrown.message.startsWith(`${field}: ${String(value)} `);
            assert.throws(() => trackWeights(value), error("canaryPercent"));
            assert.throws(() => canaryReplicas(3, value), error("canaryPercent"));
            assert.throws(
                () => renderUpstream({ name: "app", stable: "s:80", canary: "c:80", canaryPercent: value }),
                error("canaryPercent"),
            );
        });
    }

    for (const value of INVALID_REPLICAS) {
        it(`rejects stable replicas ${String(value)} with a RangeError naming the field`, () => {
            assert.throws(
                () => canaryReplicas(value, 50),
                (thrown: unknown) => thrown instanceof RangeError && thrown.message.startsWith(`replicas: `),
            );
        });
    }

    it("rejects negative or fractional server settings with a RangeError naming the field", () => {
        const base = { name: "app", stable: "s:80", canary: "c:80", canaryPercent: 50 };
        for (const [field, value] of [
            ["maxFails", -1],
            ["failTimeoutSeconds", 2.5],
            ["keepalive", Number.NaN],
        ] as const) {
            assert.throws(
                () => renderUpstream({ ...base, [field]: value }),
                (thrown: unknown) => thrown instanceof RangeError && thrown.message.startsWith(`${field}: `),
                field,
            );
        }
    });
});
