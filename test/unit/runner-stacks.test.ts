/**
 * The runners each committed stack registers, under Pulumi mocks: which ones, in which namespace,
 * with which tags, what their config.toml says (parsed by a TOML parser, field by field), and that
 * every token and key travels only as a secret. The runners' config checks are in
 * runner-config-checks.test.ts.
 */
import {
    byName,
    isSecretValue,
    ofType,
    rawAt,
    registered,
    reset,
    runProgram,
    settle,
    valueOf,
} from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";

import { committedStackConfig, fakeRunnerToken } from "../support/stack-secrets";

type Obj = Record<string, unknown>;
const SENTINEL = "sentinel7q";
const K8S = "kubernetes:core/v1";

function deploy(stack: string) {
    const { values, secrets } = committedStackConfig(stack, SENTINEL);
    const outputs = runProgram(values, secrets);
    return { values, outputs };
}

/** Every string in `value` that is not inside a secret marker. */
function plainStrings(value: unknown, out: string[] = []): string[] {
    if (isSecretValue(value)) {
        return out;
    }
    if (typeof value === "string") {
        out.push(value);
    } else if (Array.isArray(value)) {
        value.forEach((v) => plainStrings(v, out));
    } else if (typeof value === "object" && value !== null) {
        Object.values(value).forEach((v) => plainStrings(v, out));
    }
    return out;
}

function runnerToml(): Obj {
    const secret = byName(`${K8S}:Secret`, "gitlab-runner-config");
    assert.ok(isSecretValue(rawAt(secret, "stringData")) || isSecretValue(rawAt(secret, "stringData", "config.toml")));
    return parseToml((secret.inputs.stringData as Obj)["config.toml"] as string) as Obj;
}

function policy(name: string): Obj {
    return byName("kubernetes:networking.k8s.io/v1:NetworkPolicy", `runners-ns-${name}`).inputs.spec as Obj;
}

