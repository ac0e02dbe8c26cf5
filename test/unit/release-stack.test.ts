/**
 * The release project's program under Pulumi mocks: one release in the tenant's namespace with the
 * tenant's provider, the platform's settings (read from the tenant's settings ConfigMap) filled in,
 * and a release the settings do not allow refused with the reason, nothing registered.
 */
import * as pulumi from "@pulumi/pulumi";

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";

import { loadReleaseConfig } from "../../config/release-load";
import { parseReleaseConfig, RELEASE_PROJECT } from "../../config/release-schema";
import {
    TENANT_CONTRACT_VERSION,
    TENANT_SETTINGS_CONFIGMAP,
    type TenantReleaseSettings,
    tenantSettingsData,
} from "../../config/tenant-contract";
import { createReleaseStack } from "../../platform/release-stack";

interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly id?: string;
    readonly provider?: string;
}

const registered: Registered[] = [];
let settingsData: Record<string, string> = {};
/** Runs before a registration is answered (the timing case delays the settings read with it). */
let beforeAnswer: ((type: string, id: string | undefined) => Promise<void>) | undefined;

const SETTINGS: TenantReleaseSettings = {
    contractVersion: TENANT_CONTRACT_VERSION,
    environment: "staging",
    tenant: {
        name: "shop",
        namespace: "shop-staging",
        apps: ["storefront", "checkout"],
        pullSecretName: "registry-credentials",
        pullSecretNames: ["registry-credentials", "private-registry-pull"],
        registryPullServer: "registry.example.com",
        registryPushServer: "push.registry.example.com",
        registryPrefix: "shop",
        settingsConfigMap: TENANT_SETTINGS_CONFIGMAP,
        deployServiceAccount: "shop-deploy",
        stateBackend: "s3://state/tenants/shop",
        productionGate: { mode: "manual", reviewerUserIds: [], reviewerTeamIds: [], requiredApprovals: 0 },
    },
    router: {
        image: "nginxinc/nginx-unprivileged:1.27.4",
        replicas: 3,
        maxFails: 5,
        failTimeoutSeconds: 7,
        keepalive: 9,
    },
    canary: {
        steps: [20, 100],
        bakeSeconds: 4,
        stickyRequestsPerClient: 1,
        analysis: {
            maxErrorRatio: 0.02,
            maxRatioVsStable: 2,
            ratioFloor: 0.001,
            maxP95Seconds: 0.5,
            minRequests: 10,
            intervalSeconds: 30,
            maxNoDataIntervals: 2,
        },
    },
    monitoringNamespace: "monitoring",
    prometheusUrl: "http://prometheus.monitoring.svc:9090",
    policy: { environment: "staging", packConfig: "policy/config/staging.json", minReplicas: 1 },
};

function mockStack(stack: string): void {
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                registered.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs as Record<string, unknown>,
                    ...(args.id === undefined || args.id === "" ? {} : { id: args.id }),
                    ...(args.provider ? { provider: args.provider } : {}),
                });
                const answer = () =>
                    // A read of the tenant's settings ConfigMap answers with what the platform wrote there.
                    args.type === "kubernetes:core/v1:ConfigMap" && args.id !== undefined && args.id !== ""
                        ? { id: args.id, state: { data: settingsData } }
                        : { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
                return beforeAnswer === undefined ? answer() : beforeAnswer(args.type, args.id).then(answer);
            },
            call: (args) => args.inputs as Record<string, unknown>,
        },
        RELEASE_PROJECT,
        stack,
        false,
    );
}
mockStack("storefront-staging");

const CANARY = {
    name: "storefront",
    image: "registry.example.com/shop/storefront",
    stableVersion: "1.0.0",
    canaryVersion: "1.1.0",
    canaryPercent: 20,
    replicas: 2,
};

