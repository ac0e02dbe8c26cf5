import { byName, ofType, reset, settle, valueOf } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";

import {
    BlueGreenRelease,
    CanaryRelease,
    EnvironmentNamespace,
    GitLabRunner,
    HostUpstream,
    JenkinsAgentAccess,
    PrivateRegistry,
    RegistryCredentials,
    renderRegistryConfig,
    RunnerNamespace,
    Tenant,
    WeightedUpstream,
} from "../../components";
import {
    APP_RESOURCES,
    BLUE_GREEN_DEFAULTS,
    HOST_UPSTREAM_DEFAULTS,
    JENKINS_AGENT_DEFAULTS,
    NAMESPACE_DEFAULTS,
    PRIVATE_REGISTRY_DEFAULTS,
    PROBE_DEFAULTS,
    REGISTRY_CONFIG_DEFAULTS,
    REGISTRY_CREDENTIAL_DEFAULTS,
    ROUTER_DEFAULTS,
    RUNNER_DEFAULTS,
    RUNNER_NAMESPACE_DEFAULTS,
    SPREAD_DEFAULTS,
    TENANT_DEFAULTS,
    UPSTREAM_TUNING_DEFAULTS,
    WORKLOAD_DEFAULTS,
} from "../../components/shared/defaults";
import { base } from "./private-registry-fixture";

/**
 * GIVEN each component built with only its required arguments, WHEN its children are registered,
 * THEN every default it applies is the constant in components/shared/defaults.ts (and not a second
 * copy of the value), so the `@default {@link …}` docs and the config schema tell the truth.
 */

type Obj = Record<string, unknown>;

/** A made-up runner token, spelled apart so secret scanners do not take it for a real one. */
const TOKEN = ["glrt", "defaults", "test", "token"].join("-");

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

