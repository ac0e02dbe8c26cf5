/**
 * The one reader of `cicd-platform:*` stack config keys (config/stack-values.ts) that the program,
 * the canary driver and the preview summary share. GIVEN the engine's key/string map or the
 * Automation API's ConfigMap WHEN it is read THEN the project's keys come back without the prefix,
 * plain values parsed as the program parses them and secrets never parsed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseValue, PROJECT, stackValues } from "../../config/stack-values";

describe("stack values", () => {
    it("names the project whose keys it reads", () => {
        assert.equal(PROJECT, "cicd-platform");
    });

    it("strips the project prefix and ignores other projects' keys", () => {
        const values = stackValues({
            "cicd-platform:environment": "staging",
            "kubernetes:context": "kind-local",
            "github:owner": "example-org",
            "cicd-platformx:environment": "production",
            environment: "local",
        });
        assert.deepEqual(values, { environment: "staging" });
    });

    it("parses JSON values: objects, lists, numbers, booleans and null", () => {
        const values = stackValues({
            "cicd-platform:namespaces": '{"apps":"shop-staging","monitoring":"monitoring"}',
            "cicd-platform:canary": '{"steps":[10,25,50,100]}',
            "cicd-platform:replicas": "3",
            "cicd-platform:enabled": "true",
            "cicd-platform:nothing": "null",
        });
        assert.deepEqual(values, {
            namespaces: { apps: "shop-staging", monitoring: "monitoring" },
            canary: { steps: [10, 25, 50, 100] },
            replicas: 3,
            enabled: true,
            nothing: null,
        });
    });

    it("keeps strings that are not JSON as they are", () => {
        const values = stackValues({
            "cicd-platform:environment": "staging",
            "cicd-platform:version": "1.4.2",
            "cicd-platform:broken": '{"apps": ',
            "cicd-platform:empty": "",
        });
        assert.deepEqual(values, { environment: "staging", version: "1.4.2", broken: '{"apps": ', empty: "" });
        assert.equal(parseValue("registry.example.com:5000"), "registry.example.com:5000");
    });

    it("does not parse the schema's secret keys, keeping their strings for the caller to wrap", () => {
        const values = stackValues({
            "cicd-platform:registryPassword": "12345678",
            "cicd-platform:githubToken": '{"not":"an object"}',
            "cicd-platform:registryHttpSecret": "true",
        });
        assert.deepEqual(values, {
            registryPassword: "12345678",
            githubToken: '{"not":"an object"}',
            registryHttpSecret: "true",
        });
    });

    it("reads the Automation API's ConfigMap, whose entries may be marked secret", () => {
        const values = stackValues({
            "cicd-platform:apps": { value: '[{"name":"storefront","canaryPercent":10}]' },
            "cicd-platform:webhookToken": { value: "987654", secret: true },
            "cicd-platform:registryPassword": { value: "[1,2]", secret: true },
            "kubernetes:context": { value: "kind-local" },
        });
        assert.deepEqual(values, {
            apps: [{ name: "storefront", canaryPercent: 10 }],
            webhookToken: "987654",
            registryPassword: "[1,2]",
        });
    });

    it("leaves secrets out when asked, and treats keys it is told are secret as secrets", () => {
        const values = stackValues(
            {
                "cicd-platform:environment": "staging",
                "cicd-platform:registryPassword": "12345678",
                "cicd-platform:webhookToken": { value: "987654", secret: true },
                "cicd-platform:declaredSecret": "42",
            },
            { secrets: "omit", secretKeys: new Set(["cicd-platform:declaredSecret"]) },
        );
        assert.deepEqual(values, { environment: "staging" });
    });

    it("reads another project's keys when given its name", () => {
        const values = stackValues(
            { "shop:environment": "production", "shop:replicas": "4", "cicd-platform:environment": "staging" },
            { project: "shop" },
        );
        assert.deepEqual(values, { environment: "production", replicas: 4 });
    });
});
