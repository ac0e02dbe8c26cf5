/**
 * The tenants' credentials as GitLab CI/CD variables, under Pulumi mocks: the deploy credential and
 * the TENANT_* values scoped to the stack's environment, the kubeconfig base64-encoded and masked in
 * a file variable, the build jobs' registry push credential and signing public key unscoped from the
 * one stack that sets them, everything protected, secrets only as secrets.
 */
import { isSecretValue, ofType, rawAt, reset, runProgram, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";

import { GitLabVariables } from "../../platform/gitlab-variables";
import { gitlabMaskProblems, GITLAB_MASKABLE } from "../../config/load";
import { parsePlainConfig } from "../../config/schema";
import { gitlabStackConfig } from "./gitlab-stack-fixture";

type Obj = Record<string, unknown>;
const PROJECT_VARIABLE = "gitlab:index/projectVariable:ProjectVariable";
const GROUP_VARIABLE = "gitlab:index/groupVariable:GroupVariable";
const PUBLIC_KEY = [
    "-----BEGIN PUBLIC KEY-----",
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmadeup",
    "-----END PUBLIC KEY-----",
].join("\n");

function shopTenant(stack: "staging" | "production", gitlab: Obj, productionGate: Obj = {}): Obj[] {
    return [
        {
            name: "shop",
            namespace: `shop-${stack}`,
            apps: ["storefront", "checkout"],
            registryPrefix: "shop",
            ...(Object.keys(productionGate).length > 0 ? { productionGate } : {}),
            gitlab,
        },
    ];
}

function byKey(type: string): Map<string, Obj> {
    return new Map(ofType(type).map((v) => [v.inputs.key as string, v.inputs]));
}

describe("the tenants' credentials as GitLab CI/CD variables", { concurrency: 1 }, () => {
    beforeEach(async () => {
        await settle();
        reset();
    });

    it("staging: the tenant's project gets the deploy credential scoped to staging and the build variables unscoped", async () => {
        const { values, secrets } = gitlabStackConfig(
            "staging",
            {},
            {
                tenants: shopTenant("staging", { project: "shop/storefront" }),
                applications: { signingPublicKey: PUBLIC_KEY },
            },
        );
        runProgram(values, secrets);
        await settle();
        const variables = byKey(PROJECT_VARIABLE);
        assert.deepEqual([...variables.keys()].sort(), [
            "REGISTRY_PASSWORD",
            "REGISTRY_SERVER",
            "REGISTRY_USERNAME",
            "SIGNING_PUBLIC_KEY",
            "TENANT_KUBECONFIG",
            "TENANT_NAME",
            "TENANT_NAMESPACE",
            "TENANT_PULL_PREFIX",
            "TENANT_PUSH_PREFIX",
            "TENANT_STATE_BACKEND",
        ]);
        for (const [key, v] of variables) {
            assert.equal(v.project, "shop/storefront", key);
            assert.equal(v.protected, true, `${key} is protected`);
            assert.equal(v.raw, true, `${key} is not expanded`);
        }

        const kubeconfig = variables.get("TENANT_KUBECONFIG") ?? {};
        assert.equal(kubeconfig.environmentScope, "staging");
        assert.equal(kubeconfig.variableType, "file");
        assert.equal(kubeconfig.masked, true);
        const decoded = Buffer.from(kubeconfig.value as string, "base64").toString("utf8");
        const doc = JSON.parse(decoded) as { apiVersion: string; clusters: { cluster: { server: string } }[] };
        assert.equal(doc.apiVersion, "v1");
        assert.equal(doc.clusters[0]?.cluster.server, "https://k8s.staging.example.com:6443");
        assert.match(kubeconfig.value as string, GITLAB_MASKABLE, "GitLab can mask the base64 form");
        const kubeconfigResource = ofType(PROJECT_VARIABLE).find((v) => v.inputs.key === "TENANT_KUBECONFIG");
        assert.ok(kubeconfigResource && isSecretValue(rawAt(kubeconfigResource, "value")), "the kubeconfig is secret");

        assert.deepEqual(
            {
                scope: variables.get("TENANT_PULL_PREFIX")?.environmentScope,
                value: variables.get("TENANT_PULL_PREFIX")?.value,
                masked: variables.get("TENANT_PULL_PREFIX")?.masked,
                type: variables.get("TENANT_PULL_PREFIX")?.variableType,
            },
            { scope: "staging", value: "registry.example.com/shop", masked: false, type: "env_var" },
        );
        assert.equal(variables.get("TENANT_STATE_BACKEND")?.value, "s3://cicd-release-state/staging/shop");

        const password = variables.get("REGISTRY_PASSWORD") ?? {};
        assert.equal(password.environmentScope, "*", "build jobs have no environment");
        assert.equal(password.masked, true);
        assert.equal(password.value, values.registryPushPassword, "the platform registry's push credential");
        const passwordResource = ofType(PROJECT_VARIABLE).find((v) => v.inputs.key === "REGISTRY_PASSWORD");
        assert.ok(passwordResource && isSecretValue(rawAt(passwordResource, "value")));
        assert.equal(variables.get("REGISTRY_SERVER")?.value, "push.registry.example.com");
        assert.equal(variables.get("REGISTRY_USERNAME")?.value, "ci-push");
        assert.deepEqual(
            {
                value: variables.get("SIGNING_PUBLIC_KEY")?.value,
                type: variables.get("SIGNING_PUBLIC_KEY")?.variableType,
                masked: variables.get("SIGNING_PUBLIC_KEY")?.masked,
            },
            { value: PUBLIC_KEY, type: "file", masked: false },
        );
        for (const v of ofType(PROJECT_VARIABLE)) {
            assert.match(v.provider ?? "", /::pulumi:providers:gitlab::gitlab::/);
        }
    });

    it("production on a paid tier: a tenant group's variables scoped to production, no build variables", async () => {
        const { values, secrets } = gitlabStackConfig(
            "production",
            { tier: "premium" },
            {
                tenants: shopTenant(
                    "production",
                    { group: "shop" },
                    { mode: "approval", reviewerUserIds: [1048576], requiredApprovals: 1 },
                ),
            },
        );
        runProgram(values, secrets);
        await settle();
        assert.equal(ofType(PROJECT_VARIABLE).length, 0);
        const variables = byKey(GROUP_VARIABLE);
        assert.ok(!variables.has("REGISTRY_PASSWORD"), "the staging stack alone sets the build variables");
        assert.equal(variables.get("TENANT_KUBECONFIG")?.environmentScope, "production");
        assert.equal(variables.get("TENANT_KUBECONFIG")?.group, "shop");
        for (const [key, v] of variables) {
            assert.equal(v.environmentScope, "production", key);
            assert.equal(v.protected, true, key);
        }
    });

    it("a tenant without a GitLab project or group gets no variables", async () => {
        const { values, secrets } = gitlabStackConfig("staging");
        runProgram(values, secrets);
        await settle();
        assert.equal(ofType(PROJECT_VARIABLE).length + ofType(GROUP_VARIABLE).length, 0);
    });

    it("refuses a registry push password GitLab cannot mask, naming the key and not the value", () => {
        const { values } = gitlabStackConfig(
            "staging",
            {},
            { tenants: shopTenant("staging", { project: "shop/storefront" }) },
        );
        const parsed = parsePlainConfig(
            Object.fromEntries(Object.entries(values).filter(([key]) => !/Password|Secret|Token|Key$/.test(key))),
        );
        assert.ok(parsed.ok, JSON.stringify(parsed.ok ? [] : parsed.problems));
        const bad = "has spaces and {braces}";
        const problems = gitlabMaskProblems(parsed.config, { registryPushPassword: bad });
        assert.deepEqual(
            problems.map((p) => p.path),
            ["registryPushPassword"],
        );
        assert.match(problems[0]?.message ?? "", /cannot be masked by GitLab/);
        assert.ok(!(problems[0]?.message ?? "").includes(bad));
        assert.deepEqual(gitlabMaskProblems(parsed.config, { registryPushPassword: "Maskable+0123/=" }), []);
    });

    it("GitLabVariables refuses a project and a group at once, and a key listed twice", () => {
        assert.throws(
            () => new GitLabVariables("v", { project: "a/b", group: "a", variables: [] }),
            /v: set exactly one of project and group/,
        );
        assert.throws(
            () =>
                new GitLabVariables("v", {
                    project: "a/b",
                    variables: [
                        { key: "A", value: "1", form: "plain" },
                        { key: "A", value: "2", form: "plain" },
                    ],
                }),
            /v: variable A is listed twice/,
        );
    });
});

describe("ci/steps' kubeconfig_file reads what the GitLab fan-out sends", () => {
    const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";
    const lib = join(__dirname, "..", "..", "ci", "steps", "lib.sh");
    const read = (value: string, asFile: boolean) =>
        spawnSync(
            "bash",
            [
                "-c",
                asFile
                    ? 'source "$0"; f="$WORK/in"; printf %s "$V" >"$f"; TENANT_KUBECONFIG="$f"; p="$(kubeconfig_file TENANT_KUBECONFIG)"; cat "$p"'
                    : 'source "$0"; TENANT_KUBECONFIG="$V"; p="$(kubeconfig_file TENANT_KUBECONFIG)"; cat "$p"',
                lib,
            ],
            { env: { ...process.env, V: value }, encoding: "utf8" },
        );
    const base64 = Buffer.from(KUBECONFIG).toString("base64");

    for (const [name, value, asFile] of [
        ["the text", KUBECONFIG, false],
        ["a file of it", KUBECONFIG, true],
        ["its base64", base64, false],
        ["a file of its base64 (GitLab's masked file variable)", base64, true],
    ] as const) {
        it(`takes ${name}`, () => {
            const result = read(value, asFile);
            assert.equal(result.status, 0, result.stderr);
            assert.equal(result.stdout, KUBECONFIG);
        });
    }

    it("refuses what is none of them, with the usage exit code", () => {
        const result = read("bm90IGEga3ViZWNvbmZpZw==", false);
        assert.equal(result.status, 2);
        assert.match(result.stderr, /TENANT_KUBECONFIG: neither a kubeconfig/);
    });
});
