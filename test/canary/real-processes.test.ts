/**
 * The canary cases on real nginx, real Prometheus, real backend processes and real load, deployed
 * WITHOUT the Pulumi engine: the stack is a real `Pulumi.<stack>.yaml` (FileConfigStack) and `up`
 * runs the fixture's track scripts and HostUpstream's command text in the engine's order
 * (directDeploy). Everything up to the engine is real; engine.test.ts runs the same cases through
 * the Automation API.
 *
 * Plus the bake: a canary that passes every step and starts failing only once it carries 100% (the
 * backend is told to answer 5% with 5xx when the bake begins) is rolled back in the bake; stable is
 * untouched (same process, same version in the config) and serves everything afterwards.
 */
// @serial: canary lab runs judged on latency (p95) and the bake window
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import { parse, stringify } from "yaml";

import { canaryCases } from "./cases";
import { FileConfigStack } from "./file-config-stack";
import { type CanaryLab, CanaryLab as Lab, directDeploy, STABLE, writeStackFile } from "./lab";
import { summarize } from "./processes";
import { runScenario, servedBy, type StackFactory } from "./scenario";

const stackFileOf = (lab: CanaryLab): string => join(lab.settings.stateDir, "Pulumi.lab.yaml");

const directStack: StackFactory = async (lab, steps) => {
    const file = stackFileOf(lab);
    await writeStackFile(file, lab, steps);
    const stack = new FileConfigStack("lab", file, directDeploy(lab));
    await stack.up(); // stable 1.0.0, nginx routing to it
    return { stack, stackFile: file, dispose: () => Promise.resolve() };
};

describe("canary on real processes, without the engine", { timeout: 600_000 }, () => {
    canaryCases(directStack);
});

const BAKE_SECONDS = 3;

const bakedStack: StackFactory = async (lab, steps) => {
    const file = stackFileOf(lab);
    await writeStackFile(file, lab, steps);
    const doc = parse(await readFile(file, "utf8")) as { config: Record<string, Record<string, unknown>> };
    doc.config["cicd-platform:canary"] = { ...doc.config["cicd-platform:canary"], bakeSeconds: BAKE_SECONDS };
    await writeFile(file, stringify(doc, { lineWidth: 0 }));
    const stack = new FileConfigStack("lab", file, directDeploy(lab));
    await stack.up();
    return { stack, stackFile: file, dispose: () => Promise.resolve() };
};

const pidOf = async (lab: CanaryLab, track: string): Promise<number> =>
    Number((await readFile(join(lab.settings.stateDir, `${track}.pid`), "utf8")).trim());

describe("bake at 100% on real processes, without the engine", { timeout: 180_000 }, () => {
    let lab: CanaryLab;
    beforeEach(async () => {
        lab = await Lab.create();
    });
    afterEach(async (context) => {
        if ((context as unknown as { passed?: boolean }).passed === false) {
            console.error(await lab.logs());
        }
        await lab.dispose();
    });

    it("a canary that starts failing only at 100% passes its steps, fails the bake and is rolled back; stable untouched", async () => {
        let stablePid: number | undefined;
        let turnedBadAt: number | undefined;
        const run = await runScenario(lab, bakedStack, {
            imageVersion: "2.0.0",
            steps: [10, 100],
            onLine: async (line, l) => {
                if (stablePid === undefined && /setting canaryPercent 10\b/.test(line)) {
                    stablePid = await pidOf(l, "stable");
                }
                if (turnedBadAt === undefined && /^\[canary\] baking /.test(line)) {
                    turnedBadAt = Date.now();
                    await writeFile(join(l.settings.stateDir, "canary.error-ratio"), "0.05\n");
                    // The canary's pid as its backend recorded it; the signal goes to that pid only.
                    process.kill(await pidOf(l, "canary"), "SIGUSR2");
                }
            },
        });
        assert.ok(turnedBadAt !== undefined, "the bake never started");
        assert.equal(run.result.outcome, "rolled-back", run.result.message);
        assert.equal(run.result.exitCode, 3);
        assert.deepEqual(
            run.result.windows.map((w) => [w.phase, w.percent, w.verdict.decision]),
            [
                ["step", 10, "pass"],
                ["step", 100, "pass"],
                ["bake", 100, "fail"],
            ],
        );
        const ratio = run.result.windows[2]?.verdict.canaryRatio ?? 0;
        assert.ok(ratio > 0.02 && ratio < 0.1, `canary 5xx ratio in the bake ${ratio}`);
        assert.match(run.result.message, /rolled back in the bake at 100%/);
        assert.ok(!run.lines.some((line) => /promoting/.test(line)));
        // Stable untouched: the process that served before the canary still serves, the config never moved.
        assert.ok(stablePid !== undefined);
        assert.equal(await pidOf(lab, "stable"), stablePid, "stable was restarted");
        const app = (parse(run.stackFileText) as { config: Record<string, { stableVersion: string }[]> }).config[
            "cicd-platform:apps"
        ]?.[0];
        assert.equal(app?.stableVersion, STABLE);
        assert.deepEqual(servedBy(run.after), { [`stable ${STABLE}`]: run.after.length });
        const backend500 = run.records.filter((r) => r.kind === "backend-error");
        assert.ok(backend500.length > 0 && backend500.every((r) => r.track === "canary"), "the 500s were the canary's");
        assert.equal(summarize(run.records).switchFailures, 0);
    });
});
