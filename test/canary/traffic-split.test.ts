/**
 * The measured split on real nginx, Prometheus, backends and load, without the engine:
 * 1. a correct router passes the split check at 10, 25, 50 and 75% (and 100%), and the canary is
 *    promoted; the measured shares are printed;
 * 2. a router deliberately left on the old weights (the host upstream ignores every percentage above
 *    10) is held at the next step and then rolled back, never promoted.
 */
// @serial: the measured split under load, judged step by step
import assert from "node:assert/strict";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import { formatShare, formatTarget } from "../../delivery/shared/traffic-split";
import { FileConfigStack } from "./file-config-stack";
import { type CanaryLab, CanaryLab as Lab, directDeploy, writeStackFile } from "./lab";
import { summarize } from "./processes";
import { runScenario, servedBy, type StackFactory } from "./scenario";

/** A stack whose router never goes above `maxPercent`, whatever the config says; the rest deploys as asked. */
function stuckRouterStack(maxPercent: number): StackFactory {
    return async (lab, steps) => {
        const file = join(lab.settings.stateDir, "Pulumi.lab.yaml");
        await writeStackFile(file, lab, steps);
        const deploy = directDeploy(lab);
        const stack = new FileConfigStack("lab", file, (config, log) => {
            const apps = JSON.parse(JSON.stringify(config["cicd-platform:apps"])) as { canaryPercent?: number }[];
            for (const app of apps) {
                app.canaryPercent = Math.min(app.canaryPercent ?? 0, maxPercent);
            }
            return deploy({ ...config, "cicd-platform:apps": apps }, log);
        });
        await stack.up();
        return { stack, stackFile: file, dispose: () => Promise.resolve() };
    };
}

describe("measured traffic split, on real processes", { timeout: 300_000 }, () => {
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

    it("1: a correct router passes the split check at 10, 25, 50, 75 and 100% and is promoted", async () => {
        const steps = [10, 25, 50, 75, 100];
        const run = await runScenario(lab, stuckRouterStack(100), { imageVersion: "2.0.0", steps });
        for (const w of run.result.windows) {
            const split = w.verdict.split;
            console.log(
                `  ${w.percent}%: observed ${formatShare(split?.observed ?? null)} of ${split?.sampleSize.toFixed(0) ?? "?"} ` +
                    `requests, accepted ${split ? formatTarget(split) : "?"} -> ${w.verdict.decision}`,
            );
        }
        assert.equal(run.result.outcome, "promoted", run.result.message);
        assert.deepEqual(
            run.result.windows.map((w) => [w.percent, w.verdict.decision]),
            steps.map((s) => [s, "pass"]),
        );
        assert.equal(summarize(run.records).switchFailures, 0);
    });

    it("2: a router left on the old weights is held at the next step, then rolled back, never promoted", async () => {
        const run = await runScenario(lab, stuckRouterStack(10), { imageVersion: "2.0.0", steps: [10, 50, 100] });
        for (const w of run.result.windows) {
            console.log(
                `  ${w.percent}% (window ${w.attempt}): observed ${formatShare(w.verdict.split?.observed ?? null)} -> ` +
                    `${w.verdict.decision}, ${w.action}`,
            );
        }
        assert.equal(run.result.outcome, "rolled-back", run.result.message);
        assert.deepEqual(
            run.result.windows.map((w) => [w.percent, w.verdict.decision, w.action]),
            [
                [10, "pass", "advance"],
                [50, "misrouted", "hold"],
                [50, "misrouted", "hold"],
                [50, "misrouted", "rollback"],
            ],
        );
        const observed = run.result.windows[1]?.verdict.split?.observed ?? 1;
        assert.ok(observed > 0.05 && observed < 0.15, `observed canary share ${observed} (the router stayed at 10%)`);
        assert.match(run.result.message, /rolled back at 50%: canary got .* outside 50\.0% ± [\d.]+ pp/);
        assert.ok(!run.lines.some((line) => /promoting/.test(line)));
        assert.deepEqual(servedBy(run.after), { "stable 1.0.0": run.after.length });
        assert.equal(summarize(run.records).switchFailures, 0);
    });
});
