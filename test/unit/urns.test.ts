/**
 * Every URN the committed stacks create, as a literal list. A URN that moves (a renamed child, a new
 * parent) makes Pulumi delete and recreate the resource, so it must come with an alias and a new
 * line here on purpose. The lists were taken from the program as it stood before `createPlatform`.
 */
import * as pulumi from "@pulumi/pulumi";
import { runProgram, settle } from "./harness";
import { demoSecrets } from "./stack-secrets";

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";

const ROOT = join(__dirname, "..", "..");

/** The stack file's config as a program sees it, with made-up values for its encrypted keys. */
function stackConfig(stack: string): { values: Record<string, unknown>; secrets: string[] } {
    const doc = parseYaml(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
    };
    const values: Record<string, unknown> = {};
    const encrypted: string[] = [];
    for (const [full, value] of Object.entries(doc.config)) {
        const key = full.replace(/^cicd-platform:/, "");
        if (value !== null && typeof value === "object" && "secure" in value) {
            encrypted.push(key);
        } else {
            values[key] = value;
        }
    }
    // The runners' tokens are set by the operator, not committed: made up here like the encrypted keys.
    const secrets = demoSecrets(values, encrypted);
    return { values: { ...values, ...secrets }, secrets: Object.keys(secrets) };
}

/** The mocks' monitor keeps every resource it was asked to register, by URN. */
function monitorResources(): Map<string, unknown> {
    const runtime = pulumi.runtime as unknown as { getMonitor(): { resources: Map<string, unknown> } };
    return runtime.getMonitor().resources;
}

// One stack per test, in sequence: each empties the monitor the mocks share, then runs its program.
describe("URNs of the committed stacks", { concurrency: 1 }, () => {
    for (const stack of ["local", "staging", "production"]) {
        it(`${stack}: the same URNs as before, none added, none lost`, async () => {
            await settle();
            monitorResources().clear();
            const { values, secrets } = stackConfig(stack);
            runProgram(values, secrets);
            await settle();
            const created = [...monitorResources().keys()].sort();
            const expected = readFileSync(join(__dirname, "fixtures", "urns", `${stack}.txt`), "utf8")
                .split("\n")
                .filter(Boolean);
            assert.deepEqual(created, expected);
        });
    }
});
