/**
 * Tenants in the config: the `tenants` section parsed and refused field by field, tenancy filled from
 * the environment (kubeconfig, file backend), config errors as one RunError, the tenant contract's
 * ConfigMap data and the credential's age. The Tenant component and the tenants of the environment
 * stack are in tenants.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { failOnConfigProblems, resolveTenancy, StackConfigRunError } from "../../config/load";
import { parsePlainConfig, type PlainStackConfig } from "../../config/schema";
import { kubeconfigServer, siblingTenantsRoot } from "../../config/tenancy-environment";
import {
    parseTenantSettingsData,
    type ReleaseSettings,
    TENANT_SETTINGS_CONFIGMAP,
    tenantReleaseSettings,
    tenantSettingsData,
} from "../../config/tenant-contract";
import { credentialAgeDays } from "../../platform/tenants";
import { TWO_TENANTS, validConfig, withTenants } from "./fixtures";

type Obj = Record<string, unknown>;

function problems(config: Obj): string[] {
    const parsed = parsePlainConfig(config);
    return parsed.ok ? [] : parsed.problems.map((p) => `${p.path}: ${p.message}`);
}

describe("tenants config", () => {
    it("GIVEN two tenants WHEN parsed THEN defaults are filled from the defaults module and the environment", () => {
        const parsed = parsePlainConfig(withTenants(TWO_TENANTS));
        assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.problems));
        const blog = parsed.config.tenants[1];
        assert.deepEqual(blog?.credential, { rotation: "2026-12-01", maxAgeDays: 90 });
        assert.deepEqual(parsed.config.tenants[0]?.productionGate, {
            mode: "manual",
            reviewerUserIds: [],
            reviewerTeamIds: [],
            requiredApprovals: 1,
        });
        assert.equal(parsed.config.tenants[1]?.namespace, undefined, "derived later, from the environment");
    });

    const cases: [string, unknown[], Obj, RegExp][] = [
        [
            "the same name twice",
            [TWO_TENANTS[1], { ...TWO_TENANTS[1], apps: ["other"], registryPrefix: "x" }],
            {},
            /^tenants\[1\]\.name: "blog" is also tenants\[0\]$/m,
        ],
        [
            "the monitoring namespace",
            [{ name: "mon", namespace: "monitoring", apps: ["a"] }],
            {},
            /^tenants\[0\]\.namespace: "monitoring" is already namespaces\.monitoring; give the tenant a namespace of its own$/m,
        ],
        [
            "one namespace for two tenants",
            [
                { name: "a", namespace: "team", apps: ["a"] },
                { name: "b", namespace: "team", apps: ["b"] },
            ],
            {},
            /^tenants\[1\]\.namespace: "team" is already tenants\[0\]'s namespace: one tenant per namespace$/m,
        ],
        [
            "an application of two teams",
            [
                { name: "a", apps: ["api"] },
                { name: "b", apps: ["api"] },
            ],
            {},
            /^tenants\[1\]\.apps\[0\]: "api" already belongs to tenant "a": an application has one owner$/m,
        ],
        [
            "nested registry prefixes",
            [
                { name: "a", apps: ["a"], registryPrefix: "teams" },
                { name: "b", apps: ["b"], registryPrefix: "teams/b" },
            ],
            {},
            /^tenants\[1\]\.registryPrefix: "teams\/b" overlaps tenants\[0\]'s "teams"/m,
        ],
        [
            "a GitHub fan-out without the github provider",
            [{ name: "a", apps: ["a"], github: { repository: "a-app" } }],
            { github: { enabled: false } },
            /^tenants\[0\]\.github: needs github\.enabled/m,
        ],
        [
            "an approval gate nobody can approve",
            [{ name: "a", apps: ["a"], productionGate: { mode: "approval" } }],
            {},
            /^tenants\[0\]\.productionGate\.reviewerUserIds: mode "approval" needs at least one reviewer/m,
        ],
        [
            "a production GitHub environment holding the credential without reviewers",
            [{ name: "a", apps: ["a"], github: { repository: "a-app" } }],
            {
                environment: "production",
                github: { enabled: true, owner: "o", repository: "r", productionReviewerUserIds: [1] },
                apps: [],
                blueGreen: {},
            },
            /^tenants\[0\]\.productionGate\.mode: must be "approval" with github/m,
        ],
        [
            "a staging tenant without a state location",
            [{ name: "a", apps: ["a"] }],
            { tenancy: {} },
            /^tenants\[0\]\.stateBackend: is required \(or tenancy\.stateBackendRoot\)/m,
        ],
        [
            "two tenants sharing a state location",
            [
                { name: "a", apps: ["a"], stateBackend: "s3://one/place" },
                { name: "b", apps: ["b"], stateBackend: "s3://one/place" },
            ],
            {},
            /^tenants\[1\]\.stateBackend: "s3:\/\/one\/place" is already tenants\[0\]'s/m,
        ],
        [
            "an unknown field",
            [{ name: "a", apps: ["a"], team: "x" }],
            {},
            /^tenants\[0\]: unknown field "team" \(allowed: name, namespace, apps, registryPrefix, stateBackend, productionGate, credential, github, gitlab\)$/m,
        ],
        [
            "a rotation that cannot be part of a Secret name",
            [{ name: "a", apps: ["a"], credential: { rotation: "Dec 7" } }],
            {},
            /^tenants\[0\]\.credential\.rotation: "Dec 7" is not a rotation label/m,
        ],
        [
            "a name too long for the derived namespace",
            [{ name: "a".repeat(53), apps: ["a"] }],
            {},
            /^tenants\[0\]\.name: "a{53}" is not a tenant name .*at most 52 characters/m,
        ],
    ];
    for (const [name, tenants, extra, expected] of cases) {
        it(`refuses ${name}, naming the field, once`, () => {
            const found = problems(withTenants(tenants, extra));
            const matching = found.filter((line) => expected.test(line));
            assert.equal(matching.length, 1, `expected one problem matching ${expected}, got:\n${found.join("\n")}`);
        });
    }
});

describe("tenancy from the environment", () => {
    const plain = (config: Obj): PlainStackConfig => {
        const parsed = parsePlainConfig(config);
        assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.problems));
        return parsed.config;
    };
    const kubeconfig = [
        "apiVersion: v1",
        "clusters:",
        "- name: one",
        "  cluster: {server: https://127.0.0.1:16443}",
        "- name: two",
        "  cluster: {server: https://10.0.0.1:6443}",
        "contexts:",
        "- {name: a, context: {cluster: one, user: u}}",
        "- {name: b, context: {cluster: two, user: u}}",
        "current-context: a",
    ].join("\n");

    it("reads the server of the deploy context, or of the current one", () => {
        assert.equal(kubeconfigServer(kubeconfig, undefined), "https://127.0.0.1:16443");
        assert.equal(kubeconfigServer(kubeconfig, "b"), "https://10.0.0.1:6443");
        assert.equal(kubeconfigServer(kubeconfig, "nope"), undefined);
        assert.equal(kubeconfigServer(": not yaml :", undefined), undefined);
    });

    it("puts the local tenants' state beside the platform's file backend, and nothing else", () => {
        assert.equal(siblingTenantsRoot("file:///var/state/backend"), "file:///var/state/tenants");
        assert.equal(siblingTenantsRoot("s3://bucket/platform"), undefined);
        assert.equal(siblingTenantsRoot(undefined), undefined);
    });

    it("GIVEN a local stack without tenancy WHEN resolved THEN the kubeconfig and the backend fill it", () => {
        const dir = mkdtempSync(join(tmpdir(), "tenancy-"));
        writeFileSync(join(dir, "kubeconfig"), kubeconfig);
        const config = plain({
            ...validConfig(),
            environment: "local",
            github: { enabled: false },
            tenants: [{ name: "shop", apps: ["storefront"] }],
        });
        const resolved = resolveTenancy(config, {
            KUBECONFIG: join(dir, "kubeconfig"),
            PULUMI_BACKEND_URL: `file://${dir}/backend`,
        });
        assert.deepEqual(resolved.problems, []);
        assert.equal(resolved.tenancy.apiServer, "https://127.0.0.1:16443");
        assert.equal(resolved.tenancy.stateBackendRoot, `file://${dir}/tenants`);
    });

    it("GIVEN no kubeconfig and a non-file backend WHEN resolved THEN it names the keys to set", () => {
        const config = plain({
            ...validConfig(),
            environment: "local",
            github: { enabled: false },
            tenants: [{ name: "shop", apps: ["storefront"] }],
        });
        const resolved = resolveTenancy(config, {
            KUBECONFIG: "/nonexistent/kubeconfig",
            PULUMI_BACKEND_URL: "s3://bucket",
        });
        assert.deepEqual(
            resolved.problems.map((p) => p.path),
            ["tenancy.apiServer", "tenancy.stateBackendRoot"],
        );
    });
});

describe("config errors", () => {
    it("are a pulumi.RunError (printed without a stack trace) listing each problem once", () => {
        const problem = { path: "tenants[0].name", message: "is wrong" };
        assert.throws(
            () => {
                failOnConfigProblems([problem, problem, { path: "x", message: "too" }], "release");
            },
            (error: unknown) => {
                assert.ok(error instanceof StackConfigRunError);
                assert.ok(pulumi.RunError.isInstance(error));
                assert.equal(
                    error.message,
                    "invalid stack config for release (2 problems):\n  - tenants[0].name: is wrong\n  - x: too",
                );
                return true;
            },
        );
        assert.doesNotThrow(() => {
            failOnConfigProblems([], "release");
        });
    });
});

describe("the tenant contract", () => {
    const settings: ReleaseSettings = {
        contractVersion: 1,
        environment: "staging",
        tenants: {
            shop: {
                name: "shop",
                namespace: "shop-staging",
                apps: ["storefront"],
                pullSecretName: "registry-credentials",
                pullSecretNames: ["registry-credentials"],
                registryPullServer: "registry.example.com",
                registryPushServer: "registry.example.com",
                registryPrefix: "shop",
                settingsConfigMap: TENANT_SETTINGS_CONFIGMAP,
                deployServiceAccount: "release-deployer",
                stateBackend: "s3://state/shop",
                productionGate: { mode: "manual", reviewerUserIds: [], reviewerTeamIds: [], requiredApprovals: 1 },
            },
        },
        router: { image: "nginx:1.27", replicas: 2, maxFails: 3, failTimeoutSeconds: 30, keepalive: 32 },
        canary: {
            steps: [10, 100],
            bakeSeconds: 0,
            stickyRequestsPerClient: 20,
            analysis: {
                maxErrorRatio: 0.01,
                maxRatioVsStable: 1.5,
                ratioFloor: 0.001,
                maxP95Seconds: 0.5,
                minRequests: 50,
                intervalSeconds: 60,
                maxNoDataIntervals: 3,
            },
        },
        monitoringNamespace: "monitoring",
        policy: { environment: "staging", packConfig: "policy/config/staging.json", minReplicas: 1 },
    };

    it("round-trips a tenant's settings through the ConfigMap data", () => {
        const view = tenantReleaseSettings(settings, "shop");
        const data = tenantSettingsData(view);
        assert.ok(Object.values(data).every((v) => typeof v === "string"));
        assert.deepEqual(parseTenantSettingsData(data), view);
    });

    it("names a missing key, an unknown tenant and an incompatible version", () => {
        const data: Record<string, string> = tenantSettingsData(tenantReleaseSettings(settings, "shop"));
        const { namespace: _dropped, ...withoutNamespace } = data;
        assert.throws(() => parseTenantSettingsData(withoutNamespace), /key "namespace" is missing/);
        assert.throws(() => parseTenantSettingsData({ ...data, contractVersion: "2" }), /contractVersion 2 is not 1/);
        assert.throws(
            () => tenantReleaseSettings(settings, "blog"),
            /tenant "blog" is not a tenant .*\(tenants: shop\)/,
        );
    });
});

describe("credential age", () => {
    it("counts days since a date-shaped rotation and ignores other labels", () => {
        assert.equal(credentialAgeDays("2026-09-01", new Date("2026-12-07T10:00:00Z")), 97);
        assert.equal(credentialAgeDays("initial", new Date()), undefined);
    });
});
