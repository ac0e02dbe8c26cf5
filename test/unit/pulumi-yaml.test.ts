/**
 * Pulumi.yaml documents every config key for `pulumi config` users. Its descriptions must name each
 * field the schema accepts and must not restate defaults, whose one home is the defaults module.
 * (docs/config.md's reference is generated from the schema: test/unit/docs-config-table.test.ts.)
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";

import {
    analysisSchema,
    appSchema,
    blueGreenSchema,
    blueGreenWatchSchema,
    buildRunnerSchema,
    canarySchema,
    githubSchema,
    gitlabRunnersSchema,
    gitlabSchema,
    kubernetesSchema,
    namespacesSchema,
    privateRegistrySchema,
    kubernetesRunnerSchema,
    podmanHostSchema,
    registrySchema,
    runnerCacheSchema,
    runnerQuotaSchema,
    runnersSchema,
} from "../../config/schema";
import {
    productionGateSchema,
    tenancySchema,
    tenantCredentialSchema,
    tenantGithubSchema,
    tenantSchema,
} from "../../config/sections/tenants";
import { tenantGitlabSchema } from "../../config/sections/gitlab";

interface Declared {
    readonly description: string;
}
const project = parseYaml(readFileSync(join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as {
    config: Record<string, Declared>;
};
const description = (key: string): string => project.config[`cicd-platform:${key}`]?.description ?? "";

const SECTIONS: readonly [string, z.ZodObject][] = [
    ["namespaces", namespacesSchema],
    ["registry", registrySchema],
    ["apps", appSchema],
    ["canary", canarySchema],
    ["canary", analysisSchema],
    ["blueGreen", blueGreenSchema],
    ["blueGreen", blueGreenWatchSchema],
    ["github", githubSchema],
    ["gitlab", gitlabSchema],
    ["gitlab", gitlabRunnersSchema],
    ["privateRegistry", privateRegistrySchema],
    ["kubernetes", kubernetesSchema],
    ["runners", runnersSchema],
    ["runners", kubernetesRunnerSchema],
    ["runners", runnerCacheSchema],
    ["runners", runnerQuotaSchema],
    ["runners", podmanHostSchema],
    ["tenants", tenantSchema],
    ["tenants", productionGateSchema],
    ["tenants", tenantCredentialSchema],
    ["tenants", tenantGithubSchema],
    ["tenants", tenantGitlabSchema],
    ["tenancy", tenancySchema],
    ["runners", buildRunnerSchema],
];

describe("Pulumi.yaml descriptions", () => {
    for (const [key, schema] of SECTIONS) {
        it(`name every field of ${key} the schema accepts`, () => {
            const text = description(key);
            const missing = Object.keys(schema.shape).filter((field) => !new RegExp(`\\b${field}\\b`).test(text));
            assert.deepEqual(missing, [], `cicd-platform:${key} does not mention ${missing.join(", ")}`);
        });
    }

    it("state no default values (the defaults module is their one home)", () => {
        const offenders = Object.entries(project.config)
            .filter(([, declared]) => /\bdefault\b|\((?:\d[\d.]*|true|false|"[^"]*")\)/i.test(declared.description))
            .map(([key]) => key);
        assert.deepEqual(offenders, []);
    });
});
