/**
 * `npm run bench`: runs every benchmark section in order, prints each one's table and verdict,
 * writes all measurements to `bench/results/latest.json`, and exits non-zero if a section failed.
 *
 * To add a section, write `bench/<section>.ts` exporting `section: BenchSection` (see section.ts)
 * and append it to SECTIONS. Sections are imported lazily: one whose dependencies are missing
 * fails or skips alone instead of breaking the whole run.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";

import type { BenchSection, SectionResult } from "./section";

interface SectionEntry {
    readonly name: string;
    readonly load: () => Promise<{ section: BenchSection }>;
}

/** In the order they run. Planned: toolchain bootstrap, pulumi preview, control-plane start. */
const SECTIONS: readonly SectionEntry[] = [
    { name: "construction", load: () => import("./construction") },
    { name: "canary", load: () => import("./canary") },
    { name: "engine", load: () => import("./engine") },
    { name: "release", load: () => import("./release") },
];

const RESULTS = join(__dirname, "results", "latest.json");

async function runSection(entry: SectionEntry): Promise<SectionResult> {
    try {
        const { section } = await entry.load();
        console.log(`\n== ${section.name}: ${section.title}`);
        const why = await section.unavailable?.();
        if (why !== undefined) {
            return { status: "skipped", reason: why, lines: [`skipped: ${why}`] };
        }
        return await section.run();
    } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { status: "fail", reason, lines: [`error: ${reason}`] };
    }
}

async function main(): Promise<void> {
    // `npm run bench -- engine canary` runs only those sections.
    const wanted = process.argv.slice(2);
    const unknown = wanted.filter((name) => !SECTIONS.some((entry) => entry.name === name));
    if (unknown.length > 0) {
        throw new Error(`unknown section ${unknown.join(", ")} (sections: ${SECTIONS.map((e) => e.name).join(", ")})`);
    }
    const results: Record<string, SectionResult> = {};
    for (const entry of SECTIONS.filter((e) => wanted.length === 0 || wanted.includes(e.name))) {
        const result = await runSection(entry);
        for (const line of result.lines) {
            console.log(`  ${line}`);
        }
        results[entry.name] = result;
    }

    await mkdir(join(__dirname, "results"), { recursive: true });
    const report = {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        loadAverage: os.loadavg(),
        sections: Object.fromEntries(
            Object.entries(results).map(([name, { status, reason, data }]) => [name, { status, reason, data }]),
        ),
    };
    await writeFile(RESULTS, JSON.stringify(report, null, 2) + "\n");

    const failed = Object.entries(results).filter(([, result]) => result.status === "fail");
    const verdicts = Object.entries(results).map(([name, result]) => `${name} ${result.status}`);
    console.log(`\n${verdicts.join(", ")}; results in ${RESULTS}`);
    if (failed.length > 0) {
        process.exitCode = 1;
    }
}

void main();
