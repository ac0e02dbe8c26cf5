/**
 * One canary run on real processes, shared by the engine tests (a real Pulumi stack of the
 * fixture), the test without the engine (FileConfigStack + directDeploy) and the benchmark:
 * lab up, stable deployed, load running, the canary library's controller driving the stack with
 * real Prometheus analysis, then what the clients saw.
 */
import { readFile } from "node:fs/promises";

import { runCanary, type CanaryResult } from "../../delivery/canary/controller";
import { PrometheusCanaryMetrics, PrometheusClient } from "../../delivery/shared/prometheus";
import { StackDriver } from "../../delivery/canary/stack-driver";
import type { StackLike } from "../../delivery/shared/open-stack";
import { APP, CanaryLab } from "./lab";
import { type RequestRecord, sleep } from "./processes";

export interface StackHandle {
    readonly stack: StackLike;
    readonly stackFile: string;
    dispose(): Promise<void>;
}

/** Makes the stack of one run, with the lab's config and `steps`, and deploys stable 1.0.0. */
export type StackFactory = (lab: CanaryLab, steps: readonly number[]) => Promise<StackHandle>;

export interface ScenarioOptions {
    readonly imageVersion: string;
    readonly steps: readonly number[];
    /** Requests per second through nginx during the run. @default 200 */
    readonly ratePerSecond?: number;
    /** Called with each progress line; may act on it (e.g. stop Prometheus). */
    readonly onLine?: (line: string, lab: CanaryLab) => void | Promise<void>;
}

export interface ScenarioResult {
    readonly result: CanaryResult;
    /** Every request during the run, in completion order (`at` = ms since the load started). */
    readonly records: readonly RequestRecord[];
    /** 300 requests after the run: what serves traffic now. */
    readonly after: readonly RequestRecord[];
    readonly lines: readonly string[];
    /** Engine output of the ups, for failure messages. */
    readonly engineOutput: string;
    /** `Pulumi.<stack>.yaml` as the run left it. */
    readonly stackFileText: string;
    /** ms since the load started when the controller began and finished. */
    readonly controllerStartedAt: number;
    readonly controllerFinishedAt: number;
}

export async function runScenario(
    lab: CanaryLab,
    makeStack: StackFactory,
    options: ScenarioOptions,
): Promise<ScenarioResult> {
    const handle = await makeStack(lab, options.steps);
    try {
        // Both targets scraped at least once (the canary target is down until its first step).
        await lab.prometheus.waitForTargets(1);
        const rate = options.ratePerSecond ?? 200;
        const load = lab.startLoad({ ratePerSecond: rate, maxRequests: rate * 300, maxDurationMs: 300_000 });
        await sleep(1500);
        const lines: string[] = [];
        let engineOutput = "";
        const driver = new StackDriver(handle.stack, {
            app: APP,
            imageVersion: options.imageVersion,
            stackFile: handle.stackFile,
            onOutput: (text) => {
                engineOutput += text;
            },
        });
        const controllerStartedAt = load.now();
        const result = await runCanary({
            rollout: driver,
            metrics: new PrometheusCanaryMetrics(
                new PrometheusClient({ url: lab.prometheus.url, timeoutMs: 2000 }),
                APP,
            ),
            // One scrape interval more, so the window's last scrape is in.
            settleMs: 1000,
            log: (line) => {
                lines.push(line);
                console.log(line);
                void options.onLine?.(line, lab);
            },
        });
        const controllerFinishedAt = load.now();
        await sleep(1000);
        const records = await load.stop();
        const afterLoad = lab.startLoad({ ratePerSecond: 300, maxRequests: 300, maxDurationMs: 10_000 });
        await afterLoad.finished();
        const after = await afterLoad.stop();
        const stackFileText = await readFile(handle.stackFile, "utf8");
        return {
            result,
            records,
            after,
            lines,
            engineOutput,
            stackFileText,
            controllerStartedAt,
            controllerFinishedAt,
        };
    } finally {
        await handle.dispose();
    }
}

/** Versions and tracks of a set of records, e.g. `{ "stable 1.0.0": 300 }`. */
export function servedBy(records: readonly RequestRecord[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const record of records) {
        const key =
            record.kind === "ok" || record.kind === "backend-error" ? `${record.track} ${record.version}` : record.kind;
        counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
}
