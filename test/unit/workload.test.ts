import { byName, reset, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { CanaryRelease } from "../../components";
import { pullPolicyFor, replicaSpread } from "../../components/shared/placement";

type Obj = Record<string, unknown>;
const get = (value: unknown, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>((v, key) => (v as Obj | undefined)?.[key as string], value);

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("workload manifests", () => {
    beforeEach(reset);

    it("pulls a digest IfNotPresent and a tag Always, unless told otherwise", async () => {
        assert.equal(await valueOf(pullPolicyFor(`registry.example.com/a@${DIGEST}`)), "IfNotPresent");
        assert.equal(await valueOf(pullPolicyFor("registry.example.com:5000/a:1.2.3")), "Always");
        assert.equal(await valueOf(pullPolicyFor("registry.example.com/a:1.2.3", "IfNotPresent")), "IfNotPresent");
    });

    it("spreads two replicas or more over nodes, and leaves one replica alone", async () => {
        const two = await valueOf(replicaSpread({ app: "a" }, 2).topologySpreadConstraints as never);
        assert.deepEqual(two, [
            {
                topologyKey: "kubernetes.io/hostname",
                maxSkew: 1,
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { app: "a" } },
                matchLabelKeys: ["pod-template-hash"],
            },
        ]);
        assert.equal(await valueOf(replicaSpread({ app: "a" }, 1).topologySpreadConstraints as never), undefined);
        const strict = await valueOf(
            replicaSpread({ app: "a" }, 3, { whenUnsatisfiable: "DoNotSchedule", topologyKey: "zone" })
                .topologySpreadConstraints as never,
        );
        assert.equal(get(strict, 0, "whenUnsatisfiable"), "DoNotSchedule");
        assert.equal(get(strict, 0, "topologyKey"), "zone");
    });

    it("a release's pods: disk requests and limits, a bounded /tmp, distinct probes, digest pull policy, settable", async () => {
        new CanaryRelease("api", {
            namespace: "ns",
            image: "registry.example.com/a",
            stableVersion: DIGEST,
            replicas: 3,
            resources: { ephemeralStorageLimit: "1Gi", tmpSizeLimit: "128Mi" },
            probes: { livenessFailureThreshold: 10 },
            imagePullPolicy: "Always",
        });
        await settle();
        const deployment = byName("kubernetes:apps/v1:Deployment", "api-stable");
        const spec = get(deployment.inputs, "spec", "template", "spec") as Obj;
        const app = get(spec, "containers", 0) as Obj;
        assert.deepEqual(get(app, "resources", "limits", "ephemeral-storage"), "1Gi");
        assert.deepEqual(get(app, "resources", "requests", "ephemeral-storage"), "64Mi");
        assert.deepEqual(get(spec, "volumes", 0), { name: "tmp", emptyDir: { sizeLimit: "128Mi" } });
        assert.deepEqual(get(app, "readinessProbe"), {
            httpGet: { path: "/healthz", port: 8080 },
            periodSeconds: 5,
            failureThreshold: 3,
        });
        assert.deepEqual(get(app, "livenessProbe"), {
            tcpSocket: { port: 8080 },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 10,
        });
        assert.equal(app.imagePullPolicy, "Always", "the explicit policy wins over the digest's");
        assert.equal(get(spec, "topologySpreadConstraints", 0, "maxSkew"), 1);
        assert.match(
            String(
                get(
                    deployment.inputs,
                    "metadata",
                    "annotations",
                    "lint.cicd.platform/waive.deployment-has-host-podantiaffinity",
                ),
            ),
            /topologySpreadConstraints/,
        );
        const router = byName("kubernetes:apps/v1:Deployment", "api-router");
        const nginx = get(router.inputs, "spec", "template", "spec", "containers", 0) as Obj;
        assert.equal(nginx.imagePullPolicy, "Always", "the router's default image is a tag");
        assert.ok(get(nginx, "livenessProbe", "tcpSocket"));
    });
});
