/**
 * The pack's GitLab policies on the resources the stacks create: production variables protected and
 * masked in a form GitLab can mask (a kubeconfig base64-encoded), production environments deployable
 * only by the named, production runners on protected refs only. A variant with an
 * unprotected production variable makes the pack fire.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { checkStack, type StackInput, UNKNOWN_STRING } from "./harness";

const PRODUCTION = { environment: "production" };
const STAGING = { environment: "staging" };
const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";

const variable = (key: string, props: Record<string, unknown>): StackInput => ({
    type: "gitlab:index/projectVariable:ProjectVariable",
    name: `tenant-shop-gitlab-${key.toLowerCase()}`,
    props: { project: "shop/storefront", key, environmentScope: "production", ...props },
});

/** What the fan-out creates in production (platform/gitlab-variables.ts). */
const FAN_OUT = [
    variable("TENANT_KUBECONFIG", {
        value: Buffer.from(KUBECONFIG).toString("base64"),
        masked: true,
        protected: true,
        variableType: "file",
    }),
    variable("TENANT_PULL_PREFIX", { value: "registry.example.com/shop", masked: false, protected: true }),
    variable("REGISTRY_PASSWORD", { value: "Maskable+0123/=", masked: true, protected: true }),
    variable("SIGNING_PUBLIC_KEY", {
        value: "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
        masked: false,
        protected: true,
        variableType: "file",
    }),
];

async function pack(resources: readonly StackInput[], config = PRODUCTION): Promise<string[]> {
    const names = [
        "production-gitlab-variables-protected",
        "production-ci-credentials-protected",
        "production-gitlab-runners-protected",
        "production-gitlab-environment-approval",
    ];
    const found: string[] = [];
    for (const name of names) {
        for (const violation of await checkStack(name, resources, config)) {
            found.push(`${name}: ${violation.message}`);
        }
    }
    return found;
}

describe("the pack's GitLab policies", () => {
    it("GIVEN what the fan-out creates in production THEN nothing fires", async () => {
        assert.deepEqual(await pack(FAN_OUT), []);
    });

    it("GIVEN the variant with an unprotected production variable THEN the pack fires, naming it", async () => {
        const variant = [
            ...FAN_OUT.slice(1),
            variable("TENANT_KUBECONFIG", { ...FAN_OUT[0]?.props, protected: false }),
        ];
        const found = await pack(variant);
        assert.equal(found.length, 2, found.join("\n"));
        assert.match(
            found[0] ?? "",
            /^production-gitlab-variables-protected: GitLab CI variable TENANT_KUBECONFIG \(ProjectVariable "tenant-shop-gitlab-tenant_kubeconfig"\) is not protected/,
        );
        assert.match(found[1] ?? "", /^production-ci-credentials-protected: .*TENANT_KUBECONFIG.* not protected: true/);
        const plain = await pack([variable("TENANT_PULL_PREFIX", { value: "r/shop", protected: false })]);
        assert.equal(plain.length, 1, "a plain production variable is protected too");
        assert.deepEqual(await pack(variant, STAGING), [], "staging is not judged");
    });

    it("GIVEN a kubeconfig masked as it is, or hidden THEN it fires: only the base64 form can be masked", async () => {
        for (const flags of [{ masked: true }, { hidden: true }]) {
            const found = await pack([variable("TENANT_KUBECONFIG", { value: KUBECONFIG, protected: true, ...flags })]);
            assert.equal(found.length, 1, found.join("\n"));
            assert.match(found[0] ?? "", /is masked but GitLab cannot mask its value .* base64-encode the value/);
        }
        const unmasked = await pack([variable("TENANT_KUBECONFIG", { value: KUBECONFIG, protected: true })]);
        assert.match(unmasked.join("\n"), /production-ci-credentials-protected: .*not masked: true/);
        assert.deepEqual(
            await pack([variable("TENANT_KUBECONFIG", { value: UNKNOWN_STRING, masked: true, protected: true })]),
            [],
            "a value unknown at preview is not judged",
        );
        assert.deepEqual(
            await pack([variable("TENANT_KUBECONFIG", { value: "[secret]", masked: true, protected: true })]),
            [],
            "nor one the engine does not show",
        );
        assert.deepEqual(
            await pack([variable("TENANT_KUBECONFIG", { value: "", masked: true, protected: true })]),
            [],
            "nor a secret the preview does not know yet (the engine sends an empty string)",
        );
    });

    it("GIVEN a production runner that takes unprotected branches' jobs THEN it fires", async () => {
        const runner = (accessLevel: string): StackInput => ({
            type: "gitlab:index/userRunner:UserRunner",
            name: "gitlab-runner",
            props: { runnerType: "project_type", projectId: 42, accessLevel, tagLists: ["production"] },
        });
        assert.deepEqual(await pack([runner("ref_protected")]), []);
        const found = await pack([runner("not_protected")]);
        assert.equal(found.length, 1);
        assert.match(found[0] ?? "", /GitLab runner "gitlab-runner" .* accessLevel "not_protected"/);
        assert.deepEqual(await pack([runner("not_protected")], STAGING), []);
    });

    it("GIVEN a production environment deployable by a role THEN it fires; by named users or groups it passes", async () => {
        const environment = (deployAccessLevelsAttributes: unknown[]): StackInput => ({
            type: "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
            name: "tenant-shop-gitlab-production",
            props: {
                project: "shop/storefront",
                environment: "production",
                deployAccessLevelsAttributes,
                approvalRules: [{ groupId: 31, requiredApprovals: 1 }],
            },
        });
        assert.deepEqual(await pack([environment([{ groupId: 31 }, { userId: 7 }])]), []);
        for (const loose of [[], [{ accessLevel: "developer" }]]) {
            const found = await pack([environment(loose)]);
            assert.equal(found.length, 1, found.join("\n"));
            assert.match(found[0] ?? "", /does not restrict who deploys/);
        }
    });
});