function setReleaseConfig(values: Record<string, unknown>): void {
    pulumi.runtime.setAllConfig(
        Object.fromEntries(
            Object.entries(values).map(([k, v]) => [
                `${RELEASE_PROJECT}:${k}`,
                typeof v === "string" ? v : JSON.stringify(v),
            ]),
        ),
    );
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

async function settle(): Promise<void> {
    let count = -1;
    for (let stable = 0; stable < 3; ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        stable = registered.length === count ? stable + 1 : 0;
        count = registered.length;
    }
}

describe("release stack program (mocks)", () => {
    beforeEach(() => {
        registered.length = 0;
        settingsData = tenantSettingsData(SETTINGS);
    });

    // First in the file: the release's modules must not be loaded yet when it starts.
    it("GIVEN a slow settings read WHEN the program runs THEN the provider is registered before the release's modules load, and they load while the read is pending", async () => {
        const createLoaded = () => Object.keys(require.cache).some((file) => file.endsWith("release-create.ts"));
        assert.equal(createLoaded(), false, "release-create.ts loaded before the program ran");
        const seen: string[] = [];
        beforeAnswer = async (type, id) => {
            if (type === "pulumi:providers:kubernetes") {
                seen.push(`provider registered, modules loaded: ${String(createLoaded())}`);
            }
            if (type === "kubernetes:core/v1:ConfigMap" && id !== undefined && id !== "") {
                await new Promise((resolve) => setTimeout(resolve, 300));
                seen.push(`settings answered, modules loaded: ${String(createLoaded())}`);
            }
        };
        try {
            setReleaseConfig({ environment: "staging", namespace: "shop-staging", canary: CANARY });
            await createReleaseStack(loadReleaseConfig());
        } finally {
            beforeAnswer = undefined;
        }
        assert.deepEqual(seen, [
            "provider registered, modules loaded: false",
            "settings answered, modules loaded: true",
        ]);
        await settle();
    });

    it("GIVEN a canary release WHEN it runs THEN one CanaryRelease in the tenant namespace takes the platform's pull secrets and router defaults, through the tenant's provider", async () => {
        setReleaseConfig({ environment: "staging", namespace: "shop-staging", canary: CANARY });
        const outputs = await createReleaseStack(loadReleaseConfig());
        assert.deepEqual(outputs.rollout, {
            steps: [20, 100],
            bakeSeconds: 4,
            splitDesignEffect: 1,
            analysis: SETTINGS.canary.analysis,
        });
        assert.equal(outputs.prometheusUrl, SETTINGS.prometheusUrl);
        assert.equal(outputs.tenant, "shop");
        assert.deepEqual(await valueOf(outputs.weights as pulumi.Output<unknown>), { stable: 80, canary: 20 });
        await settle();

        const provider = registered.find((r) => r.type === "pulumi:providers:kubernetes");
        assert.ok(provider);
        assert.equal(provider.inputs.namespace, "shop-staging");
        assert.equal(provider.inputs.kubeconfig, undefined, "no kubeconfig in config: KUBECONFIG from the environment");

        const read = registered.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.id !== undefined);
        assert.equal(read?.id, `shop-staging/${TENANT_SETTINGS_CONFIGMAP}`);

        assert.deepEqual(
            registered.filter((r) => r.type.startsWith("cicd:")).map((r) => `${r.type} ${r.name}`),
            ["cicd:release:CanaryRelease storefront", "cicd:traffic:WeightedUpstream storefront-router"].filter((x) =>
                registered.some((r) => `${r.type} ${r.name}` === x),
            ),
        );
        const deployments = registered.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
        assert.ok(deployments.length >= 3, deployments.map((d) => d.name).join(", "));
        for (const deployment of deployments) {
            assert.equal((deployment.inputs.metadata as { namespace: string }).namespace, "shop-staging");
            assert.ok(deployment.provider?.includes("pulumi:providers:kubernetes::tenant"), deployment.provider);
        }
        const stable = deployments.find((d) => d.name === "storefront-stable");
        const spec = (stable?.inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec;
        assert.deepEqual(spec.imagePullSecrets, [{ name: "registry-credentials" }, { name: "private-registry-pull" }]);
        const router = deployments.find((d) => d.name.includes("router"));
        assert.equal((router?.inputs.spec as { replicas: number }).replicas, 3);
        const routerImage = (router?.inputs.spec as { template: { spec: { containers: { image: string }[] } } })
            .template.spec.containers[0]?.image;
        assert.equal(routerImage, SETTINGS.router.image);
        const upstream = registered.find(
            (r) => r.type === "kubernetes:core/v1:ConfigMap" && r.id === undefined && r.name.includes("router"),
        );
        const conf = String((upstream?.inputs.data as Record<string, string>)["nginx.conf"]);
        assert.match(conf, /max_fails=5 fail_timeout=7s/);
        assert.match(conf, /weight=80/);
        assert.match(conf, /weight=20/);
    });

    it("GIVEN a blue-green release WHEN it runs THEN one BlueGreenRelease, nothing else", async () => {
        setReleaseConfig({
            environment: "staging",
            namespace: "shop-staging",
            blueGreen: {
                name: "checkout",
                image: "registry.example.com/shop/checkout",
                blueVersion: "2.0.0",
                greenVersion: "2.1.0",
                active: "blue",
                healthCheck: "true",
                smokeTest: "true",
                gateExecutor: "dynamic",
            },
        });
        mockStack("checkout-staging");
        const outputs = await createReleaseStack(loadReleaseConfig());
        assert.equal(outputs.activeColor, "blue");
        assert.equal(outputs.release.kind, "blueGreen");
        await settle();
        assert.equal(registered.filter((r) => r.type === "cicd:release:BlueGreenRelease").length, 1);
        assert.equal(registered.filter((r) => r.type === "cicd:release:CanaryRelease").length, 0);
        mockStack("storefront-staging");
    });

    it("GIVEN a config with problems WHEN it loads THEN one RunError lists each problem once, and nothing is registered", () => {
        setReleaseConfig({ environment: "prod", namespace: "Shop", canary: { ...CANARY, canaryPercent: 150 } });
        assert.throws(
            () => loadReleaseConfig(),
            (error: unknown) => {
                assert.ok(pulumi.RunError.isInstance(error), String(error));
                const message = (error as Error).message;
                assert.match(message, /^invalid stack config for cicd-release \(3 problems\):/);
                assert.match(message, /- environment: "prod" is not one of local, staging, production/);
                assert.match(message, /- namespace: "Shop" is not a DNS-1123 label/);
                assert.match(message, /- canary\.canaryPercent: 150 is not a percentage/);
                return true;
            },
        );
        assert.equal(registered.length, 0);
    });

    it("GIVEN a stack named for another app WHEN it loads THEN the name it must have is the error", () => {
        setReleaseConfig({ environment: "staging", namespace: "shop-staging", canary: { ...CANARY, name: "basket" } });
        assert.throws(
            () => loadReleaseConfig(),
            /stack "storefront-staging" holds release basket of staging: name it "basket-staging"/,
        );
    });

    it("GIVEN a release the tenant's settings do not allow WHEN it runs THEN every reason is named and no release is registered", async () => {
        setReleaseConfig({
            environment: "staging",
            namespace: "shop-staging",
            canary: { ...CANARY, image: "registry.example.com/other/storefront", replicas: 1 },
        });
        settingsData = tenantSettingsData({
            ...SETTINGS,
            tenant: { ...SETTINGS.tenant, apps: ["checkout"] },
            policy: { ...SETTINGS.policy, minReplicas: 2 },
        });
        const failure = await createReleaseStack(loadReleaseConfig()).then(
            () => undefined,
            (error: unknown) => error,
        );
        await settle();
        assert.deepEqual(
            registered.map((r) => r.type),
            ["pulumi:providers:kubernetes", "kubernetes:core/v1:ConfigMap"],
            "only the provider and the settings read",
        );
        assert.ok(pulumi.RunError.isInstance(failure), String(failure));
        const message = (failure as Error).message;
        assert.match(message, /canary\.name: "storefront" is not an app of tenant shop \(apps: checkout\)/);
        assert.match(
            message,
            /canary\.image: "registry\.example\.com\/other\/storefront" is not under registry\.example\.com\/shop\//,
        );
        assert.match(message, /canary\.replicas: staging needs at least 2 replicas, got 1/);
    });
});

describe("release stack program (what it loads before the provider)", () => {
    it("GIVEN the release program WHEN node loads it THEN neither the components, the Kubernetes SDK's index nor the environment's schema come with it: they load while the provider starts", () => {
        const root = join(__dirname, "..", "..");
        const listLoaded = [
            'require("./release/index.ts");',
            "const root = process.cwd() + '/';",
            "console.log(JSON.stringify(Object.keys(require.cache).map((f) => f.replace(root, ''))));",
        ].join("\n");
        const run = spawnSync(process.execPath, ["--import", "tsx", "-e", listLoaded], { cwd: root, encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        const loaded = JSON.parse(run.stdout) as string[];
        assert.ok(loaded.includes("platform/release-stack.ts"), loaded.join("\n"));
        assert.ok(loaded.includes("config/release-schema.ts"), loaded.join("\n"));
        const early = loaded.filter(
            (file) =>
                file.startsWith("components/release/") ||
                file === "platform/release-create.ts" ||
                file === "config/schema.ts" ||
                file === "node_modules/@pulumi/kubernetes/index.js",
        );
        assert.deepEqual(early, []);
    });
});

describe("release stack config (pure)", () => {
    it("needs exactly one release", () => {
        const none = parseReleaseConfig({ environment: "local", namespace: "shop-local" });
        assert.equal(none.ok, false);
        assert.match(JSON.stringify(none), /needs one release: set canary or blueGreen/);
        const both = parseReleaseConfig({
            environment: "local",
            namespace: "shop-local",
            canary: CANARY,
            blueGreen: {
                name: "x",
                image: "r/x",
                blueVersion: "1",
                greenVersion: "2",
                active: "blue",
                healthCheck: "t",
                smokeTest: "t",
            },
        });
        assert.match(JSON.stringify(both), /has both canary and blueGreen/);
    });

    it("refuses unknown keys naming the allowed ones, and production with one replica", () => {
        const parsed = parseReleaseConfig({
            environment: "production",
            namespace: "shop-production",
            canary: { ...CANARY, replicas: 1 },
            apps: [],
        });
        assert.equal(parsed.ok, false);
        const text = JSON.stringify(parsed);
        assert.match(text, /unknown key \\"apps\\" \(allowed: environment, namespace, canary, blueGreen, kubeconfig\)/);
    });

    it("treats Pulumi.yaml's {} default of the other kind as absent", () => {
        const parsed = parseReleaseConfig(
            { environment: "staging", namespace: "shop-staging", canary: CANARY, blueGreen: {} },
            "storefront-staging",
        );
        assert.ok(parsed.ok, JSON.stringify(parsed));
        const production = parseReleaseConfig({
            environment: "production",
            namespace: "p",
            canary: { ...CANARY, replicas: 1 },
        });
        assert.match(JSON.stringify(production), /production needs at least 2 replicas, got 1/);
    });
});
