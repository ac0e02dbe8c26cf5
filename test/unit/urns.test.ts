/**
 * Every URN the committed stacks create, as a literal list. A URN that moves (a renamed child, a new
 * parent) makes Pulumi delete and recreate the resource, so it must come with an alias and a new
 * line here on purpose. The lists were taken from the program as it stood before `createPlatform`.
 */
import * as pulumi from "@pulumi/pulumi";
import { runProgram, settle } from "../support/pulumi-mocks";
import { committedStackConfig } from "../support/stack-secrets";

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

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
            const { values, secrets } = committedStackConfig(stack);
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
