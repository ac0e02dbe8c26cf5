/** The Prometheus client against small HTTP servers that misbehave; the real Prometheus is in test/canary. */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";

import {
    errorsQuery,
    p95Query,
    PrometheusCanaryMetrics,
    PrometheusClient,
    promString,
    requestsQuery,
} from "../../delivery/shared/prometheus";

async function serve(
    handler: http.RequestListener,
): Promise<{ url: string; close(): Promise<void>; queries: string[] }> {
    const queries: string[] = [];
    const server = http.createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString()));
        request.on("end", () => {
            queries.push(new URLSearchParams(body).get("query") ?? "");
            handler(request, response);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        queries,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => {
                    resolve();
                });
            }),
    };
}

const vector = (result: { metric: Record<string, string>; value: [number, string] }[]) =>
    JSON.stringify({ status: "success", data: { resultType: "vector", result } });

describe("PromQL", () => {
    it("counts requests and 5xx per track with increase over the window, p95 from the buckets", () => {
        assert.equal(requestsQuery("shop", 30), 'sum by (track) (increase(http_requests_total{app="shop"}[30s]))');
        assert.equal(
            errorsQuery("shop", 30),
            'sum by (track) (increase(http_requests_total{app="shop",status=~"5.."}[30s]))',
        );
        assert.equal(
            p95Query("shop", "canary", 30),
            'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{app="shop",track="canary"}[30s])))',
        );
        assert.equal(promString('a"b\\c'), '"a\\"b\\\\c"');
        assert.throws(() => requestsQuery("shop", 0), /windowSeconds: 0 must be a positive integer/);
    });
});

describe("Prometheus client", () => {
    it("reads a window: canary and stable counts, canary p95, its three queries at once, and their wall time", async () => {
        // Every answer comes DELAY_MS late, so the window's queries take at least that long, and the
        // server sees all three before it answers any only if they are sent at the same time.
        const DELAY_MS = 150;
        let inFlight = 0;
        let maxInFlight = 0;
        const server = await serve((_request, response) => {
            response.writeHead(200, { "content-type": "application/json" });
            const query = server.queries.at(-1) ?? "";
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            setTimeout(() => {
                inFlight--;
                answer(query, response);
            }, DELAY_MS);
        });
        const answer = (query: string, response: http.ServerResponse): void => {
            if (query.startsWith("histogram_quantile")) {
                response.end(vector([{ metric: {}, value: [1, "0.0425"] }]));
            } else if (query.includes("5..")) {
                response.end(vector([{ metric: { track: "canary" }, value: [1, "2"] }]));
            } else {
                response.end(
                    vector([
                        { metric: { track: "canary" }, value: [1, "100.5"] },
                        { metric: { track: "stable" }, value: [1, "900"] },
                    ]),
                );
            }
        };
        try {
            const started = performance.now();
            const measured = await new PrometheusCanaryMetrics(
                new PrometheusClient({ url: server.url }),
                "shop",
            ).measure(5);
            const elapsed = performance.now() - started;
            assert.ok(!("noData" in measured), JSON.stringify(measured));
            assert.deepEqual(measured.canary, { requests: 100.5, errors: 2, p95Seconds: 0.0425 });
            assert.deepEqual(measured.stable, { requests: 900, errors: 0 });
            assert.equal(maxInFlight, 3, "the three queries were not in flight together");
            // Wall time, not a sum of the three durations (about three times as long): it lies
            // between the server's delay (timers may fire a millisecond early) and the time around
            // the call.
            assert.ok(measured.queryMs >= DELAY_MS - 2, `queryMs ${measured.queryMs} < ${DELAY_MS}`);
            assert.ok(measured.queryMs <= elapsed, `queryMs ${measured.queryMs} > ${elapsed} around the call`);
            assert.equal(server.queries.length, 3);
        } finally {
            await server.close();
        }
    });

    it("turns an unreachable Prometheus into no data with the reason", async () => {
        const server = await serve(() => undefined);
        const url = server.url;
        await server.close();
        const measured = await new PrometheusCanaryMetrics(new PrometheusClient({ url }), "shop").measure(5);
        assert.ok("noData" in measured);
        assert.match(measured.noData, /Prometheus at http:\/\/127\.0\.0\.1:\d+ unreachable: ECONNREFUSED/);
    });

    it("turns a query error, a timeout and a missing canary series into no data", async () => {
        const failing = await serve((_, response) => {
            response.writeHead(400, { "content-type": "application/json" });
            response.end(JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error at char 3" }));
        });
        const hanging = await serve(() => undefined);
        const empty = await serve((_, response) => {
            response.writeHead(200);
            response.end(vector([{ metric: { track: "stable" }, value: [1, "900"] }]));
        });
        try {
            const client = (url: string) => new PrometheusClient({ url, timeoutMs: 200 });
            const bad = await client(failing.url).query("up{");
            assert.ok(!bad.ok);
            assert.match(bad.reason, /HTTP 400, bad_data\): parse error at char 3/);
            const slow = await client(hanging.url).query("up");
            assert.ok(!slow.ok);
            assert.match(slow.reason, /unreachable: timed out/);
            assert.ok(slow.durationMs >= 190);
            const none = await new PrometheusCanaryMetrics(client(empty.url), "shop").measure(5);
            assert.ok("noData" in none);
            assert.match(none.noData, /no http_requests_total series for app="shop",track="canary"/);
        } finally {
            await Promise.all([failing.close(), hanging.close(), empty.close()]);
        }
    });

    it("rejects a URL that is not one", () => {
        assert.throws(() => new PrometheusClient({ url: "prom:9090/x y" }), /is not/);
    });
});
