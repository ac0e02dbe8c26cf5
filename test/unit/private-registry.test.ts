/**
 * The PrivateRegistry component under Pulumi mocks with its defaults: config, auth, claim, the
 * two-process pod, Services and NetworkPolicy; a byte-identical htpasswd on re-run; every bad
 * argument refused naming its field. Its options (garbage collection, TLS, data retention,
 * resources, an existing claim) are in private-registry-options.test.ts.
 */
import {
    byName,
    isSecretOutput,
    isSecretValue,
    rawAt,
    registered,
    reset,
    settle,
    valueOf,
} from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import * as bcrypt from "bcryptjs";
import { parse } from "yaml";

import { PrivateRegistry, type PrivateRegistryArgs } from "../../components/registry/private-registry";
import { deterministicBcryptSalt, htpasswdEntry } from "../../components/registry/htpasswd";
import { garbageCollectCommand, renderRegistryConfig } from "../../components/registry/registry-config";

import {
    base,
    COMPONENT,
    CONFIGMAP,
    containerNamed,
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
    SERVICE,
    withOptions,
} from "./private-registry-fixture";

describe("PrivateRegistry", () => {
    beforeEach(reset);

    it("GIVEN defaults WHEN constructed THEN registers config, auth, claim, two-process pod, Services and NetworkPolicy", async () => {
        const { options, opts } = withOptions();
        const registry = new PrivateRegistry("reg", base, opts);
        await settle();

        assert.deepEqual(
            registered.map((r) => `${r.type}::${r.name}`).sort(),
            [
                `${COMPONENT}::reg`,
                `${CONFIGMAP}::reg-config`,
                `${SECRET}::reg-auth`,
                `${PVC}::reg-data`,
                `${DEPLOYMENT}::reg`,
                `${SERVICE}::reg`,
                `${SERVICE}::reg-push`,
                `${NETPOL}::reg`,
            ].sort(),
        );

        // ConfigMap: auto-named, holding exactly the renderer's text for both processes.
        const configMap = byName(CONFIGMAP, "reg-config");
        assert.equal(get(configMap.inputs, "metadata", "name"), undefined, "ConfigMap must be auto-named");
        assert.equal(get(configMap.inputs, "metadata", "namespace"), "registry");
        const pushText = get(configMap.inputs, "data", "config.yml") as string;
        const pullText = get(configMap.inputs, "data", "pull.yml") as string;
        assert.equal(pushText, registry.pushConfig);
        assert.equal(pullText, registry.pullConfig);
        const push = parse(pushText) as Obj;
        const pull = parse(pullText) as Obj;
        assert.equal(get(push, "storage", "filesystem", "rootdirectory"), "/var/lib/registry");
        assert.equal(get(push, "http", "addr"), ":5000");
        assert.equal(get(pull, "http", "addr"), ":5001");
        assert.equal(get(push, "auth", "htpasswd", "path"), "/auth/htpasswd");
        assert.equal(get(push, "storage", "maintenance", "readonly", "enabled"), false);
        assert.equal(get(pull, "storage", "maintenance", "readonly", "enabled"), true);
        assert.equal(get(pull, "storage", "maintenance", "uploadpurging", "enabled"), false);
        assert.equal(get(push, "storage", "delete", "enabled"), false);
        assert.equal(get(push, "storage", "cache", "blobdescriptor"), "inmemory", "cache is safe without deletes");
        assert.equal(get(push, "http", "secret"), undefined, "the http secret must not land in a ConfigMap");
        assert.equal(get(push, "http", "tls"), undefined);
        assert.equal(get(push, "health", "storagedriver", "enabled"), true);
        assert.doesNotMatch(pushText + pullText, /0123456789abcdef|password/);

        // Secret: every value a secret, the htpasswd files bcrypt entries of one user each.
        const secret = byName(SECRET, "reg-auth");
        assert.equal(get(secret.inputs, "metadata", "name"), undefined, "Secret must be auto-named");
        for (const key of ["push.htpasswd", "pull.htpasswd", "http-secret"]) {
            // The SDK may mark the whole stringData map secret, or each value: either hides them.
            assert.ok(
                isSecretValue(rawAt(secret, "stringData")) || isSecretValue(rawAt(secret, "stringData", key)),
                `stringData.${key} must be secret`,
            );
        }
        const pushLine = (get(secret.inputs, "stringData", "push.htpasswd") as string).trim();
        const pullLine = (get(secret.inputs, "stringData", "pull.htpasswd") as string).trim();
        assert.match(pushLine, /^ci-push:\$2y\$08\$[./A-Za-z0-9]{53}$/);
        assert.match(pullLine, /^cluster-pull:\$2y\$08\$[./A-Za-z0-9]{53}$/);
        assert.ok(bcrypt.compareSync("push-password-0001", pushLine.slice("ci-push:".length)));
        assert.ok(bcrypt.compareSync("pull-password-0001", pullLine.slice("cluster-pull:".length)));
        assert.ok(!bcrypt.compareSync("pull-password-0001", pushLine.slice("ci-push:".length)));

        // Claim: named, kept on destroy by default, not protected.
        const claim = byName(PVC, "reg-data");
        assert.equal(get(claim.inputs, "metadata", "name"), "reg-data");
        assert.deepEqual(get(claim.inputs, "spec", "accessModes"), ["ReadWriteOnce"]);
        assert.equal(get(claim.inputs, "spec", "resources", "requests", "storage"), "20Gi");
        assert.equal(options.get(`${PVC}::reg-data`)?.retainOnDelete, true);
        assert.equal(options.get(`${PVC}::reg-data`)?.protect, false);

        // Deployment: one replica, Recreate (RWO), restricted pod, two registry processes.
        const deployment = byName(DEPLOYMENT, "reg");
        assert.equal(get(deployment.inputs, "spec", "replicas"), 1);
        assert.deepEqual(get(deployment.inputs, "spec", "strategy"), { type: "Recreate" });
        const spec = podSpec(deployment);
        assert.deepEqual(spec.securityContext, RESTRICTED_POD);
        assert.equal(spec.automountServiceAccountToken, false);
        assert.equal(spec.enableServiceLinks, false);
        const selector = get(deployment.inputs, "spec", "selector", "matchLabels") as Obj;
        const podLabels = get(deployment.inputs, "spec", "template", "metadata", "labels") as Obj;
        for (const [key, value] of Object.entries(selector)) {
            assert.equal(podLabels[key], value, `template label ${key}`);
        }
        assert.deepEqual(
            (spec.containers as Obj[]).map((c) => c.name),
            ["push", "pull"],
        );
        for (const [role, port, config] of [
            ["push", 5000, "/etc/docker/registry/config.yml"],
            ["pull", 5001, "/etc/docker/registry/pull.yml"],
        ] as const) {
            const c = containerNamed(spec, role);
            assert.equal(c.image, "registry:2.8.3");
            assert.deepEqual(c.command, ["registry"]);
            assert.deepEqual(c.args, ["serve", config]);
            assert.deepEqual(c.ports, [{ name: role, containerPort: port, protocol: "TCP" }]);
            assert.deepEqual(c.securityContext, RESTRICTED_CONTAINER);
            assert.deepEqual(get(c, "readinessProbe", "httpGet"), { path: "/", port, scheme: "HTTP" });
            // Liveness only asks whether the process listens: a storage outage must not restart it.
            assert.deepEqual(get(c, "livenessProbe", "tcpSocket"), { port });
            assert.equal(c.imagePullPolicy, "Always", "a tag is pulled every start");
            assert.ok(get(c, "resources", "limits", "memory"));
            assert.deepEqual(get(c, "env", 0), {
                name: "REGISTRY_HTTP_SECRET",
                valueFrom: { secretKeyRef: { name: "reg-auth-mock", key: "http-secret" } },
            });
            assert.deepEqual(c.volumeMounts, [
                { name: "config", mountPath: "/etc/docker/registry", readOnly: true },
                { name: `auth-${role}`, mountPath: "/auth", readOnly: true },
                { name: "data", mountPath: "/var/lib/registry", readOnly: role === "pull" },
                { name: "tmp", mountPath: "/tmp" },
            ]);
        }
        assert.deepEqual(spec.volumes, [
            { name: "config", configMap: { name: "reg-config-mock" } },
            {
                name: "auth-push",
                secret: {
                    secretName: "reg-auth-mock",
                    items: [{ key: "push.htpasswd", path: "htpasswd" }],
                    defaultMode: 0o440,
                },
            },
            {
                name: "auth-pull",
                secret: {
                    secretName: "reg-auth-mock",
                    items: [{ key: "pull.htpasswd", path: "htpasswd" }],
                    defaultMode: 0o440,
                },
            },
            { name: "data", persistentVolumeClaim: { claimName: "reg-data" } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ]);

        // Services: `reg` is the pull endpoint, `reg-push` the push endpoint.
        for (const [svcName, role] of [
            ["reg", "pull"],
            ["reg-push", "push"],
        ] as const) {
            const svc = byName(SERVICE, svcName);
            assert.equal(get(svc.inputs, "metadata", "name"), svcName);
            assert.equal(get(svc.inputs, "spec", "type"), "ClusterIP");
            assert.deepEqual(get(svc.inputs, "spec", "selector"), selector);
            assert.deepEqual(get(svc.inputs, "spec", "ports"), [
                { name: role, port: 5000, targetPort: role, protocol: "TCP" },
            ]);
        }

        // NetworkPolicy: push port from CI only, pull port from pull and CI namespaces.
        const policy = byName(NETPOL, "reg");
        assert.deepEqual(get(policy.inputs, "spec", "podSelector"), { matchLabels: selector });
        assert.deepEqual(get(policy.inputs, "spec", "policyTypes"), ["Ingress"]);
        const nsPeer = (values: string[]) => ({
            namespaceSelector: {
                matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values }],
            },
        });
        assert.deepEqual(get(policy.inputs, "spec", "ingress"), [
            { from: [nsPeer(["ci"])], ports: [{ protocol: "TCP", port: 5000 }] },
            { from: [nsPeer(["apps", "monitoring", "ci"])], ports: [{ protocol: "TCP", port: 5001 }] },
        ]);

        // Outputs the fan-out takes.
        assert.equal(await valueOf(registry.endpoint), "reg.registry.svc.cluster.local:5000");
        assert.equal(await valueOf(registry.pushEndpoint), "reg-push.registry.svc.cluster.local:5000");
        assert.equal(await valueOf(registry.pullUsername), "cluster-pull");
        assert.equal(await valueOf(registry.pushUsername), "ci-push");
        assert.equal(await valueOf(registry.pullPassword), "pull-password-0001");
        assert.equal(await isSecretOutput(registry.pullPassword), true);
        assert.equal(await isSecretOutput(registry.pushPassword), true);
        assert.equal(await isSecretOutput(registry.endpoint), false);
        assert.equal(await valueOf(registry.claimName), "reg-data");
        assert.equal(registry.garbageCollection, undefined);
    });

    it("GIVEN the same inputs twice THEN the htpasswd is byte-identical (no Secret churn on re-run)", async () => {
        new PrivateRegistry("reg", fast);
        await settle();
        const first = get(byName(SECRET, "reg-auth").inputs, "stringData") as Obj;
        reset();
        new PrivateRegistry("reg", fast);
        await settle();
        const second = get(byName(SECRET, "reg-auth").inputs, "stringData") as Obj;
        assert.deepEqual(second, first);

        reset();
        new PrivateRegistry("reg", { ...fast, pullPassword: "pull-password-0002" });
        await settle();
        const rotated = get(byName(SECRET, "reg-auth").inputs, "stringData") as Obj;
        assert.equal(rotated["push.htpasswd"], first["push.htpasswd"], "the untouched user keeps its hash");
        assert.notEqual(rotated["pull.htpasswd"], first["pull.htpasswd"], "a new password gives a new hash");
    });

    const invalid: [string, Partial<PrivateRegistryArgs> & { name?: string }, RegExp][] = [
        ["a name that is no DNS label", { name: "Reg_1" }, /\n  - Reg_1: name: "Reg_1" must be a DNS-1123 label/],
        [
            "the same user twice",
            { pushUsername: "ci", pullUsername: "ci" },
            /reg: pullUsername: "ci" is also the push user/,
        ],
        ["a user name with a colon", { pushUsername: "ci:push" }, /reg: pushUsername: "ci:push" must match/],
        ["no push namespace", { pushNamespaces: [] }, /reg: pushNamespaces: needs at least one namespace/],
        ["a bad CIDR", { pullCidrs: ["10.0.0.0"] }, /reg: pullCidrs: "10.0.0.0" is not a CIDR/],
        ["a bad storage size", { storageSize: "20 GB" }, /reg: storageSize: "20 GB" is not a Kubernetes quantity/],
        ["a bad schedule", { garbageCollectSchedule: "every sunday" }, /reg: garbageCollectSchedule: "every sunday"/],
        [
            "delete-untagged without schedule",
            { garbageCollectDeleteUntagged: true },
            /reg: garbageCollectDeleteUntagged: needs garbageCollectSchedule/,
        ],
        [
            "protect and allow deletion",
            { protectData: true, allowDataDeletion: true },
            /reg: protectData: contradicts allowDataDeletion/,
        ],
        [
            "a size for an existing claim",
            { existingClaimName: "x", storageSize: "1Gi" },
            /reg: existingClaimName: storageSize/,
        ],
        ["a port out of range", { servicePort: 70000 }, /reg: servicePort: 70000 is not a port/],
        ["a bcrypt cost too high", { bcryptCost: 13 }, /reg: bcryptCost: 13 is not an integer 4-12/],
        [
            "a memory request above the registry's default limit",
            { resources: { memoryRequest: "1Gi" } },
            /reg: resources\.memoryRequest: memoryRequest "1Gi" exceeds memoryLimit "512Mi" \(the default\)/,
        ],
    ];
    for (const [what, change, message] of invalid) {
        it(`refuses ${what}, naming the field, and registers nothing`, async () => {
            const { name = "reg", ...rest } = change;
            assert.throws(() => new PrivateRegistry(name, { ...base, ...rest }), message);
            await settle();
            assert.deepEqual(registered, []);
        });
    }
});

