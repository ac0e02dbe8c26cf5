import { byName, ofType, reset, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";

import { BlueGreenRelease } from "../../components";
import { assertRestricted, assertSelectorMatchesTemplate, DEPLOYMENT, get, type Obj, SERVICE } from "./release-objects";

function runGate(
    gate: { inputs: Obj },
    options: { passOnAttempt: number; smokeExit?: number; attempts?: number },
): { status: number | null; output: string; healthRuns: number; smokeSaw?: string } {
    const dir = mkdtempSync(join(tmpdir(), "blue-green-gate-"));
    try {
        const registered = gate.inputs.environment as Record<string, string>;
        const result = spawnSync("/bin/bash", ["-c", gate.inputs.create as string], {
            encoding: "utf8",
            env: {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                ...registered,
                STUB_DIR: dir,
                GATE_HEALTH_CHECK: `n=$(( $(cat "$STUB_DIR/health" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$STUB_DIR/health"; [ "$n" -ge ${options.passOnAttempt} ]`,
                GATE_SMOKE_TEST: `echo "$TARGET_COLOR $TARGET_SERVICE $TARGET_URL" > "$STUB_DIR/smoke"; exit ${options.smokeExit ?? 0}`,
                GATE_INTERVAL_SECONDS: "0",
                ...(options.attempts === undefined ? {} : { GATE_ATTEMPTS: String(options.attempts) }),
            },
        });
        const read = (file: string): string | undefined => {
            try {
                return readFileSync(join(dir, file), "utf8").trim();
            } catch {
                return undefined;
            }
        };
        const smokeSaw = read("smoke");
        return {
            status: result.status,
            output: `${result.stdout}${result.stderr}`,
            healthRuns: Number(read("health") ?? "0"),
            ...(smokeSaw === undefined ? {} : { smokeSaw }),
        };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The gate's contract, checked by running it: retries, then the smoke test, and no pass on a failure. */
function assertGateBehaviour(gate: { inputs: Obj }, color: string): void {
    const env = gate.inputs.environment as Record<string, string>;
    const passes = runGate(gate, { passOnAttempt: 3 });
    assert.equal(passes.status, 0, passes.output);
    assert.equal(passes.healthRuns, 3, "retried until the health check passed");
    assert.match(passes.output, new RegExp(`health check of ${color} passed \\(attempt 3\\)`));
    assert.match(passes.output, /switching traffic/);
    assert.equal(passes.smokeSaw, `${color} ${env.TARGET_SERVICE} ${env.TARGET_URL}`, "the smoke test sees the target");

    const unhealthy = runGate(gate, { passOnAttempt: 99, attempts: 4 });
    assert.equal(unhealthy.status, 1, unhealthy.output);
    assert.equal(unhealthy.healthRuns, 4, "gave up after GATE_ATTEMPTS");
    assert.match(unhealthy.output, new RegExp(`health check of ${color} failed 4 times; traffic stays where it was`));
    assert.equal(unhealthy.smokeSaw, undefined, "no smoke test after a failed health check");

    const smokeFails = runGate(gate, { passOnAttempt: 1, smokeExit: 5 });
    assert.equal(smokeFails.status, 1, smokeFails.output);
    assert.match(smokeFails.output, new RegExp(`smoke test of ${color} failed; traffic stays where it was`));
    assert.doesNotMatch(smokeFails.output, /switching traffic/);
}

describe("BlueGreenRelease", () => {
    beforeEach(reset);

    const args = {
        namespace: "apps",
        image: "registry.example.com/checkout",
        blueVersion: "2.0.0",
        greenVersion: "2.1.0",
        replicas: 2,
        healthCheck: "curl -fsS $TARGET_URL/healthz",
        smokeTest: "./smoke $TARGET_URL",
    };

    for (const active of ["blue", "green"] as const) {
        it(`points the live Service at ${active} only through the gate`, async () => {
            new BlueGreenRelease("checkout", { ...args, activeColor: active, idleReplicas: 1 });
            await settle();
            const live = byName(SERVICE, "checkout");
            assert.deepEqual(get(live.inputs, "spec", "selector"), { app: "checkout", color: active });
            const gate = byName("command:local:Command", "checkout-gate");
            assert.deepEqual(gate.inputs.interpreter, ["/bin/bash", "-c"]);
            assert.equal(gate.inputs.update, gate.inputs.create, "an update runs the same gate");
            assertGateBehaviour(gate, active);
            const env = gate.inputs.environment as Obj;
            assert.match(env.TARGET_URL as string, new RegExp(`^http://checkout-${active}\\.apps\\.svc:\\d+$`));
            assert.equal(env.TARGET_COLOR, active);
            assert.equal(env.TARGET_SERVICE, `checkout-${active}`);
            assert.equal(env.TARGET_VERSION, active === "blue" ? "2.0.0" : "2.1.0");
            assert.equal(env.GATE_HEALTH_CHECK, args.healthCheck);
            assert.equal(env.GATE_ATTEMPTS, "30");
            assert.deepEqual(gate.inputs.triggers, [
                active,
                active === "blue" ? "2.0.0" : "2.1.0",
                "registry.example.com/checkout",
            ]);
            const idle = active === "blue" ? "green" : "blue";
            assert.equal(get(byName(DEPLOYMENT, `checkout-${active}`).inputs, "spec", "replicas"), 2);
            assert.equal(get(byName(DEPLOYMENT, `checkout-${idle}`).inputs, "spec", "replicas"), 1);
            for (const deployment of ofType(DEPLOYMENT)) {
                assertRestricted(deployment);
                assertSelectorMatchesTemplate(deployment);
            }
        });
    }

    it("makes the live Service depend on the gate, and the gate on both colours", async () => {
        const dependsOn = new Map<string, unknown[]>();
        const release = new BlueGreenRelease(
            "checkout",
            { ...args, activeColor: "blue" },
            {
                // Legacy transformations run in the SDK, so they see the options the engine will get.
                transformations: [
                    (child) => {
                        const deps = child.opts.dependsOn;
                        dependsOn.set(`${child.type}::${child.name}`, Array.isArray(deps) ? deps : [deps]);
                        return undefined;
                    },
                ],
            },
        );
        assert.deepEqual(dependsOn.get("kubernetes:core/v1:Service::checkout"), [release.gate]);
        const gateDeps = dependsOn.get("command:local:Command::checkout-gate") ?? [];
        assert.ok(gateDeps.includes(release.tracks.blue.deployment));
        assert.ok(gateDeps.includes(release.tracks.green.deployment));
        assert.ok(gateDeps.includes(release.tracks.blue.service));
        await settle();
    });

    it("can run the same gate in-process, for engines without the command plugin", async () => {
        const dependsOn = new Map<string, unknown[]>();
        const release = new BlueGreenRelease(
            "checkout",
            { ...args, activeColor: "green", gateExecutor: "dynamic" },
            {
                transformations: [
                    (child) => {
                        const deps = child.opts.dependsOn;
                        dependsOn.set(child.name, Array.isArray(deps) ? deps : [deps]);
                        return undefined;
                    },
                ],
            },
        );
        await settle();
        assert.equal(ofType("command:local:Command").length, 0);
        const gate = byName("pulumi-nodejs:dynamic/local-script:Resource", "checkout-gate");
        assertGateBehaviour(gate, "green");
        assert.equal((gate.inputs.environment as Obj).TARGET_COLOR, "green");
        assert.deepEqual(gate.inputs.triggers, ["green", "2.1.0", "registry.example.com/checkout"]);
        assert.deepEqual(dependsOn.get("checkout"), [release.gate]);
    });

    it("rejects an unknown colour", () => {
        assert.throws(
            () => new BlueGreenRelease("x", { ...args, activeColor: "purple" as "blue" }),
            /x: activeColor: "purple" must be "blue" or "green"/,
        );
    });
});
