import { byName, ofType, registered, reset, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { CanaryRelease, WeightedUpstream } from "../../components";
import { ComponentArgsError } from "../../components/shared/validators";
import {
    assertRestricted,
    assertSelectorMatchesTemplate,
    CONFIGMAP,
    DEPLOYMENT,
    get,
    PDB,
    podSpec,
    SERVICE,
} from "./release-objects";

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
        // Created with each canary: not awaited (the router waits for the canary Deployment instead).
        assert.equal(
            get(byName(SERVICE, "shop-canary").inputs, "metadata", "annotations", "pulumi.com/skipAwait"),
            "true",
        );
        assert.equal(get(byName(SERVICE, "shop-stable").inputs, "metadata", "annotations"), undefined);
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
