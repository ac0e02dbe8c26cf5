import * as pulumi from "@pulumi/pulumi";
import {
    byName,
    isSecretOutput,
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

import {
    EnvironmentNamespace,
    GitHubRepositorySettings,
    RegistryCredentials,
    restrictedPodSecurityLabels,
} from "../../components";
import { dockerConfigJson } from "../../components/registry/registry-credentials";
import { SECRET_KEYS, validConfig } from "./fixtures";

type Obj = Record<string, unknown>;
const get = (value: unknown, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>((v, key) => (v as Obj | undefined)?.[key as string], value);

describe("EnvironmentNamespace", () => {
    beforeEach(reset);

    it("labels the namespace restricted and closes it with default-deny plus the needed openings", async () => {
        new EnvironmentNamespace("apps", { namespace: "shop", environment: "staging", monitoringNamespace: "mon" });
        await settle();
        const ns = byName("kubernetes:core/v1:Namespace", "apps");
        assert.equal(get(ns.inputs, "metadata", "name"), "shop");
        assert.deepEqual(get(ns.inputs, "metadata", "labels"), {
            ...restrictedPodSecurityLabels("latest"),
            "cicd.platform/environment": "staging",
            "app.kubernetes.io/managed-by": "pulumi",
        });
        const policies = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        assert.deepEqual(policies.map((p) => get(p.inputs, "metadata", "name")).sort(), [
            "allow-dns",
            "allow-ingress-to-router",
            "allow-prometheus-scrape",
            "allow-router-egress",
            "allow-router-to-apps",
            "default-deny",
        ]);
        const policy = (name: string): Obj =>
            byName("kubernetes:networking.k8s.io/v1:NetworkPolicy", `apps-${name}`).inputs;
        for (const policy of policies) {
            assert.equal(get(policy.inputs, "metadata", "namespace"), "shop");
        }
        assert.deepEqual(get(policy("default-deny"), "spec"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepEqual(
            get(policy("allow-prometheus-scrape"), "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchLabels"),
            { "kubernetes.io/metadata.name": "mon" },
        );
        assert.deepEqual(get(policy("allow-router-to-apps"), "spec", "ingress", 0, "from", 0, "podSelector"), {
            matchLabels: { "app.kubernetes.io/component": "router" },
        });
    });
});

describe("RegistryCredentials", () => {
    beforeEach(reset);

    it("writes one dockerconfigjson Secret per namespace and GitHub environment secrets, all secret", async () => {
        const creds = new RegistryCredentials("registry", {
            server: "registry.example.com",
            username: "ci",
            password: "hunter2",
            namespaces: ["a", "b"],
            githubRepository: "shop",
            githubEnvironments: ["staging"],
        });
        await settle();
        const secrets = ofType("kubernetes:core/v1:Secret");
        assert.deepEqual(
            secrets.map((s) => get(s.inputs, "metadata", "namespace")),
            ["a", "b"],
        );
        for (const secret of secrets) {
            assert.equal(secret.inputs.type, "kubernetes.io/dockerconfigjson");
            assert.equal(get(secret.inputs, "metadata", "name"), "registry-credentials");
            const doc = JSON.parse(get(secret.inputs, "stringData", ".dockerconfigjson") as string) as Obj;
            assert.deepEqual(doc, {
                auths: {
                    "registry.example.com": {
                        username: "ci",
                        password: "hunter2",
                        auth: Buffer.from("ci:hunter2").toString("base64"),
                    },
                },
            });
            assert.ok(
                isSecretValue(rawAt(secret, "stringData")) ||
                    isSecretValue(rawAt(secret, "stringData", ".dockerconfigjson")),
            );
        }
        const ghSecret = byName(
            "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            "registry-staging-password",
        );
        assert.equal(ghSecret.inputs.secretName, "REGISTRY_PASSWORD");
        assert.equal(ghSecret.inputs.environment, "staging");
        assert.ok(isSecretValue(rawAt(ghSecret, "plaintextValue")), "GitHub secret value must be a Pulumi secret");
        const vars = ofType("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable");
        assert.deepEqual(
            vars.map((v) => [v.inputs.variableName, v.inputs.value]),
            [
                ["REGISTRY_SERVER", "registry.example.com"],
                ["REGISTRY_USERNAME", "ci"],
            ],
        );
        assert.equal(await isSecretOutput(creds.dockerConfigJson), true);
        assert.equal(await isSecretOutput(creds.password), true);
        const names = async (resources: readonly pulumi.Resource[]) =>
            Promise.all(resources.map(async (r) => (await valueOf(r.urn)).split("::").pop()));
        assert.deepEqual(await names(creds.githubVariables), ["registry-staging-server", "registry-staging-username"]);
        assert.deepEqual(await names(creds.githubSecrets), ["registry-staging-password"]);
    });

    it("builds the document container tools read", () => {
        const doc = JSON.parse(dockerConfigJson("r:5000", "u", "p:w")) as { auths: Record<string, Obj> };
        assert.equal(Buffer.from(doc.auths["r:5000"]?.auth as string, "base64").toString(), "u:p:w");
    });

    it("refuses GitHub environments without a repository", () => {
        assert.throws(
            () =>
                new RegistryCredentials("r", {
                    server: "s",
                    username: "u",
                    password: "p",
                    namespaces: [],
                    githubEnvironments: ["staging"],
                }),
            /githubEnvironments: needs githubRepository/,
        );
    });
});

describe("GitHubRepositorySettings", () => {
    beforeEach(reset);

    it("protects main when asked, requires the preview check and reviewers on production, deploys production from main only", async () => {
        new GitHubRepositorySettings("gh", {
            repository: "shop",
            protectBranch: true,
            productionReviewerUserIds: [42],
            productionReviewerTeamIds: [7],
            variables: { production: { DEPLOY_ENVIRONMENT: "production" } },
            secrets: { staging: { API_KEY: "k" } },
        });
        await settle();
        const production = byName("github:index/repositoryEnvironment:RepositoryEnvironment", "gh-production");
        assert.deepEqual(production.inputs.reviewers, [{ users: [42], teams: [7] }]);
        assert.deepEqual(production.inputs.deploymentBranchPolicy, {
            protectedBranches: false,
            customBranchPolicies: true,
        });
        assert.equal(production.inputs.preventSelfReview, true);
        const policy = byName(
            "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
            "gh-production-main",
        );
        assert.equal(policy.inputs.branchPattern, "main");
        const protection = byName("github:index/branchProtection:BranchProtection", "gh-main");
        assert.deepEqual(protection.inputs.requiredStatusChecks, [{ strict: true, contexts: ["preview"] }]);
        assert.equal(protection.inputs.enforceAdmins, true);
        assert.equal(protection.inputs.allowsForcePushes, false);
        const secret = byName(
            "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            "gh-staging-secret-API_KEY",
        );
        assert.ok(isSecretValue(rawAt(secret, "plaintextValue")));
    });

    it("manages only the environments it is given, and no branch protection unless asked", async () => {
        new GitHubRepositorySettings("gh", { repository: "shop", environments: ["staging"] });
        await settle();
        assert.deepEqual(
            registered
                .filter((r) => r.type.startsWith("github:"))
                .map((r) => r.name)
                .sort(),
            ["gh-staging", "gh-staging-preview"],
        );
        const preview = byName("github:index/repositoryEnvironment:RepositoryEnvironment", "gh-staging-preview");
        assert.equal(preview.inputs.environment, "staging-preview");
        assert.equal(preview.inputs.reviewers, undefined, "a preview needs no reviewer");
        assert.throws(
            () =>
                new GitHubRepositorySettings("gh2", {
                    repository: "shop",
                    environments: ["staging"],
                    variables: { production: { A: "b" } },
                }),
            /variables: for "production", which this stack does not manage/,
        );
        await settle();
        assert.equal(registered.filter((r) => r.name === "gh2").length, 0, "a refused component registers nothing");
    });
});

describe("the program (index.ts)", () => {
    beforeEach(reset);

    it("wires a staging stack: namespace, credentials, GitHub, canary and blue-green, nothing secret exported", async () => {
        const outputs = runProgram(validConfig(), SECRET_KEYS);
        await settle();

        const count = (type: string): number => ofType(type).length;
        assert.equal(count("pulumi:providers:kubernetes"), 1);
        assert.equal(count("pulumi:providers:github"), 1);
        assert.equal(count("cicd:platform:EnvironmentNamespace"), 1);
        assert.equal(count("cicd:registry:RegistryCredentials"), 1);
        assert.equal(count("cicd:release:CanaryRelease"), 1);
        assert.equal(count("cicd:release:BlueGreenRelease"), 1);
        assert.equal(count("cicd:github:RepositorySettings"), 1);
        // storefront stable+canary+router, checkout blue+green
        assert.equal(count("kubernetes:apps/v1:Deployment"), 5);
        assert.equal(count("github:index/branchProtection:BranchProtection"), 0, "staging does not own the branch");
        assert.deepEqual(
            ofType("github:index/repositoryEnvironment:RepositoryEnvironment")
                .map((r) => r.inputs.environment)
                .sort(),
            ["staging", "staging-preview"],
        );

        const exported = JSON.stringify(await valueOf(pulumi.output(outputs)));
        assert.doesNotMatch(exported, /s3cr3t-registry-pw/);
        assert.equal(count("cicd:registry:PrivateRegistry"), 0, "disabled by default");
        assert.match(exported, /"stable":75,"canary":25/);
    });

    it("adds the private registry: its pull Secret in the app namespace, its push credential only to CI", async () => {
        const config = {
            ...validConfig(),
            privateRegistry: { enabled: true, pushNamespaces: ["ci"] },
            registryPushPassword: "push-password-0123456789",
            registryPullPassword: "pull-password-0123456789",
            registryHttpSecret: "http-secret-0123456789abcdef0123456789",
        };
        const outputs = runProgram(config, [
            ...SECRET_KEYS,
            "registryPushPassword",
            "registryPullPassword",
            "registryHttpSecret",
        ]);
        await settle();
        assert.equal(ofType("cicd:registry:PrivateRegistry").length, 1);
        const pullSecrets = ofType("kubernetes:core/v1:Secret").filter(
            (s) => (s.inputs.metadata as Obj).name === "private-registry-pull",
        );
        assert.deepEqual(
            pullSecrets.map((s) => (s.inputs.metadata as Obj).namespace),
            ["shop-staging"],
        );
        const ghSecrets = ofType("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret").map(
            (s) => s.inputs.secretName,
        );
        assert.deepEqual([...ghSecrets].sort(), ["PRIVATE_REGISTRY_PASSWORD", "REGISTRY_PASSWORD"]);
        const stable = byName("kubernetes:apps/v1:Deployment", "storefront-stable");
        const pod = ((stable.inputs.spec as Obj).template as Obj).spec as Obj;
        assert.deepEqual(pod.imagePullSecrets, [{ name: "registry-credentials" }, { name: "private-registry-pull" }]);
        const exported = JSON.stringify(await valueOf(pulumi.output(outputs)));
        assert.doesNotMatch(exported, /password-0123456789|http-secret/);
    });

    it("hands its explicit providers to every Kubernetes and GitHub resource, down to the deepest child", async () => {
        runProgram(
            {
                ...validConfig(),
                privateRegistry: { enabled: true, garbageCollectSchedule: "0 3 * * 0" },
                github: { enabled: true, owner: "example-org", repository: "shop", protectBranch: true },
                registryPushPassword: "push-password-0123456789",
                registryPullPassword: "pull-password-0123456789",
                registryHttpSecret: "http-secret-0123456789abcdef0123456789",
            },
            [...SECRET_KEYS, "registryPushPassword", "registryPullPassword", "registryHttpSecret"],
        );
        await settle();
        const explicit: Record<string, string> = {
            kubernetes: "urn:pulumi:test::cicd-platform::pulumi:providers:kubernetes::kubernetes::",
            github: "urn:pulumi:test::cicd-platform::pulumi:providers:github::github::",
        };
        const checked = registered.filter((r) => r.type.startsWith("kubernetes:") || r.type.startsWith("github:"));
        assert.ok(checked.length > 40, `expected the whole platform, got ${checked.length} resources`);
        for (const resource of checked) {
            const pkg = resource.type.split(":")[0] as string;
            assert.ok(
                resource.provider?.startsWith(explicit[pkg] as string),
                `${resource.type} ${resource.name} uses ${resource.provider ?? "the default provider"}`,
            );
        }
        assert.ok(
            checked.some((r) => r.type === "kubernetes:batch/v1:CronJob"),
            "the registry's GC CronJob is checked",
        );
        assert.ok(
            checked.some((r) => r.type.startsWith("github:")),
            "GitHub resources are checked",
        );
    });
});
