/**
 * The PrivateRegistry component's options under Pulumi mocks: deletes, garbage collection, TLS and a
 * public host; data retention and protection; resources; an existing claim.
 */
import { byName, ofType, reset, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { parse } from "yaml";

import { PrivateRegistry } from "../../components/registry/private-registry";
import { COLLECTOR_SCRIPT, WRITER_SUPERVISOR_SCRIPT } from "../../components/registry/private-registry/gc-scripts";

import {
    base,
    containerNamed,
    CRONJOB,
    DEPLOYMENT,
    fast,
    get,
    NETPOL,
    type Obj,
    podSpec,
    PVC,
    RESTRICTED_CONTAINER,
    RESTRICTED_POD,
    SECRET,
    withOptions,
} from "./private-registry-fixture";

describe("PrivateRegistry options", () => {
    beforeEach(reset);

    it("GIVEN deletes, garbage collection, TLS and a public host THEN the CronJob, HTTPS probes and config follow", async () => {
        const registry = new PrivateRegistry("reg", {
            ...base,
            deleteEnabled: true,
            garbageCollectSchedule: "0 3 * * 0",
            garbageCollectDeleteUntagged: true,
            tlsSecretName: "registry-tls",
            publicPullEndpoint: "registry.example.com",
            publicPushEndpoint: "push.registry.example.com",
            ingressNamespaces: ["ingress-nginx"],
            pullCidrs: ["10.0.0.0/16"],
            storageSize: "100Gi",
            storageClassName: "fast",
            bcryptCost: 4,
        });
        await settle();

        const push = parse(registry.pushConfig) as Obj;
        const pull = parse(registry.pullConfig) as Obj;
        assert.equal(get(push, "storage", "delete", "enabled"), true);
        assert.equal(get(pull, "storage", "delete", "enabled"), false, "the reader never deletes");
        assert.equal(get(push, "storage", "cache"), undefined, "no descriptor cache once blobs can vanish");
        assert.equal(get(pull, "storage", "cache"), undefined);
        assert.deepEqual(get(push, "http", "tls"), { certificate: "/certs/tls.crt", key: "/certs/tls.key" });
        assert.deepEqual(get(pull, "http", "tls"), { certificate: "/certs/tls.crt", key: "/certs/tls.key" });

        const spec = podSpec(byName(DEPLOYMENT, "reg"));
        // With garbage collection the writer runs under its supervisor, which serves the read-only
        // config while a collection runs; the reader is as before.
        assert.deepEqual(containerNamed(spec, "push").command, [
            "sh",
            "-c",
            WRITER_SUPERVISOR_SCRIPT,
            "registry-writer",
            "registry",
            "/etc/docker/registry/config.yml",
            "/etc/docker/registry/push-read-only.yml",
            "/var/lib/registry/.maintenance",
            "60",
        ]);
        assert.equal(containerNamed(spec, "push").args, undefined);
        assert.deepEqual(containerNamed(spec, "pull").command, ["registry"]);
        const configData = get(ofType("kubernetes:core/v1:ConfigMap")[0]?.inputs, "data") as Obj;
        const readOnlyWriter = parse(configData["push-read-only.yml"] as string) as Obj;
        assert.equal(get(readOnlyWriter, "storage", "maintenance", "readonly", "enabled"), true);
        assert.equal(get(readOnlyWriter, "auth", "htpasswd", "path"), "/auth/htpasswd");
        assert.equal(get(push, "http", "draintimeout"), "10s", "uploads in flight finish before the switch");
        for (const role of ["push", "pull"]) {
            const c = containerNamed(spec, role);
            assert.equal(get(c, "readinessProbe", "httpGet", "scheme"), "HTTPS");
            assert.deepEqual((c.volumeMounts as Obj[]).at(-1), { name: "tls", mountPath: "/certs", readOnly: true });
        }
        assert.deepEqual((spec.volumes as Obj[]).at(-1), {
            name: "tls",
            secret: {
                secretName: "registry-tls",
                items: [
                    { key: "tls.crt", path: "tls.crt" },
                    { key: "tls.key", path: "tls.key" },
                ],
                defaultMode: 0o440,
            },
        });

        const claim = byName(PVC, "reg-data");
        assert.equal(get(claim.inputs, "spec", "storageClassName"), "fast");
        assert.equal(get(claim.inputs, "spec", "resources", "requests", "storage"), "100Gi");
        assert.match(
            get(byName(SECRET, "reg-auth").inputs, "stringData", "push.htpasswd") as string,
            /^ci-push:\$2y\$04\$/,
        );

        const policy = byName(NETPOL, "reg");
        assert.deepEqual(
            get(policy.inputs, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchExpressions", 0, "values"),
            ["ci", "ingress-nginx"],
        );
        assert.deepEqual(get(policy.inputs, "spec", "ingress", 1, "from"), [
            {
                namespaceSelector: {
                    matchExpressions: [
                        {
                            key: "kubernetes.io/metadata.name",
                            operator: "In",
                            values: ["apps", "monitoring", "ci", "ingress-nginx"],
                        },
                    ],
                },
            },
            { ipBlock: { cidr: "10.0.0.0/16" } },
        ]);

        const cron = byName(CRONJOB, "reg-gc");
        assert.equal(get(cron.inputs, "spec", "schedule"), "0 3 * * 0");
        assert.equal(get(cron.inputs, "spec", "concurrencyPolicy"), "Forbid");
        const gc = podSpec(cron, "spec", "jobTemplate");
        assert.equal(gc.restartPolicy, "Never");
        assert.deepEqual(gc.securityContext, RESTRICTED_POD);
        const gcContainer = containerNamed(gc, "garbage-collect");
        assert.deepEqual(gcContainer.command, [
            "sh",
            "-c",
            COLLECTOR_SCRIPT,
            "garbage-collect",
            "registry",
            "/etc/docker/registry/config.yml",
            "/var/lib/registry/.maintenance",
            "120",
            "--delete-untagged",
        ]);
        assert.deepEqual(gcContainer.securityContext, RESTRICTED_CONTAINER);
        assert.deepEqual(gc.initContainers, [
            {
                name: "prepare",
                image: "registry:2.8.3",
                imagePullPolicy: "Always",
                command: [
                    "mkdir",
                    "-p",
                    "/var/lib/registry/docker/registry/v2/repositories",
                    "/var/lib/registry/docker/registry/v2/blobs",
                    "/var/lib/registry/.maintenance",
                ],
                securityContext: RESTRICTED_CONTAINER,
                resources: gcContainer.resources,
                volumeMounts: [{ name: "data", mountPath: "/var/lib/registry" }],
            },
        ]);
        assert.deepEqual(gcContainer.volumeMounts, [
            { name: "config", mountPath: "/etc/docker/registry", readOnly: true },
            { name: "data", mountPath: "/var/lib/registry" },
            { name: "tmp", mountPath: "/tmp" },
        ]);
        assert.deepEqual(get(gc, "volumes", 1), { name: "data", persistentVolumeClaim: { claimName: "reg-data" } });
        assert.deepEqual(get(gc, "affinity", "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"), [
            {
                labelSelector: {
                    matchLabels: get(byName(DEPLOYMENT, "reg").inputs, "spec", "selector", "matchLabels"),
                },
                topologyKey: "kubernetes.io/hostname",
            },
        ]);
        // The GC pod is not a registry pod: neither the Services nor the NetworkPolicy select it.
        const gcLabels = get(cron.inputs, "spec", "jobTemplate", "spec", "template", "metadata", "labels") as Obj;
        assert.equal(gcLabels["app.kubernetes.io/component"], "registry-gc");

        assert.equal(await valueOf(registry.endpoint), "registry.example.com");
        assert.equal(await valueOf(registry.pushEndpoint), "push.registry.example.com");
    });

    it("GIVEN allowDataDeletion THEN the claim is not retained; GIVEN protectData THEN it is protected", async () => {
        const deletable = withOptions();
        new PrivateRegistry("reg", { ...fast, allowDataDeletion: true }, deletable.opts);
        const guarded = withOptions();
        new PrivateRegistry("kept", { ...fast, protectData: true }, guarded.opts);
        await settle();
        assert.equal(deletable.options.get(`${PVC}::reg-data`)?.retainOnDelete, false);
        assert.equal(guarded.options.get(`${PVC}::kept-data`)?.retainOnDelete, true);
        assert.equal(guarded.options.get(`${PVC}::kept-data`)?.protect, true);
    });

    it("GIVEN some resources THEN the rest keep the registry's defaults, not an application's", async () => {
        new PrivateRegistry("reg", { ...fast, resources: { cpuRequest: "200m" } });
        await settle();
        const registry = containerNamed(podSpec(byName(DEPLOYMENT, "reg")), "push");
        assert.deepEqual(get(registry, "resources"), {
            requests: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "64Mi" },
            limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "512Mi" },
        });
    });

    it("GIVEN existingClaimName THEN no claim is created and the pod mounts the given one", async () => {
        const registry = new PrivateRegistry("reg", { ...fast, existingClaimName: "reg-data-old" });
        await settle();
        assert.deepEqual(ofType(PVC), []);
        const volumes = podSpec(byName(DEPLOYMENT, "reg")).volumes as Obj[];
        assert.deepEqual(
            volumes.find((v) => v.name === "data"),
            { name: "data", persistentVolumeClaim: { claimName: "reg-data-old" } },
        );
        assert.equal(await valueOf(registry.claimName), "reg-data-old");
    });
});