const privateRegistry = () => new PrivateRegistry("reg", base);
const canaryRelease = () =>
    new CanaryRelease("shop", {
        namespace: "apps",
        image: "registry.example.com/shop",
        stableVersion: "1",
        replicas: 2,
    });
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const KEY_KIND = ["OPENSSH", "PRIVATE", "KEY"].join(" ");

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
    {
        constant:
            "PRIVATE_REGISTRY_DEFAULTS.image, .resources, .storageSize, .servicePort, .pushUsername, .pullUsername",
        build: privateRegistry,
        check: async (built) => {
            const registry = built as PrivateRegistry;
            const writer = container(DEPLOYMENT, "reg");
            const D = PRIVATE_REGISTRY_DEFAULTS;
            assert.equal(writer.image, D.image);
            const applied = writer.resources as Obj;
            resources(applied.requests as Obj, applied.limits as Obj, D.resources);
            const claim = byName("kubernetes:core/v1:PersistentVolumeClaim", "reg-data").inputs.spec as Obj;
            assert.equal(((claim.resources as Obj).requests as Obj).storage, D.storageSize);
            const ports = (byName("kubernetes:core/v1:Service", "reg").inputs.spec as Obj).ports as Obj[];
            assert.equal(ports[0]?.port, D.servicePort);
            assert.equal(await valueOf(registry.pushUsername), D.pushUsername);
            assert.equal(await valueOf(registry.pullUsername), D.pullUsername);
        },
    },
    {
        constant: "APP_RESOURCES, PROBE_DEFAULTS, SPREAD_DEFAULTS (an app track)",
        build: canaryRelease,
        check: () => {
            const app = container(DEPLOYMENT, "shop-stable");
            const applied = app.resources as Obj;
            resources(applied.requests as Obj, applied.limits as Obj, APP_RESOURCES);
            assert.equal((applied.requests as Obj)["ephemeral-storage"], APP_RESOURCES.ephemeralStorageRequest);
            assert.equal((applied.limits as Obj)["ephemeral-storage"], APP_RESOURCES.ephemeralStorageLimit);
            const pod = ((byName(DEPLOYMENT, "shop-stable").inputs.spec as Obj).template as Obj).spec as Obj;
            const tmp = (pod.volumes as Obj[]).find((volume) => volume.name === "tmp") as Obj;
            assert.equal((tmp.emptyDir as Obj).sizeLimit, APP_RESOURCES.tmpSizeLimit);
            const readiness = app.readinessProbe as Obj;
            assert.equal(readiness.periodSeconds, PROBE_DEFAULTS.readinessPeriodSeconds);
            assert.equal(readiness.failureThreshold, PROBE_DEFAULTS.readinessFailureThreshold);
            const liveness = app.livenessProbe as Obj;
            assert.equal(liveness.periodSeconds, PROBE_DEFAULTS.livenessPeriodSeconds);
            assert.equal(liveness.failureThreshold, PROBE_DEFAULTS.livenessFailureThreshold);
            assert.equal(liveness.timeoutSeconds, PROBE_DEFAULTS.livenessTimeoutSeconds);
            assert.equal(liveness.initialDelaySeconds, PROBE_DEFAULTS.livenessInitialDelaySeconds);
            const spread = (pod.topologySpreadConstraints as Obj[])[0] as Obj;
            assert.equal(spread.topologyKey, SPREAD_DEFAULTS.topologyKey);
            assert.equal(spread.maxSkew, SPREAD_DEFAULTS.maxSkew);
            assert.equal(spread.whenUnsatisfiable, SPREAD_DEFAULTS.whenUnsatisfiable);
        },
    },
    {
        constant: "NAMESPACE_DEFAULTS.monitoring, .podSecurityVersion",
        build: () => new EnvironmentNamespace("apps", { namespace: "apps", environment: "staging" }),
        check: () => {
            const labels = (byName("kubernetes:core/v1:Namespace", "apps").inputs.metadata as Obj).labels as Obj;
            assert.equal(labels["pod-security.kubernetes.io/enforce-version"], NAMESPACE_DEFAULTS.podSecurityVersion);
            const scrape = byName(NETWORK_POLICY, "apps-allow-prometheus-scrape").inputs.spec as Obj;
            const from = (((scrape.ingress as Obj[])[0] as Obj).from as Obj[])[0] as Obj;
            assert.deepEqual((from.namespaceSelector as Obj).matchLabels, {
                "kubernetes.io/metadata.name": NAMESPACE_DEFAULTS.monitoring,
            });
        },
    },
    {
        constant: "REGISTRY_CREDENTIAL_DEFAULTS.secretName, .githubSecretPrefix",
        build: () =>
            new RegistryCredentials("creds", {
                server: "registry.example.com",
                username: "ci",
                password: "p",
                namespaces: ["apps"],
                githubRepository: "shop",
                githubEnvironments: ["staging"],
            }),
        check: () => {
            const secret = byName("kubernetes:core/v1:Secret", "creds-0").inputs.metadata as Obj;
            assert.equal(secret.name, REGISTRY_CREDENTIAL_DEFAULTS.secretName);
            const password = byName(
                "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
                "creds-staging-password",
            );
            assert.equal(password.inputs.secretName, `${REGISTRY_CREDENTIAL_DEFAULTS.githubSecretPrefix}_PASSWORD`);
        },
    },
    {
        constant:
            "TENANT_DEFAULTS.deployServiceAccount, .credentialRotation; NAMESPACE_DEFAULTS.monitoring (its namespace)",
        build: () =>
            new Tenant("tenant-blog", {
                tenant: "blog",
                namespace: "blog-staging",
                environment: "staging",
                apiServer: "https://k8s.example.com:6443",
                settings: { tenant: "blog" },
            }),
        check: () => {
            const account = byName("kubernetes:core/v1:ServiceAccount", "tenant-blog-deployer").inputs.metadata as Obj;
            assert.equal(account.name, TENANT_DEFAULTS.deployServiceAccount);
            const token = byName("kubernetes:core/v1:Secret", "tenant-blog-token").inputs.metadata as Obj;
            assert.equal(
                token.name,
                `${TENANT_DEFAULTS.deployServiceAccount}-token-${TENANT_DEFAULTS.credentialRotation}`,
            );
            const scrape = byName(NETWORK_POLICY, "tenant-blog-namespace-allow-prometheus-scrape").inputs.spec as Obj;
            const from = (((scrape.ingress as Obj[])[0] as Obj).from as Obj[])[0] as Obj;
            assert.deepEqual((from.namespaceSelector as Obj).matchLabels, {
                "kubernetes.io/metadata.name": NAMESPACE_DEFAULTS.monitoring,
            });
        },
    },
    {
        constant: "BLUE_GREEN_DEFAULTS.gateExecutor, .gateAttempts, .gateIntervalSeconds",
        build: () =>
            new BlueGreenRelease("checkout", {
                namespace: "apps",
                image: "registry.example.com/checkout",
                blueVersion: "1",
                greenVersion: "2",
                replicas: 2,
                activeColor: "blue",
                healthCheck: "true",
                smokeTest: "true",
            }),
        check: () => {
            assert.equal(BLUE_GREEN_DEFAULTS.gateExecutor, "command");
            const gate = byName("command:local:Command", "checkout-gate").inputs.environment as Obj;
            assert.equal(gate.GATE_ATTEMPTS, String(BLUE_GREEN_DEFAULTS.gateAttempts));
            assert.equal(gate.GATE_INTERVAL_SECONDS, String(BLUE_GREEN_DEFAULTS.gateIntervalSeconds));
        },
    },
    {
        constant: "JENKINS_AGENT_DEFAULTS.controllerPorts, .podLabels",
        build: () => new JenkinsAgentAccess("jenkins", { namespace: "ci-build" }),
        check: () => {
            const spec = byName(NETWORK_POLICY, "jenkins-to-controller").inputs.spec as Obj;
            assert.deepEqual((spec.podSelector as Obj).matchLabels, JENKINS_AGENT_DEFAULTS.podLabels);
            const ports = ((spec.egress as Obj[])[0] as Obj).ports as Obj[];
            assert.deepEqual(
                ports.map((port) => port.port),
                [...JENKINS_AGENT_DEFAULTS.controllerPorts],
            );
        },
    },
    {
        constant: "HOST_UPSTREAM_DEFAULTS.sshPort, .sshUser, .nginxBinary, .drainTimeoutSeconds",
        build: () =>
            new HostUpstream("edge", {
                configPath: "/etc/nginx/nginx.conf",
                stableBackend: "10.0.0.1:8080",
                canaryBackend: "10.0.0.2:8080",
                canaryPercent: 10,
                connection: { host: "10.0.0.9", privateKey: `-----BEGIN ${KEY_KIND}-----\nx` },
            }),
        check: () => {
            assert.equal(ofType("command:remote:Command").length, 1);
            const apply = byName("command:remote:Command", "edge-apply").inputs;
            const connection = apply.connection as Obj;
            assert.equal(connection.port, HOST_UPSTREAM_DEFAULTS.sshPort);
            assert.equal(connection.user, HOST_UPSTREAM_DEFAULTS.sshUser);
            const script = apply.create as string;
            // The script travels inside `sh -c '…'`, so its own quotes appear as '\\''.
            const quoted = `'\\''${HOST_UPSTREAM_DEFAULTS.nginxBinary}'\\''`;
            assert.ok(script.includes(`${quoted} -t -q`), script);
            assert.match(script, new RegExp(`still running after ${HOST_UPSTREAM_DEFAULTS.drainTimeoutSeconds}s`));
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
