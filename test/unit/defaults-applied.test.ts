import { byName, reset, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";

import { GitLabRunner, renderRegistryConfig, RunnerNamespace, WeightedUpstream } from "../../components";
import {
    REGISTRY_CONFIG_DEFAULTS,
    ROUTER_DEFAULTS,
    RUNNER_DEFAULTS,
    RUNNER_NAMESPACE_DEFAULTS,
    UPSTREAM_TUNING_DEFAULTS,
    WORKLOAD_DEFAULTS,
} from "../../components/shared/defaults";

/**
 * GIVEN each component built with only its required arguments, WHEN its children are registered,
 * THEN every default it applies is the constant in components/shared/defaults.ts (and not a second
 * copy of the value), so the `@default {@link …}` docs and the config schema tell the truth.
 */

type Obj = Record<string, unknown>;

const TOKEN = "glrt-defaults-test-token";

function container(type: string, name: string): Obj {
    const spec = (byName(type, name).inputs.spec as Obj).template as Obj;
    return ((spec.spec as Obj).containers as Obj[])[0] as Obj;
}

function resources(requests: Obj, limits: Obj, expected: { [k: string]: string }): void {
    assert.equal(requests.cpu, expected.cpuRequest);
    assert.equal(requests.memory, expected.memoryRequest);
    assert.equal(limits.cpu, expected.cpuLimit);
    assert.equal(limits.memory, expected.memoryLimit);
}

interface Row {
    /** The constant (and its field) under test. */
    readonly constant: string;
    /** Builds the component with no optional argument. */
    readonly build: () => unknown;
    /** Asserts the applied value equals the constant. */
    readonly check: (built: unknown) => Promise<void> | void;
}

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const weightedUpstream = () =>
    new WeightedUpstream("edge", {
        namespace: "apps",
        stableBackend: "stable.apps.svc:80",
        canaryBackend: "canary.apps.svc:80",
        canaryPercent: 10,
    });
const gitlabRunner = () =>
    new GitLabRunner("runner", { namespace: "ci", gitlabUrl: "https://gitlab.example.com", runnerToken: TOKEN });
const runnerNamespace = () =>
    new RunnerNamespace("ci", { namespace: "ci", environment: "staging", gitlabPort: 443, registryPort: 5000 });

const ROWS: readonly Row[] = [
    {
        constant: "ROUTER_DEFAULTS.image, .replicas, .containerPort",
        build: weightedUpstream,
        check: () => {
            const deployment = byName(DEPLOYMENT, "edge");
            assert.equal((deployment.inputs.spec as Obj).replicas, ROUTER_DEFAULTS.replicas);
            const nginx = container(DEPLOYMENT, "edge");
            assert.equal(nginx.image, ROUTER_DEFAULTS.image);
            assert.deepEqual(nginx.ports, [{ name: "http", containerPort: ROUTER_DEFAULTS.containerPort }]);
        },
    },
    {
        constant: "ROUTER_DEFAULTS.resources",
        build: weightedUpstream,
        check: () => {
            const applied = container(DEPLOYMENT, "edge").resources as Obj;
            resources(applied.requests as Obj, applied.limits as Obj, ROUTER_DEFAULTS.resources);
        },
    },
    {
        constant: "WORKLOAD_DEFAULTS.servicePort (router Service)",
        build: weightedUpstream,
        check: () => {
            const ports = (byName("kubernetes:core/v1:Service", "edge").inputs.spec as Obj).ports as Obj[];
            assert.equal(ports[0]?.port, WORKLOAD_DEFAULTS.servicePort);
        },
    },
    {
        constant: "UPSTREAM_TUNING_DEFAULTS",
        build: weightedUpstream,
        check: async (built) => {
            const conf = await valueOf((built as WeightedUpstream).nginxConfig);
            const { maxFails, failTimeoutSeconds, keepalive } = UPSTREAM_TUNING_DEFAULTS;
            assert.match(conf, new RegExp(`max_fails=${maxFails} fail_timeout=${failTimeoutSeconds}s;`));
            assert.match(conf, new RegExp(`keepalive ${keepalive};`));
        },
    },
    {
        constant: "RUNNER_DEFAULTS.runnerImage, .managerResources, .tags",
        build: gitlabRunner,
        check: () => {
            const manager = container(DEPLOYMENT, "runner");
            assert.equal(manager.image, RUNNER_DEFAULTS.runnerImage);
            const applied = manager.resources as Obj;
            resources(applied.requests as Obj, applied.limits as Obj, RUNNER_DEFAULTS.managerResources);
            const annotations = (byName(DEPLOYMENT, "runner").inputs.metadata as Obj).annotations as Obj;
            assert.equal(annotations["cicd.platform/runner-tags"], RUNNER_DEFAULTS.tags.join(","));
        },
    },
    {
        constant: "RUNNER_DEFAULTS.concurrent, .jobImage, .jobResources (config.toml)",
        build: gitlabRunner,
        check: async (built) => {
            const toml = parseToml(await valueOf((built as GitLabRunner).configToml)) as Obj;
            assert.equal(toml.concurrent, RUNNER_DEFAULTS.concurrent);
            const kubernetes = ((toml.runners as Obj[])[0] as Obj).kubernetes as Obj;
            assert.equal(kubernetes.image, RUNNER_DEFAULTS.jobImage);
            const job = RUNNER_DEFAULTS.jobResources;
            assert.equal(kubernetes.cpu_request, job.cpuRequest);
            assert.equal(kubernetes.cpu_limit, job.cpuLimit);
            assert.equal(kubernetes.memory_request, job.memoryRequest);
            assert.equal(kubernetes.memory_limit, job.memoryLimit);
        },
    },
    {
        constant: "RUNNER_NAMESPACE_DEFAULTS.quota",
        build: runnerNamespace,
        check: () => {
            const hard = (byName("kubernetes:core/v1:ResourceQuota", "ci").inputs.spec as Obj).hard as Obj;
            const { cpu, memory, pods } = RUNNER_NAMESPACE_DEFAULTS.quota;
            assert.deepEqual(hard, {
                "requests.cpu": cpu,
                "requests.memory": memory,
                "limits.cpu": cpu,
                "limits.memory": memory,
                pods: String(pods),
            });
        },
    },
    {
        constant: "RUNNER_NAMESPACE_DEFAULTS.apiServerPorts, .podSecurityVersion",
        build: runnerNamespace,
        check: () => {
            const policy = byName("kubernetes:networking.k8s.io/v1:NetworkPolicy", "ci-allow-runner-to-apiserver");
            const egress = ((policy.inputs.spec as Obj).egress as Obj[])[0] as Obj;
            assert.deepEqual(
                (egress.ports as Obj[]).map((port) => port.port),
                [...RUNNER_NAMESPACE_DEFAULTS.apiServerPorts],
            );
            const labels = (byName("kubernetes:core/v1:Namespace", "ci").inputs.metadata as Obj).labels as Obj;
            assert.equal(
                labels["pod-security.kubernetes.io/enforce-version"],
                RUNNER_NAMESPACE_DEFAULTS.podSecurityVersion,
            );
        },
    },
    {
        constant: "RUNNER_DEFAULTS.jobResources (LimitRange)",
        build: runnerNamespace,
        check: () => {
            const limits = (
                (byName("kubernetes:core/v1:LimitRange", "ci").inputs.spec as Obj).limits as Obj[]
            )[0] as Obj;
            resources(limits.defaultRequest as Obj, limits.default as Obj, RUNNER_DEFAULTS.jobResources);
        },
    },
    {
        constant: "REGISTRY_CONFIG_DEFAULTS",
        build: () => renderRegistryConfig({ rootDirectory: "/var/lib/registry", addr: ":5000", htpasswdPath: "/a" }),
        check: (built) => {
            const config = parseYaml(built as string) as Obj;
            const D = REGISTRY_CONFIG_DEFAULTS;
            assert.equal((config.log as Obj).level, D.logLevel);
            assert.equal(((config.auth as Obj).htpasswd as Obj).realm, D.realm);
            const storage = config.storage as Obj;
            assert.equal((storage.delete as Obj).enabled, D.deleteEnabled);
            const maintenance = storage.maintenance as Obj;
            assert.equal((maintenance.readonly as Obj).enabled, D.readOnly);
            assert.equal((maintenance.uploadpurging as Obj).age, D.uploadPurgeAge);
            assert.equal((maintenance.uploadpurging as Obj).interval, D.uploadPurgeInterval);
            const health = (config.health as Obj).storagedriver as Obj;
            assert.equal(health.interval, `${D.healthCheckIntervalSeconds}s`);
            assert.equal(health.threshold, D.healthCheckThreshold);
        },
    },
];

describe("every default in defaults.ts is the one the component applies", () => {
    beforeEach(reset);

    for (const row of ROWS) {
        it(row.constant, async () => {
            const built = row.build();
            await settle();
            await row.check(built);
        });
    }
});
