/**
 * Section `construction`: building the canary part of the program under Pulumi mocks for 1, 10 and
 * 100 apps. Cost must grow linearly with the number of apps: time(100) / time(10) <= 12.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

import type { ConstructResult } from "./construct";
import { type BenchSection, median, type SectionResult, table } from "./section";

const APP_COUNTS = [1, 10, 100] as const;
const REPEATS = 3;
/** Ten times the apps may cost at most twelve times the time: linear, with room for fixed costs and noise. */
const MAX_RATIO = 12;

export interface ConstructionSummary {
    readonly apps: number;
    /** Medians of REPEATS runs. */
    readonly constructMs: number;
    readonly constructCpuMs: number;
    readonly loadMs: number;
    readonly resources: number;
    readonly maxRssMb: number;
    readonly runs: readonly ConstructResult[];
}

/** Runs `bench/construct.ts` in its own node process, so each run's memory peak is its own. */
function constructInChild(apps: number): Promise<ConstructResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "construct.ts"), String(apps)], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            const last = stdout.trim().split("\n").pop() ?? "";
            if (code !== 0 || !last.startsWith("{")) {
                reject(new Error(`construct.ts ${apps} exited with ${String(code)}: ${stderr || stdout}`));
                return;
            }
            resolve(JSON.parse(last) as ConstructResult);
        });
    });
}

function summarise(apps: number, runs: ConstructResult[]): ConstructionSummary {
    const resources = new Set(runs.map((run) => run.resources));
    if (resources.size !== 1) {
        throw new Error(
            `${apps} apps registered a different number of resources per run: ${[...resources].join(", ")}`,
        );
    }
    return {
        apps,
        constructMs: median(runs.map((run) => run.constructMs)),
        constructCpuMs: median(runs.map((run) => run.constructCpuMs)),
        loadMs: median(runs.map((run) => run.loadMs)),
        resources: runs[0]!.resources,
        maxRssMb: median(runs.map((run) => run.maxRssMb)),
        runs,
    };
}

/**
 * Every app must add the same number of resources. If the counts are not affine in N, registration
 * did not settle before the count was taken, and the timings would be measuring a partial program.
 */
function perAppResources(summaries: readonly ConstructionSummary[]): number {
    const [first, ...rest] = summaries;
    const second = rest[0];
    if (first === undefined || second === undefined) {
        throw new Error("need at least two app counts");
    }
    const perApp = (second.resources - first.resources) / (second.apps - first.apps);
    for (const summary of rest) {
        const expected = first.resources + perApp * (summary.apps - first.apps);
        if (summary.resources !== expected) {
            throw new Error(`${summary.apps} apps registered ${summary.resources} resources, expected ${expected}`);
        }
    }
    return perApp;
}

async function run(): Promise<SectionResult> {
    const summaries: ConstructionSummary[] = [];
    for (const apps of APP_COUNTS) {
        const runs: ConstructResult[] = [];
        // One at a time: parallel runs would compete for CPU and blur each other's timings.
        for (let repeat = 0; repeat < REPEATS; repeat++) {
            runs.push(await constructInChild(apps));
        }
        summaries.push(summarise(apps, runs));
    }
    const perApp = perAppResources(summaries);
    const at = (apps: number): ConstructionSummary => summaries.find((summary) => summary.apps === apps)!;
    const ratio = at(100).constructMs / at(10).constructMs;
    const cpuRatio = at(100).constructCpuMs / at(10).constructCpuMs;
    const pass = ratio <= MAX_RATIO;

    const lines = [
        `median of ${REPEATS} runs per row, each in its own process`,
        ...table(
            ["apps", "wall ms", "cpu ms", "resources", "peak RSS MB", "module load ms"],
            summaries.map((summary) => [
                String(summary.apps),
                summary.constructMs.toFixed(0),
                summary.constructCpuMs.toFixed(0),
                String(summary.resources),
                summary.maxRssMb.toFixed(1),
                summary.loadMs.toFixed(0),
            ]),
        ),
        `${perApp} resources per app`,
        `time(100)/time(10) = ${ratio.toFixed(2)} (cpu ${cpuRatio.toFixed(2)}), target <= ${MAX_RATIO}: ${pass ? "PASS" : "FAIL"}`,
    ];
    return {
        status: pass ? "pass" : "fail",
        reason: pass ? undefined : `time(100)/time(10) = ${ratio.toFixed(2)} exceeds ${MAX_RATIO}`,
        lines,
        data: { target: { maxRatio: MAX_RATIO }, ratio, cpuRatio, resourcesPerApp: perApp, summaries },
    };
}

export const section: BenchSection = {
    name: "construction",
    title: "program construction under Pulumi mocks: CanaryRelease x 1, 10, 100",
    run,
};
