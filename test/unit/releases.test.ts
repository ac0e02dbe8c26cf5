import { byName, ofType, registered, reset, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";

import { BlueGreenRelease, CanaryRelease, WeightedUpstream } from "../../components";
import { ComponentArgsError } from "../../components/shared/validators";

type Obj = Record<string, unknown>;
const get = (value: unknown, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>((v, key) => (v as Obj | undefined)?.[key as string], value);

function podSpec(deployment: { inputs: Obj }): Obj {
    return get(deployment.inputs, "spec", "template", "spec") as Obj;
}

function assertRestricted(deployment: { name: string; inputs: Obj }): void {
    const spec = podSpec(deployment);
    assert.deepEqual(
        get(spec, "securityContext"),
        {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
        },
        deployment.name,
    );
    for (const container of get(spec, "containers") as Obj[]) {
        assert.deepEqual(container.securityContext, {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.ok(get(container, "resources", "limits", "cpu"), `${deployment.name}: cpu limit`);
        assert.ok(get(container, "resources", "limits", "memory"), `${deployment.name}: memory limit`);
        assert.ok(get(container, "resources", "requests", "cpu"), `${deployment.name}: cpu request`);
        assert.ok(get(container, "resources", "requests", "ephemeral-storage"), `${deployment.name}: disk request`);
        assert.ok(get(container, "resources", "limits", "ephemeral-storage"), `${deployment.name}: disk limit`);
        assert.ok(get(container, "readinessProbe", "httpGet"), `${deployment.name}: readiness probe`);
        // Liveness is the cheaper, more tolerant check: a TCP connect, with more failures allowed.
        assert.ok(get(container, "livenessProbe", "tcpSocket"), `${deployment.name}: liveness probe`);
        assert.notDeepEqual(container.livenessProbe, container.readinessProbe, `${deployment.name}: probes differ`);
        assert.ok(
            (get(container, "livenessProbe", "failureThreshold") as number) *
                (get(container, "livenessProbe", "periodSeconds") as number) >
                (get(container, "readinessProbe", "failureThreshold") as number) *
                    (get(container, "readinessProbe", "periodSeconds") as number),
            `${deployment.name}: liveness tolerates longer than readiness`,
        );
        assert.match(String(container.imagePullPolicy), /^(Always|IfNotPresent)$/, `${deployment.name}: pull policy`);
    }
    for (const volume of (get(spec, "volumes") as Obj[] | undefined) ?? []) {
        if ("emptyDir" in volume) {
            assert.ok(
                get(volume, "emptyDir", "sizeLimit"),
                `${deployment.name}: emptyDir ${String(volume.name)} sizeLimit`,
            );
        }
    }
    assert.equal(spec.automountServiceAccountToken, false);
}

function assertSelectorMatchesTemplate(deployment: { name: string; inputs: Obj }): void {
    const selector = get(deployment.inputs, "spec", "selector", "matchLabels") as Obj;
    const labels = get(deployment.inputs, "spec", "template", "metadata", "labels") as Obj;
    for (const [key, value] of Object.entries(selector)) {
        assert.equal(labels[key], value, `${deployment.name}: template label ${key}`);
    }
}

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

describe("CanaryRelease", () => {
    beforeEach(reset);

    it("registers stable and canary tracks, their Services and PDBs, and the router", async () => {
        const release = new CanaryRelease("shop", {
            namespace: "apps",
            image: "registry.example.com/shop",
            stableVersion: "1.0.0",
            canaryVersion: "1.1.0",
            canaryPercent: 25,
            replicas: 4,
            imagePullSecrets: ["registry-credentials"],
        });
        await settle();

        assert.deepEqual(release.replicas, { stable: 4, canary: 1 });
        const stable = byName(DEPLOYMENT, "shop-stable");
        const canary = byName(DEPLOYMENT, "shop-canary");
        assert.equal(get(stable.inputs, "metadata", "name"), "shop-stable");
        assert.equal(get(stable.inputs, "spec", "replicas"), 4);
        assert.equal(get(canary.inputs, "spec", "replicas"), 1);
        assert.equal(get(podSpec(stable), "containers", 0, "image"), "registry.example.com/shop:1.0.0");
        assert.equal(get(podSpec(canary), "containers", 0, "image"), "registry.example.com/shop:1.1.0");
        assert.deepEqual(get(stable.inputs, "spec", "template", "metadata", "labels", "track"), "stable");
        assert.deepEqual(get(canary.inputs, "spec", "template", "metadata", "labels", "version"), "1.1.0");
        assert.deepEqual(get(podSpec(canary), "imagePullSecrets"), [{ name: "registry-credentials" }]);
        assert.equal(get(canary.inputs, "spec", "template", "metadata", "annotations", "prometheus.io/scrape"), "true");
        for (const deployment of ofType(DEPLOYMENT)) {
            assertRestricted(deployment);
            assertSelectorMatchesTemplate(deployment);
        }

        assert.deepEqual(get(byName(SERVICE, "shop-canary").inputs, "spec", "selector"), {
            app: "shop",
            track: "canary",
        });
        assert.deepEqual(get(byName(SERVICE, "shop-stable").inputs, "spec", "selector"), {
            app: "shop",
            track: "stable",
        });
        assert.deepEqual(get(byName(PDB, "shop-canary").inputs, "spec"), {
            maxUnavailable: 1,
            selector: { matchLabels: { app: "shop", track: "canary" } },
        });

        const conf = ofType(CONFIGMAP)[0];
        assert.ok(conf);
        assert.equal(get(conf.inputs, "metadata", "name"), undefined, "ConfigMap must be auto-named");
        const nginx = get(conf.inputs, "data", "nginx.conf") as string;
        assert.match(nginx, /server shop-stable\.apps\.svc:80 weight=75 max_fails=3 fail_timeout=30s;/);
        assert.match(nginx, /server shop-canary\.apps\.svc:80 weight=25 max_fails=3 fail_timeout=30s;/);
        assert.deepEqual(await valueOf(release.router.weights), { stable: 75, canary: 25 });
    });

    it("has no canary workload at 0% and routes everything to stable", async () => {
        const release = new CanaryRelease("shop", {
            namespace: "apps",
            image: "registry.example.com/shop",
            stableVersion: "1.0.0",
            canaryVersion: "1.1.0",
            canaryPercent: 0,
            replicas: 2,
        });
        await settle();
        assert.equal(release.canary, undefined);
        assert.deepEqual(
            ofType(DEPLOYMENT).map((d) => d.name),
            ["shop-stable", "shop-router"],
        );
        assert.equal(
            registered.some((r) => r.name === "shop-canary"),
            false,
        );
        const nginx = get(ofType(CONFIGMAP)[0]?.inputs, "data", "nginx.conf") as string;
        assert.doesNotMatch(nginx, /canary|weight=0/);
        assert.match(nginx, /server shop-stable\.apps\.svc:80 weight=100 /);
    });

    it("refuses canary traffic without a canary version and a percentage out of range, registering nothing", async () => {
        const base = { namespace: "apps", image: "r/app", stableVersion: "1", replicas: 2 };
        assert.throws(() => new CanaryRelease("a", { ...base, canaryPercent: 10 }), /a: canaryVersion: is required/);
        assert.throws(
            () => new CanaryRelease("b", { ...base, canaryVersion: "2", canaryPercent: 101 }),
            /b: canaryPercent: 101 is not a percentage/,
        );
        // Every problem at once, each naming the component and its field.
        const long = "c".repeat(70);
        assert.throws(
            () => new CanaryRelease(long, { ...base, replicas: 0, canaryPercent: 10 }),
            (error: unknown) => {
                assert.ok(error instanceof ComponentArgsError);
                assert.match(error.message, new RegExp(`^CanaryRelease "${long}": 4 invalid arguments:`));
                assert.deepEqual(
                    error.problems.map((p) => p.field),
                    ["canaryVersion", "replicas", "name", "app"],
                );
                return true;
            },
        );
        await settle();
        assert.deepEqual(registered, []);
    });
});

describe("WeightedUpstream", () => {
    beforeEach(reset);

    it("runs nginx unprivileged with a read-only root, mounting the auto-named ConfigMap", async () => {
        const upstream = new WeightedUpstream("edge", {
            namespace: "apps",
            stableBackend: "stable.apps.svc:80",
            canaryBackend: "canary.apps.svc:80",
            canaryPercent: 10,
            keepalive: 0,
            maxFails: 5,
            failTimeoutSeconds: 7,
        });
        await settle();
        const deployment = byName(DEPLOYMENT, "edge");
        assertRestricted(deployment);
        assertSelectorMatchesTemplate(deployment);
        assert.deepEqual(get(deployment.inputs, "spec", "strategy", "rollingUpdate"), {
            maxSurge: 1,
            maxUnavailable: 0,
        });
        assert.deepEqual(get(podSpec(deployment), "volumes", 0), {
            name: "config",
            configMap: { name: "edge-conf-mock" },
        });
        const text = await valueOf(upstream.nginxConfig);
        assert.match(text, /server stable\.apps\.svc:80 weight=90 max_fails=5 fail_timeout=7s;/);
        assert.doesNotMatch(text, /keepalive \d+;/);
        assert.doesNotMatch(text, /hash /, "no sticky cookie asked for");
        assert.equal(get(byName(SERVICE, "edge").inputs, "spec", "type"), "ClusterIP");
    });

    it("hands a canary's sticky cookie to its router's nginx.conf", async () => {
        new CanaryRelease("shop", {
            namespace: "apps",
            image: "r/app",
            stableVersion: "1",
            replicas: 2,
            canaryVersion: "2.0.0",
            canaryPercent: 10,
            stickyCookie: "cohort",
        });
        await settle();
        const nginx = get(ofType(CONFIGMAP)[0]?.inputs, "data", "nginx.conf") as string;
        assert.match(nginx, /hash \$canary_cohort consistent;/);
        assert.match(nginx, /map \$cookie_cohort \$canary_cohort \{/);
    });
});

/**
 * Runs a registered gate as both executors do (`/bin/bash -c`, the registered environment) with
 * stand-in checks in a temp dir: the health check fails until its `passOnAttempt`-th run, the smoke
 * test records what it saw and exits with `smokeExit`.
 */
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
