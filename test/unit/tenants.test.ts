/**
 * The Tenant component under Pulumi mocks (its deploy Role, namespace, token, settings ConfigMap and
 * GitHub fan-out) and the tenants of the environment stack. The tenants config is in
 * tenants-config.test.ts.
 */
import {
    byName,
    isSecretOutput,
    isSecretValue,
    ofType,
    rawAt,
    reset,
    runProgram,
    settle,
    valueOf,
} from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { Tenant } from "../../components";
import { TENANT_DEPLOY_RULES } from "../../components/tenants/deploy-rules";
import {
    parseTenantSettingsData,
    TENANT_CI_VARIABLES,
    TENANT_SETTINGS_CONFIGMAP,
    tenantReleaseSettings,
} from "../../config/tenant-contract";
import { SECRET_KEYS, TWO_TENANTS, validConfig, withTenants } from "./fixtures";

type Obj = Record<string, unknown>;
const get = (value: unknown, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>((v, key) => (v as Obj | undefined)?.[key as string], value);

describe("Tenant", () => {
    beforeEach(reset);

    const args = {
        tenant: "blog",
        namespace: "blog-staging",
        environment: "staging",
        apiServer: "https://k8s.example.com:6443",
        settings: { tenant: "blog" },
    };

    it("GIVEN a tenant WHEN created THEN its deploy Role changes only what a release creates, in its namespace", async () => {
        new Tenant("tenant-blog", args);
        await settle();
        const role = byName("kubernetes:rbac.authorization.k8s.io/v1:Role", "tenant-blog-deployer");
        assert.equal(get(role.inputs, "metadata", "namespace"), "blog-staging");
        const rules = get(role.inputs, "rules") as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
        assert.deepEqual(rules, TENANT_DEPLOY_RULES);
        const changeable = rules
            .filter((r) => r.verbs.includes("create"))
            .flatMap((r) => r.resources.map((res) => `${r.apiGroups[0] ?? ""}/${res}`))
            .sort();
        assert.deepEqual(changeable, ["/configmaps", "/services", "apps/deployments", "policy/poddisruptionbudgets"]);
        const everything = rules.flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs]);
        for (const forbidden of ["*", "secrets", "roles", "rolebindings", "serviceaccounts", "pods/exec"]) {
            assert.ok(!everything.includes(forbidden), `the Role must not mention ${forbidden}`);
        }
        assert.ok(!rules.some((r) => r.apiGroups.includes("rbac.authorization.k8s.io")));
        assert.deepEqual(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"), []);
        assert.deepEqual(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"), []);

        const binding = byName("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "tenant-blog-deployer");
        assert.deepEqual(get(binding.inputs, "subjects"), [
            { kind: "ServiceAccount", name: "release-deployer", namespace: "blog-staging" },
        ]);
        assert.deepEqual(get(binding.inputs, "roleRef"), {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "Role",
            name: "release-deployer",
        });
        const account = byName("kubernetes:core/v1:ServiceAccount", "tenant-blog-deployer");
        assert.equal(get(account.inputs, "automountServiceAccountToken"), false);
    });

    it("creates the restricted default-deny namespace, or adopts an existing one", async () => {
        new Tenant("tenant-blog", args);
        await settle();
        const ns = byName("kubernetes:core/v1:Namespace", "tenant-blog-namespace");
        assert.equal(get(ns.inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce"), "restricted");
        assert.ok(
            ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").some(
                (p) => get(p.inputs, "metadata", "name") === "default-deny",
            ),
        );
        reset();
        new Tenant("tenant-shop", { ...args, tenant: "shop", namespace: "shop-staging", manageNamespace: false });
        await settle();
        assert.deepEqual(ofType("kubernetes:core/v1:Namespace"), []);
        const role = byName("kubernetes:rbac.authorization.k8s.io/v1:Role", "tenant-shop-deployer");
        assert.equal(get(role.inputs, "metadata", "namespace"), "shop-staging");
    });

    it("issues a token whose Secret name carries the rotation, and a secret kubeconfig for it", async () => {
        const tenant = new Tenant("tenant-blog", { ...args, credentialRotation: "2026-12-07" });
        await settle();
        const secret = byName("kubernetes:core/v1:Secret", "tenant-blog-token");
        assert.equal(get(secret.inputs, "type"), "kubernetes.io/service-account-token");
        assert.equal(get(secret.inputs, "metadata", "name"), "release-deployer-token-2026-12-07");
        assert.equal(
            get(secret.inputs, "metadata", "annotations", "kubernetes.io/service-account.name"),
            "release-deployer",
        );
        assert.ok(await isSecretOutput(tenant.kubeconfig));
        const kubeconfig = JSON.parse(await valueOf(tenant.kubeconfig)) as Obj;
        assert.equal(get(kubeconfig, "users", 0, "user", "token"), "mock-token-of-tenant-blog-token");
        assert.equal(get(kubeconfig, "clusters", 0, "cluster", "server"), "https://k8s.example.com:6443");
        assert.equal(
            get(kubeconfig, "clusters", 0, "cluster", "certificate-authority-data"),
            Buffer.from("mock-ca").toString("base64"),
        );
        assert.equal(get(kubeconfig, "contexts", 0, "context", "namespace"), "blog-staging");
        assert.equal(get(kubeconfig, "current-context"), get(kubeconfig, "contexts", 0, "name"));

        reset();
        new Tenant("tenant-blog", { ...args, credentialRotation: "2027-03-01" });
        await settle();
        assert.equal(
            get(byName("kubernetes:core/v1:Secret", "tenant-blog-token").inputs, "metadata", "name"),
            "release-deployer-token-2027-03-01",
            "a new rotation is a new Secret name: Pulumi replaces the token",
        );
    });

    it("refuses a rotation that cannot name a Secret, before registering anything", async () => {
        assert.throws(
            () => new Tenant("tenant-blog", { ...args, credentialRotation: "Dec 7" }),
            /credentialRotation: "Dec 7" must be a DNS label/,
        );
        await settle();
        assert.deepEqual(ofType("cicd:tenants:Tenant"), []);
    });

    it("writes the settings ConfigMap under its contract name and guards it from the namespace's accounts", async () => {
        new Tenant("tenant-blog", args);
        await settle();
        const configMap = byName("kubernetes:core/v1:ConfigMap", "tenant-blog-settings");
        assert.equal(get(configMap.inputs, "metadata", "name"), TENANT_SETTINGS_CONFIGMAP);
        assert.deepEqual(get(configMap.inputs, "data"), { tenant: "blog" });
        const policy = byName(
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
            "tenant-blog-settings-guard",
        );
        assert.deepEqual(get(policy.inputs, "spec", "matchConstraints", "namespaceSelector", "matchLabels"), {
            "kubernetes.io/metadata.name": "blog-staging",
        });
        assert.deepEqual(get(policy.inputs, "spec", "matchConstraints", "resourceRules", 0, "operations"), [
            "CREATE",
            "UPDATE",
            "DELETE",
        ]);
        const conditions = get(policy.inputs, "spec", "matchConditions") as { expression: string }[];
        assert.match(conditions[0]?.expression ?? "", /== "tenant-settings"/);
        assert.match(conditions[1]?.expression ?? "", /system:serviceaccount:" \+ request\.namespace/);
        const binding = byName(
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
            "tenant-blog-settings-guard",
        );
        assert.deepEqual(get(binding.inputs, "spec", "validationActions"), ["Deny"]);
    });

    it("fans the credential out to the team's GitHub environments: the kubeconfig secret, the rest plain", async () => {
        new Tenant("tenant-blog", {
            ...args,
            githubRepository: "blog-app",
            githubEnvironments: ["production"],
            productionReviewerTeamIds: [7],
            stateBackend: "s3://state/blog",
            pushRepositoryPrefix: "registry.example.com/blog",
        });
        await settle();
        const secret = byName(
            "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            "tenant-blog-production-kubeconfig",
        );
        assert.equal(get(secret.inputs, "secretName"), TENANT_CI_VARIABLES.kubeconfig);
        assert.ok(isSecretValue(rawAt(secret, "plaintextValue")), "the kubeconfig reaches GitHub as a secret");
        const variables = ofType("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable");
        assert.deepEqual(variables.map((v) => get(v.inputs, "variableName")).sort(), [
            "TENANT_NAME",
            "TENANT_NAMESPACE",
            "TENANT_PUSH_PREFIX",
            "TENANT_STATE_BACKEND",
        ]);
        const environment = byName(
            "github:index/repositoryEnvironment:RepositoryEnvironment",
            "tenant-blog-production-environment",
        );
        assert.deepEqual(get(environment.inputs, "reviewers"), [{ users: [], teams: [7] }]);
        assert.equal(get(environment.inputs, "preventSelfReview"), true);
    });
});

describe("tenants in the environment stack", () => {
    beforeEach(reset);

    it("GIVEN two tenants WHEN the platform runs THEN each gets its Tenant and pull Secrets, and the outputs carry the contract", async () => {
        const outputs = runProgram(withTenants(TWO_TENANTS), SECRET_KEYS);
        await settle();
        assert.deepEqual(
            ofType("cicd:tenants:Tenant")
                .map((t) => t.name)
                .sort(),
            ["tenant-blog", "tenant-shop"],
        );
        // shop adopts the apps namespace (created once, by the environment); blog gets its own.
        assert.deepEqual(
            ofType("kubernetes:core/v1:Namespace")
                .map((n) => get(n.inputs, "metadata", "name"))
                .sort(),
            ["blog-staging", "shop-staging"],
        );
        const pullSecrets = ofType("kubernetes:core/v1:Secret").filter(
            (s) => get(s.inputs, "type") === "kubernetes.io/dockerconfigjson",
        );
        assert.deepEqual(
            pullSecrets
                .map(
                    (s) =>
                        `${String(get(s.inputs, "metadata", "namespace"))}/${String(get(s.inputs, "metadata", "name"))}`,
                )
                .sort(),
            ["blog-staging/registry-credentials", "shop-staging/registry-credentials"],
        );

        assert.equal(await isSecretOutput(outputs.releaseSettings), false, "release stacks read it: plain");
        const settings = await valueOf(outputs.releaseSettings);
        assert.deepEqual(Object.keys(settings.tenants).sort(), ["blog", "shop"]);
        assert.deepEqual(settings.tenants.blog, {
            name: "blog",
            namespace: "blog-staging",
            apps: ["blog"],
            pullSecretName: "registry-credentials",
            pullSecretNames: ["registry-credentials"],
            registryPullServer: "registry.example.com",
            registryPushServer: "registry.example.com",
            registryPrefix: "teams/blog",
            settingsConfigMap: "tenant-settings",
            deployServiceAccount: "release-deployer",
            stateBackend: "s3://releases-state/staging/blog",
            productionGate: { mode: "approval", reviewerUserIds: [], reviewerTeamIds: [7], requiredApprovals: 1 },
        });
        assert.equal(settings.policy.packConfig, "policy/config/staging.json");
        assert.deepEqual(settings.canary.steps, [10, 25, 50, 100]);

        // The ConfigMap in blog's namespace says the same as the output, for release stacks on blog's own backend.
        const configMap = ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === "tenant-blog-settings");
        const data = get(configMap?.inputs, "data") as Record<string, string>;
        assert.deepEqual(parseTenantSettingsData(data), tenantReleaseSettings(settings, "blog"));

        assert.ok(await isSecretOutput(outputs.tenantKubeconfigs), "the credentials output is secret");
        const kubeconfigs = await valueOf(outputs.tenantKubeconfigs);
        assert.deepEqual(Object.keys(kubeconfigs).sort(), ["blog", "shop"]);
    });

    it("GIVEN no tenants WHEN the platform runs THEN nothing of them is created and the settings list none", async () => {
        const outputs = runProgram(validConfig(), SECRET_KEYS);
        await settle();
        assert.deepEqual(ofType("cicd:tenants:Tenant"), []);
        assert.deepEqual((await valueOf(outputs.releaseSettings)).tenants, {});
    });
});
