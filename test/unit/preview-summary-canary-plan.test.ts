/**
 * The canary plan in the preview summary (preview-summary/canary-plan.ts): read from the committed
 * stacks' config and the one nginx renderer, rendered per app, and why it is missing when the
 * config is invalid.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

import { upstreamServers } from "../../preview-summary/canary-plan";
import { readStackFiles } from "../../preview-summary/cli";
import { summarize } from "../../preview-summary/summarize";
import { smallPreview } from "../support/synthetic-preview";

const ROOT = resolve(__dirname, "..", "..");
const STAGING = readStackFiles(join(ROOT, "Pulumi.yaml"), join(ROOT, "Pulumi.staging.yaml"));
const PRODUCTION = readStackFiles(join(ROOT, "Pulumi.yaml"), join(ROOT, "Pulumi.production.yaml"));

describe("canary plan", () => {
    it("comes from the stack config: percentages, replicas per track and the renderer's weights", () => {
        const plan = STAGING.canaryPlan;
        assert.ok(plan, STAGING.canaryPlanError);
        const app = plan.apps[0];
        assert.equal(app?.app, "storefront");
        assert.equal(app.currentPercent, 10);
        assert.deepEqual(
            app.steps.map((s) => [s.percent, s.stableReplicas, s.canaryReplicas, s.weights.stable, s.weights.canary]),
            [
                [10, 2, 1, 90, 10],
                [25, 2, 1, 75, 25],
                [50, 2, 1, 50, 50],
                [100, 2, 2, 0, 100],
            ],
        );
        assert.deepEqual(app.steps.at(-1)?.servers, [{ track: "canary", weight: 100 }], "nginx refuses weight=0");
    });

    it("reads the servers back from the one nginx renderer", () => {
        assert.deepEqual(upstreamServers(0), [{ track: "stable", weight: 100 }]);
        assert.deepEqual(upstreamServers(25), [
            { track: "stable", weight: 75 },
            { track: "canary", weight: 25 },
        ]);
    });

    it("is rendered per app with the current step marked", () => {
        const { markdown } = summarize({ stack: "staging", preview: smallPreview(), canaryPlan: STAGING.canaryPlan });
        assert.match(
            markdown,
            /\*\*storefront\*\*: stable `1\.4\.2`, canary `1\.5\.0`; now at \*\*10%\*\* \(step 1 of 4\)/,
        );
        assert.match(markdown, /\| 1 ◀ now \| 10% \| 2 \| 1 \| stable weight=90, canary weight=10 \|/);
        assert.match(markdown, /\| 4 \| 100% \| 2 \| 2 \| canary weight=100 \(stable left out\) \|/);
        assert.match(markdown, /60 s analysis window/);
    });

    it("shows production without a canary in progress", () => {
        const { markdown } = summarize({ stack: "production", preview: {}, canaryPlan: PRODUCTION.canaryPlan });
        assert.match(markdown, /no canary version set; no canary traffic now \(0%\)/);
        assert.match(markdown, /\| 5 \| 100% \| 4 \| 4 \| canary weight=100 \(stable left out\) \|/);
    });

    it("says why it is missing when the config is invalid", () => {
        const dir = mkdtempSync(join(tmpdir(), "summary-config-"));
        try {
            writeFileSync(
                join(dir, "Pulumi.bad.yaml"),
                readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8").replace(
                    "canaryPercent: 10",
                    "canaryPercent: 150",
                ),
            );
            const files = readStackFiles(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.bad.yaml"));
            assert.equal(files.canaryPlan, undefined);
            assert.match(files.canaryPlanError ?? "", /apps\[0\]\.canaryPercent: 150 is not a percentage/);
            const { markdown } = summarize({ stack: "bad", preview: {}, canaryPlanError: files.canaryPlanError });
            assert.match(markdown, /#### Canary plan\n_Not available: the stack config is invalid/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("knows which config keys are secret: declared in Pulumi.yaml or stored `secure:`", () => {
        assert.ok(STAGING.secretConfigKeys.has("cicd-platform:registryPassword"));
        assert.ok(STAGING.secretConfigKeys.has("cicd-platform:githubToken"));
        assert.ok(!STAGING.secretConfigKeys.has("cicd-platform:apps"));
    });
});
