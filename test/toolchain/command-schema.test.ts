/**
 * Our command plugin against pulumi-command 1.2.1's schema: `pulumi package get-schema` of the
 * installed plugin compared with the reference (tools/provider-command/testdata, structure only).
 * For the three resources we implement, every token, input and output property with its type,
 * secret flag, default and replaceOnChanges, every required list, and the types they use, must be
 * identical (descriptions aside); what the reference has beyond them is listed as not implemented.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";

import { ROOT, run, toolchainEnv } from "../support/engine";
import { requirePlugin } from "../support/engine-stack";

type Obj = Record<string, unknown>;

const IMPLEMENTED = ["command:local:Command", "command:remote:Command", "command:remote:CopyToRemote"];
const TYPES = [
    "command:local:Logging",
    "command:remote:Connection",
    "command:remote:Logging",
    "command:remote:ProxyConnection",
];
const NOT_IMPLEMENTED = { resources: ["command:remote:CopyFile"], functions: ["command:local:run"] };

function withoutDescriptions(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutDescriptions);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value as Obj)
                .filter(([key]) => key !== "description")
                .map(([key, v]) => [key, withoutDescriptions(v)]),
        );
    }
    return value;
}

const sorted = (list: unknown): string[] => [...((list as string[] | undefined) ?? [])].sort();

describe("the command plugin's schema is pulumi-command 1.2.1's for what it implements", () => {
    let ours: Obj = {};
    const reference = JSON.parse(
        readFileSync(join(ROOT, "tools", "provider-command", "testdata", "pulumi-command-1.2.1.schema.json"), "utf8"),
    ) as Obj;

    before(async () => {
        const env = await toolchainEnv();
        await requirePlugin(env, "command", "1.2.1");
        const out = await run("pulumi", ["package", "get-schema", "command@1.2.1"], env);
        assert.equal(out.code, 0, out.stderr);
        ours = withoutDescriptions(JSON.parse(out.stdout)) as Obj;
    });

    it("names the package command 1.2.1 and offers no resource the reference lacks", () => {
        assert.equal(ours.name, "command");
        assert.equal(ours.version, "1.2.1");
        const refResources = Object.keys(reference.resources as Obj);
        for (const token of Object.keys(ours.resources as Obj)) {
            assert.ok(refResources.includes(token), `${token} is not in pulumi-command 1.2.1`);
        }
        assert.deepEqual(
            [...refResources.filter((t) => !IMPLEMENTED.includes(t))],
            NOT_IMPLEMENTED.resources,
            "the toolchain README lists what is not implemented",
        );
        assert.deepEqual(Object.keys((reference.functions as Obj | undefined) ?? {}), NOT_IMPLEMENTED.functions);
    });

    for (const token of IMPLEMENTED) {
        it(`resource ${token}: properties, types, secrets, defaults, replaceOnChanges, required lists`, () => {
            const want = (reference.resources as Obj)[token] as Obj;
            const got = (ours.resources as Obj)[token] as Obj | undefined;
            assert.ok(got, `${token} is missing`);
            for (const key of ["inputProperties", "properties"]) {
                assert.deepEqual(got[key], want[key], `${token}.${key}`);
            }
            for (const key of ["required", "requiredInputs"]) {
                assert.deepEqual(sorted(got[key]), sorted(want[key]), `${token}.${key}`);
            }
        });
    }

    for (const token of TYPES) {
        it(`type ${token}`, () => {
            const want = (reference.types as Obj)[token] as Obj;
            const got = (ours.types as Obj)[token] as Obj | undefined;
            assert.ok(got, `${token} is missing`);
            assert.equal(got.type, want.type);
            assert.deepEqual(got.properties, want.properties, `${token}.properties`);
            assert.deepEqual(got.enum, want.enum, `${token}.enum`);
            assert.deepEqual(sorted(got.required), sorted(want.required), `${token}.required`);
        });
    }
});
