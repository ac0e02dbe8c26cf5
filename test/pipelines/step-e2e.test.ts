/**
 * ci/steps/e2e after a promotion, against the canary lab's real nginx and backend processes (the
 * local cluster's pods are simulated, so no release URL answers there): the canary controller
 * promotes 2.0.0 through the lab's stack with real Prometheus analysis, then the step runs the
 * fixture application's E2E command against the router with exactly its documented variables.
 * It passes on the promoted release and fails, exit 1, when the release answers errors: the
 * stage the forges put between staging and production stops the pipeline there
 * (forge-glue.test.ts checks that production needs it on every forge).
 */
// @serial: a canary lab promotion judged on latency (p95) under load
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { FileConfigStack } from "../canary/file-config-stack";
import { CanaryLab, directDeploy, writeStackFile } from "../canary/lab";
import { runScenario, type StackFactory } from "../canary/scenario";
import { runStep } from "./steps";
import { ROOT } from "./tools";

const CHECKOUT = join(ROOT, "test", "pipelines", "fixtures", "services-app");

const labStack: StackFactory = async (lab, steps) => {
    const file = join(lab.settings.stateDir, "Pulumi.lab.yaml");
    await writeStackFile(file, lab, steps);
    const stack = new FileConfigStack("lab", file, directDeploy(lab));
    await stack.up(); // stable 1.0.0 behind nginx
    return { stack, stackFile: file, dispose: () => Promise.resolve() };
};

describe("ci/steps/e2e against the canary lab's real nginx and backend processes", { timeout: 300_000 }, () => {
    let lab: CanaryLab;
    let url = "";

    before(async () => {
        lab = await CanaryLab.create();
        const promoted = await runScenario(lab, labStack, { imageVersion: "2.0.0", steps: [50, 100] });
        assert.equal(promoted.result.outcome, "promoted", promoted.result.message);
        url = `http://127.0.0.1:${lab.settings.nginxPort}`;
    });

    after(async () => {
        await lab.dispose();
    });

    const e2e = () =>
        runStep(
            "e2e",
            { E2E_COMMAND: "E2E_EXPECT_VERSION=2.0.0 sh e2e/smoke.sh", E2E_URL: url, E2E_WAIT_SECONDS: "10" },
            { cwd: CHECKOUT },
        );

    it("passes after the promotion: every request answered by the promoted 2.0.0 through nginx", async () => {
        const result = await e2e();
        assert.equal(result.code, 0, `${result.stdout}${result.stderr}\n${await lab.logs()}`);
        assert.match(result.stdout, /e2e: 100 requests answered 200 by 2\.0\.0/);
        assert.match(result.stderr, /\[e2e\] the E2E tests passed against http:\/\/127\.0\.0\.1:\d+/);
    });

    it("fails with exit 1 when the promoted release answers errors (5% of requests 500)", async () => {
        // The promoted version now runs as the stable track; its backend reads a new error ratio on SIGUSR2.
        const stateDir = lab.settings.stateDir;
        await writeFile(join(stateDir, "stable.error-ratio"), "0.05\n");
        process.kill(Number((await readFile(join(stateDir, "stable.pid"), "utf8")).trim()), "SIGUSR2");
        const result = await e2e();
        assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /e2e: request \d+ to .* answered "500 2\.0\.0", expected "200 2\.0\.0"/);
        assert.match(result.stderr, /\[e2e\] the E2E tests failed against/);
    });

    it("fails with exit 1 when the URL never answers", async () => {
        const result = await runStep(
            "e2e",
            { E2E_COMMAND: "true", E2E_URL: "http://127.0.0.1:9/", E2E_WAIT_SECONDS: "2" },
            { cwd: CHECKOUT },
        );
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /did not answer within 2s/);
    });
});
