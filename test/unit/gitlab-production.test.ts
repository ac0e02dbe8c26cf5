/**
 * Production's gate in GitLab under Pulumi mocks: the platform repository's default branch protected
 * on every tier; on a paid tier each tenant project's production environment, protected for exactly
 * its named deployers with approval rules; on Free nothing of a paid feature.
 */
import { ofType, reset, runProgram, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { gitlabStackConfig } from "./gitlab-stack-fixture";

type Obj = Record<string, unknown>;
const BRANCH = "gitlab:index/branchProtection:BranchProtection";
const ENVIRONMENT = "gitlab:index/projectEnvironment:ProjectEnvironment";
const PROTECTED = "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment";
const GATE = { mode: "approval", reviewerUserIds: [1048576], requiredApprovals: 1 };

function production(tier: string, gitlab: Obj) {
    return gitlabStackConfig(
        "production",
        { tier },
        {
            tenants: [
                {
                    name: "shop",
                    namespace: "shop-production",
                    apps: ["storefront", "checkout"],
                    productionGate: GATE,
                    gitlab,
                },
            ],
        },
    );
}

describe("production's gate in GitLab", { concurrency: 1 }, () => {
    beforeEach(async () => {
        await settle();
        reset();
    });

    it("premium: the default branch protected, and the tenant's production environment deployable only by the named, with approvals", async () => {
        const { values, secrets } = production("premium", {
            project: "shop/storefront",
            deployGroupIds: [31],
            deployUserIds: [7],
            requiredApprovals: 2,
        });
        runProgram(values, secrets);
        await settle();
        const [branch] = ofType(BRANCH);
        assert.deepEqual(branch?.inputs, {
            project: "platform/cicd-platform",
            branch: "main",
            pushAccessLevel: "no one",
            mergeAccessLevel: "maintainer",
            allowForcePush: false,
        });
        const [environment] = ofType(ENVIRONMENT);
        assert.deepEqual(environment?.inputs, { project: "shop/storefront", name: "production", tier: "production" });
        const [protection] = ofType(PROTECTED);
        assert.deepEqual(protection?.inputs, {
            project: "shop/storefront",
            environment: "production",
            deployAccessLevelsAttributes: [{ groupId: 31 }, { userId: 7 }],
            approvalRules: [
                { groupId: 31, requiredApprovals: 2 },
                { userId: 7, requiredApprovals: 1 },
            ],
        });
        for (const r of [...ofType(BRANCH), ...ofType(ENVIRONMENT), ...ofType(PROTECTED)]) {
            assert.match(r.provider ?? "", /::pulumi:providers:gitlab::gitlab::/);
        }
    });

    it("free: only the default branch's protection, no environment of a paid feature", async () => {
        const { values, secrets } = production("free", { project: "shop/storefront" });
        runProgram(values, secrets);
        await settle();
        assert.equal(ofType(BRANCH).length, 1);
        assert.equal(ofType(ENVIRONMENT).length, 0);
        assert.equal(ofType(PROTECTED).length, 0);
    });

    it("staging protects no branch (one stack per project) and no environment", async () => {
        const { values, secrets } = gitlabStackConfig("staging", { tier: "ultimate" });
        runProgram(values, secrets);
        await settle();
        assert.equal(ofType(BRANCH).length + ofType(ENVIRONMENT).length + ofType(PROTECTED).length, 0);
    });
});