const ONE = "first-password-0001";
const TWO = "second-password-002";

describe("registry renderers", () => {
    it("derives the bcrypt salt from the key and the user, never from the password", () => {
        const a = htpasswdEntry("ci-push", ONE, "key-1", 4);
        const b = htpasswdEntry("ci-push", TWO, "key-1", 4);
        const salt = (line: string) => line.split("$")[3]?.slice(0, 22);
        assert.equal(salt(a), salt(b), "same key and user: same salt whatever the password");
        assert.notEqual(salt(htpasswdEntry("other", ONE, "key-1", 4)), salt(a), "per-user salt");
        assert.notEqual(salt(htpasswdEntry("ci-push", ONE, "key-2", 4)), salt(a), "per-registry salt");
        assert.equal(htpasswdEntry("ci-push", ONE, "key-1", 4), a, "stable");
        assert.match(deterministicBcryptSalt("k", "u", 12), /^\$2y\$12\$[./A-Za-z0-9]{22}$/);
        assert.ok(bcrypt.compareSync(TWO, b.slice("ci-push:".length)));
    });

    it("refuses passwords bcrypt would truncate, empty passwords and bad user names", () => {
        assert.throws(() => htpasswdEntry("u", "x".repeat(73), "k", 4), /longer than bcrypt's 72 bytes/);
        assert.doesNotThrow(() => htpasswdEntry("u", "x".repeat(72), "k", 4));
        assert.throws(() => htpasswdEntry("u", "", "k", 4), /password of "u" has 0 characters; use at least 16/);
        assert.throws(() => htpasswdEntry("u", "x".repeat(15), "k", 4), /has 15 characters/);
        assert.throws(() => htpasswdEntry("a b", ONE, "k", 4), /user name "a b" must match/);
        assert.throws(() => htpasswdEntry("u", ONE, "", 4), /salt key must not be empty/);
        assert.throws(() => htpasswdEntry("u", ONE, "k", 3), /bcrypt cost 3/);
        assert.throws(() => htpasswdEntry("u", ONE, "k", 13), /bcrypt cost 13/);
    });

    it("renders a readable config that round-trips through a YAML parser, quoting every string", () => {
        const text = renderRegistryConfig({
            rootDirectory: "/data: with colon",
            addr: "127.0.0.1:5000",
            htpasswdPath: "/auth/htpasswd",
            httpSecret: 's#cr"et',
        });
        const config = parse(text) as Obj;
        assert.equal(config.version, "0.1");
        assert.equal(get(config, "storage", "filesystem", "rootdirectory"), "/data: with colon");
        assert.equal(get(config, "http", "secret"), 's#cr"et');
        assert.deepEqual(get(config, "http", "headers"), { "X-Content-Type-Options": ["nosniff"] });
        assert.throws(
            () => renderRegistryConfig({ rootDirectory: "/d", addr: ":1", htpasswdPath: "/h", tlsKeyPath: "/k" }),
            /tlsCertificatePath and tlsKeyPath go together/,
        );
        assert.deepEqual(garbageCollectCommand("registry", "/c.yml", false), ["registry", "garbage-collect", "/c.yml"]);
    });
});
