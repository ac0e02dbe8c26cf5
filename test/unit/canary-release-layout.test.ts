/**
 * The canary commands on a release stack's file (project cicd-release): GIVEN a release stack file
 * WHEN the driver prepares, steps and promotes THEN it edits `cicd-release:canary.*` only, takes the
 * steps from the stack's `rollout` output (one up first when it has none), and every up carries the
 * policy pack's options; the blue-green driver switches `cicd-release:blueGreen.active` the same way.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import type { OutputMap } from "@pulumi/pulumi/automation";
import { parse } from "yaml";

import { BlueGreenStackDriver } from "../../delivery/blue-green/driver";
import { StackDriver } from "../../delivery/canary/stack-driver";
import { atPath, configKey, releaseLayout, type StackLayout, withAtPath } from "../../delivery/shared/stack-layout";
import { FileConfigStack } from "../canary/file-config-stack";

const STACK_FILE = `# storefront in staging: the application repository's deploy/Pulumi.storefront-staging.yaml
config:
  cicd-release:environment: staging
  cicd-release:namespace: shop-staging
  cicd-release:canary:
    name: storefront
    image: registry.example.com/shop/storefront
    stableVersion: 1.4.2
    replicas: 2
`;

const BLUE_GREEN_FILE = `config:
  cicd-release:environment: staging
  cicd-release:namespace: shop-staging
  cicd-release:blueGreen:
    name: checkout
    image: registry.example.com/shop/checkout
    blueVersion: 2.0.0
    greenVersion: 2.1.0
    active: blue
    healthCheck: "true"
    smokeTest: "true"
`;

const ROLLOUT = {
    steps: [20, 100],
    bakeSeconds: 0,
    splitDesignEffect: 1,
    analysis: {
        maxErrorRatio: 0.02,
        maxRatioVsStable: 2,
        ratioFloor: 0.001,
        maxP95Seconds: 0.5,
        minRequests: 10,
        intervalSeconds: 30,
        maxNoDataIntervals: 2,
    },
};

/** A file-backed stack whose up records its options and, once up, has the release stack's outputs. */
class ReleaseFileStack extends FileConfigStack {
    readonly upOptions: Record<string, unknown>[] = [];
    deployed = false;

    override async up(opts?: Record<string, unknown>): Promise<unknown> {
        this.upOptions.push({ ...opts });
        this.deployed = true;
        return super.up(opts as { onOutput?: (out: string) => void });
    }

    outputs(): Promise<OutputMap> {
        const deployed: OutputMap = { rollout: { value: ROLLOUT, secret: false } };
        return Promise.resolve(this.deployed ? deployed : {});
    }
}

const POLICY = { policyPacks: ["/platform/policy"], policyPackConfigs: ["/platform/policy/config/staging.json"] };