describe("the stacks' runners", { concurrency: 1 }, () => {
    beforeEach(async () => {
        await settle();
        reset();
    });

    it("staging: a Kubernetes runner in ci-runners-staging with staging's tags, and one Podman host", async () => {
        const { outputs } = deploy("staging");
        await settle();
        const ns = byName(`${K8S}:Namespace`, "runners-ns");
        const labels = (ns.inputs.metadata as Obj).labels as Obj;
        assert.equal((ns.inputs.metadata as Obj).name, "ci-runners-staging");
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.equal(labels["cicd.platform/environment"], "staging");

        const deployment = byName("kubernetes:apps/v1:Deployment", "gitlab-runner");
        const meta = deployment.inputs.metadata as Obj;
        assert.equal(meta.namespace, "ci-runners-staging");
        assert.deepEqual(meta.annotations, { "cicd.platform/runner-tags": "staging,kubernetes,rootless-buildah" });
        const spec = deployment.inputs.spec as Obj;
        // One runner process per token, even while it rolls: one replica, the old pod gone first.
        assert.equal(spec.replicas, 1);
        assert.deepEqual(spec.strategy, { type: "Recreate" });

        const toml = runnerToml();
        assert.equal(toml.concurrent, 4);
        const runner = (toml.runners as Obj[])[0] as Obj;
        assert.equal(runner.url, "https://gitlab.example.com");
        assert.equal(runner.token, fakeRunnerToken("kubernetes", SENTINEL));
        const k = runner.kubernetes as Obj;
        assert.equal(k.namespace, "ci-runners-staging");
        assert.equal(k.privileged, false);
        assert.equal(k.image, "quay.io/buildah/stable:v1.38.1");
        const cache = runner.cache as Obj;
        assert.equal(cache.Type, "s3");
        assert.deepEqual(
            { ...(cache.s3 as Obj) },
            {
                ServerAddress: "minio.ci.example.com:9000",
                BucketName: "gitlab-runner-cache-staging",
                AccessKey: `${SENTINEL}-runnerCacheAccessKey-0123456789abcdef0123456789abcdef`,
                SecretKey: `${SENTINEL}-runnerCacheSecretKey-0123456789abcdef0123456789abcdef`,
            },
        );
        const patch = ((k.pod_spec as Obj[])[0] as Obj).patch as string;
        assert.match(patch, /^\s*hostUsers: false$/m);
        assert.match(patch, /^\s*automountServiceAccountToken: false$/m);

        const install = byName("command:remote:Command", "podman-build-staging-1-config");
        const connection = install.inputs.connection as Obj;
        assert.equal(connection.host, "10.20.0.11");
        assert.equal(connection.port, 22);
        assert.equal(connection.user, "gitlab-runner");
        assert.match(connection.hostKey as string, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEbqfaXtzWgF4H0/);
        const hostToml = parseToml(install.inputs.stdin as string) as Obj;
        const hostRunner = (hostToml.runners as Obj[])[0] as Obj;
        assert.equal(hostRunner.token, fakeRunnerToken("build-staging-1", SENTINEL));
        assert.equal((hostRunner.docker as Obj).host, "unix:///run/user/1001/podman/podman.sock");
        assert.equal(hostToml.concurrent, 2);
        const check = byName("command:remote:Command", "podman-build-staging-1-podman-socket");
        assert.match(check.inputs.create as string, /\/run\/user\/1001\/podman\/podman\.sock/);

        assert.deepEqual(outputs.runners.kubernetes?.tags, ["staging", "kubernetes", "rootless-buildah"]);
        assert.deepEqual(outputs.runners.podmanHosts, {
            "build-staging-1": { host: "10.20.0.11", tags: ["staging", "podman"] },
        });
        const kubernetesRunner = outputs.runners.kubernetes;
        assert.ok(kubernetesRunner);
        assert.equal(await valueOf(kubernetesRunner.namespace), "ci-runners-staging");
    });

    it("staging: the namespace opens DNS, GitLab's port, the platform registry's push port and the cache, and caps the jobs", async () => {
        deploy("staging");
        await settle();
        const names = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
            .filter((p) => p.name.startsWith("runners-ns-"))
            .map((p) => (p.inputs.metadata as Obj).name as string)
            .sort();
        assert.deepEqual(names, [
            "allow-cache",
            "allow-dns",
            "allow-gitlab",
            "allow-registry",
            "allow-runner-to-apiserver",
            "default-deny",
        ]);
        assert.deepEqual(policy("default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepEqual(policy("allow-gitlab").egress, [{ ports: [{ protocol: "TCP", port: 443 }] }]);
        assert.deepEqual(policy("allow-registry").egress, [
            {
                to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "registry-staging" } } }],
                ports: [{ protocol: "TCP", port: 5000 }],
            },
        ]);
        assert.deepEqual(policy("allow-cache").egress, [{ ports: [{ protocol: "TCP", port: 9000 }] }]);
        assert.deepEqual(policy("allow-runner-to-apiserver"), {
            podSelector: { matchLabels: { "app.kubernetes.io/component": "gitlab-runner" } },
            policyTypes: ["Egress"],
            egress: [
                {
                    ports: [
                        { protocol: "TCP", port: 443 },
                        { protocol: "TCP", port: 6443 },
                    ],
                },
            ],
        });
        assert.deepEqual(byName(`${K8S}:ResourceQuota`, "runners-ns").inputs.spec, {
            hard: {
                "requests.cpu": "16",
                "requests.memory": "64Gi",
                "limits.cpu": "16",
                "limits.memory": "64Gi",
                pods: "12",
            },
        });
        assert.deepEqual(byName(`${K8S}:LimitRange`, "runners-ns").inputs.spec, {
            limits: [
                {
                    type: "Container",
                    defaultRequest: { cpu: "250m", memory: "512Mi" },
                    default: { cpu: "2", memory: "4Gi" },
                    max: { cpu: "2", memory: "4Gi" },
                },
            ],
        });
    });

    it("production: its own namespace, tags, host and tokens; images by digest; job resources from the stack", async () => {
        const { outputs } = deploy("production");
        await settle();
        assert.equal((byName(`${K8S}:Namespace`, "runners-ns").inputs.metadata as Obj).name, "ci-runners-production");
        const deployment = byName("kubernetes:apps/v1:Deployment", "gitlab-runner");
        assert.equal((deployment.inputs.metadata as Obj).namespace, "ci-runners-production");
        const container = (
            (((deployment.inputs.spec as Obj).template as Obj).spec as Obj).containers as Obj[]
        )[0] as Obj;
        assert.match(container.image as string, /^registry\.example\.com\/mirror\/gitlab-runner@sha256:[0-9a-f]{64}$/);
        const k = ((runnerToml().runners as Obj[])[0] as Obj).kubernetes as Obj;
        assert.equal(k.namespace, "ci-runners-production");
        assert.match(k.image as string, /^registry\.example\.com\/mirror\/buildah@sha256:[0-9a-f]{64}$/);
        assert.equal(k.cpu_request, "500m");
        assert.equal(k.cpu_limit, "2");
        assert.equal(k.memory_request, "1Gi");
        assert.equal(k.memory_limit, "4Gi");
        assert.deepEqual(outputs.runners.kubernetes?.tags, ["production", "kubernetes", "rootless-buildah"]);
        assert.deepEqual(Object.keys(outputs.runners.podmanHosts), ["build-production-1"]);
        assert.equal(ofType("command:remote:Command").length, 2);
        assert.equal(
            (byName("command:remote:Command", "podman-build-production-1-config").inputs.connection as Obj).host,
            "10.30.0.11",
        );
    });

    it("local: one Kubernetes runner in ci-runners-local, egress to the registry by port, no Podman host", async () => {
        deploy("local");
        await settle();
        assert.equal((byName(`${K8S}:Namespace`, "runners-ns").inputs.metadata as Obj).name, "ci-runners-local");
        assert.equal(ofType("command:remote:Command").length, 0);
        assert.deepEqual(policy("allow-registry").egress, [{ ports: [{ protocol: "TCP", port: 5000 }] }]);
        assert.equal(
            ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").some((p) => p.name === "runners-ns-allow-cache"),
            false,
        );
    });

    for (const stack of ["local", "staging", "production"]) {
        it(`${stack}: tokens, cache keys and the SSH key reach resources only as secrets`, async () => {
            const { values } = deploy(stack);
            await settle();
            const credentials = ["runnerToken", "runnerCacheAccessKey", "runnerCacheSecretKey", "podmanSshPrivateKey"]
                .map((key) => values[key])
                .filter((v): v is string => typeof v === "string");
            credentials.push(
                ...Object.values(JSON.parse((values.podmanRunnerTokens as string | undefined) ?? "{}") as Obj).map(
                    String,
                ),
            );
            assert.ok(credentials.length >= 1);
            for (const resource of registered) {
                for (const text of plainStrings(resource.raw)) {
                    for (const credential of credentials) {
                        assert.ok(
                            !text.includes(credential),
                            `${resource.type} ${resource.name} holds a credential outside a secret`,
                        );
                    }
                }
            }
            for (const command of ofType("command:remote:Command")) {
                assert.ok(isSecretValue(rawAt(command, "stdin")) || command.name.endsWith("-podman-socket"));
                const connection = rawAt(command, "connection") as Obj;
                assert.ok(isSecretValue(connection.privateKey) || isSecretValue(connection), "the SSH key is secret");
            }
        });
    }

    it("staging and production runners share no namespace, environment tag or token", () => {
        const staging = committedStackConfig("staging", "a");
        const production = committedStackConfig("production", "b");
        const runners = (values: Record<string, unknown>) => values.runners as { kubernetes: Obj; podmanHosts: Obj[] };
        assert.notEqual(runners(staging.values).kubernetes.namespace, runners(production.values).kubernetes.namespace);
        assert.ok(!(runners(staging.values).kubernetes.tags as string[]).includes("production"));
        assert.ok(!(runners(production.values).kubernetes.tags as string[]).includes("staging"));
        assert.notEqual(staging.values.runnerToken, production.values.runnerToken);
    });
});