describe("canary drivers on a release stack", () => {
    let dir: string;
    let file: string;
    const policyCalls: string[] = [];
    let layout: StackLayout;

    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "release-layout-"));
        file = join(dir, "Pulumi.storefront-staging.yaml");
        await writeFile(file, STACK_FILE);
        policyCalls.length = 0;
        layout = releaseLayout("/platform", (_root, stackName) => {
            policyCalls.push(stackName);
            return Promise.resolve(POLICY);
        });
    });

    afterEach(async () => {
        await rm(dir, { recursive: true, force: true });
    });

    it("GIVEN a never-deployed release stack WHEN prepared THEN one up reads the platform's steps, with the policy pack", async () => {
        const stack = new ReleaseFileStack("storefront-staging", file);
        const output: string[] = [];
        const onOutput = (text: string) => output.push(text);
        const driver = new StackDriver(stack, {
            app: "storefront",
            imageVersion: "1.5.0",
            stackFile: file,
            layout,
            onOutput,
        });
        const plan = await driver.prepare();
        assert.deepEqual(output, [
            "storefront-staging was never deployed: one up of its committed config first (no canary yet)",
        ]);
        assert.deepEqual(plan.steps, [20, 100]);
        assert.equal(plan.analysis.intervalSeconds, 30);
        assert.equal(stack.upOptions.length, 1, "one up to read the settings");
        const [first] = stack.upOptions;
        assert.ok(first);
        assert.deepEqual(first.policyPacks, POLICY.policyPacks);
        assert.equal(first.onOutput, onOutput, "the first up streams where the steps' ups do");
        const canary = (parse(await readFile(file, "utf8")) as { config: Record<string, Record<string, unknown>> })
            .config["cicd-release:canary"];
        assert.equal(canary?.canaryVersion, "1.5.0");
    });

    it("GIVEN a deployed release stack WHEN stepped and promoted THEN each step is one up with the pack, and the file ends promoted", async () => {
        const stack = new ReleaseFileStack("storefront-staging", file);
        stack.deployed = true;
        const driver = new StackDriver(stack, { app: "storefront", imageVersion: "1.5.0", stackFile: file, layout });
        await driver.prepare();
        assert.equal(stack.upOptions.length, 0, "outputs present: no extra up");
        await driver.setCanaryPercent(20);
        const change = await driver.promote();
        assert.equal(stack.upOptions.length, 2);
        for (const options of stack.upOptions) {
            assert.deepEqual(options.policyPackConfigs, POLICY.policyPackConfigs);
        }
        assert.deepEqual(policyCalls, ["storefront-staging"], "the pack's options asked once, not before every up");
        assert.deepEqual(
            stack.ups.map((u) => (u.config["cicd-release:canary"] as Record<string, unknown>).canaryPercent),
            [20, 0],
        );
        assert.ok(change.diff.includes("-    stableVersion: 1.4.2"), change.diff.join("\n"));
        assert.ok(change.diff.includes("+    stableVersion: 1.5.0"), change.diff.join("\n"));
    });

    it("GIVEN the pack's options failed once WHEN the next up asks THEN they are asked again, not kept failed", async () => {
        let calls = 0;
        const flaky = releaseLayout("/platform", () => {
            calls += 1;
            return calls === 1 ? Promise.reject(new Error("policy-args failed")) : Promise.resolve(POLICY);
        });
        await assert.rejects(flaky.upOptions("storefront-staging"), /policy-args failed/);
        assert.deepEqual(await flaky.upOptions("storefront-staging"), POLICY);
        assert.deepEqual(await flaky.upOptions("storefront-staging"), POLICY);
        assert.equal(calls, 2);
    });

    it("GIVEN another app's name or a misnamed stack WHEN prepared THEN it is refused before anything is written", async () => {
        const stack = new ReleaseFileStack("storefront-staging", file);
        stack.deployed = true;
        await assert.rejects(
            new StackDriver(stack, { app: "search", imageVersion: "1.5.0", stackFile: file, layout }).prepare(),
            /--app: stack storefront-staging holds the canary release "storefront", not "search"/,
        );
        const misnamed = new ReleaseFileStack("storefront-production", file);
        await assert.rejects(
            new StackDriver(misnamed, { app: "storefront", imageVersion: "1.5.0", stackFile: file, layout }).prepare(),
            /name it "storefront-staging"/,
        );
        assert.equal(await readFile(file, "utf8"), STACK_FILE);
    });

    it("GIVEN a blue-green release stack WHEN switched THEN cicd-release:blueGreen.active moves in one up with the pack", async () => {
        const bgFile = join(dir, "Pulumi.checkout-staging.yaml");
        await writeFile(bgFile, BLUE_GREEN_FILE);
        const stack = new ReleaseFileStack("checkout-staging", bgFile);
        const driver = new BlueGreenStackDriver(stack, { release: "checkout", to: "green", stackFile: bgFile, layout });
        const plan = await driver.prepare();
        assert.equal(plan.toVersion, "2.1.0");
        await driver.switchTo();
        assert.equal(stack.upOptions.length, 1);
        assert.deepEqual(stack.upOptions[0]?.policyPacks, POLICY.policyPacks);
        const config = (parse(await readFile(bgFile, "utf8")) as { config: Record<string, Record<string, unknown>> })
            .config;
        assert.equal(config["cicd-release:blueGreen"]?.active, "green");
    });
});

describe("config paths", () => {
    it("names keys the way `pulumi config set --path` takes them", () => {
        assert.equal(configKey("cicd-platform", ["apps", 2], "stableVersion"), "cicd-platform:apps[2].stableVersion");
        assert.equal(configKey("cicd-release", ["canary"], "canaryPercent"), "cicd-release:canary.canaryPercent");
    });

    it("reads and replaces the object at a path without touching the original", () => {
        const values = { apps: [{ name: "a" }, { name: "b" }] };
        assert.deepEqual(atPath(values, ["apps", 1]), { name: "b" });
        const changed = withAtPath(values, ["apps", 1], { name: "c" });
        assert.deepEqual(changed, { apps: [{ name: "a" }, { name: "c" }] });
        assert.deepEqual(values, { apps: [{ name: "a" }, { name: "b" }] });
    });
});
