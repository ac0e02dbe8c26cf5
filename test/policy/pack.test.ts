import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

import { UNKNOWN_SENTINELS } from "../../policy/src/lib/values";
import { policies } from "../../policy/src/pack";

const POLICY_DIR = resolve(__dirname, "../../policy");
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

function typeOk(schema: Record<string, unknown>, value: unknown): boolean {
    switch (schema.type) {
        case "string":
            return typeof value === "string" && (!Array.isArray(schema.enum) || schema.enum.includes(value));
        case "integer":
            return Number.isInteger(value);
        case "boolean":
            return typeof value === "boolean";
        case "array":
            return (
                Array.isArray(value) &&
                value.every((item) => typeOk((schema.items as Record<string, unknown> | undefined) ?? {}, item))
            );
        default:
            return true;
    }
}

describe("the pack", () => {
    it("has unique policy names, each with a description and remediation steps", () => {
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        for (const p of policies) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
            assert.ok(p.description.length > 20, p.name);
            assert.ok((p.remediationSteps ?? "").length > 20, p.name);
        }
    });

    for (const stack of ["local", "staging", "production"]) {
        it(`config/${stack}.json names only policies of the pack, valid levels and declared properties`, () => {
            const config = JSON.parse(readFileSync(join(POLICY_DIR, "config", `${stack}.json`), "utf8")) as Record<
                string,
                unknown
            >;
            for (const [name, value] of Object.entries(config)) {
                if (name === "all") {
                    assert.ok(LEVELS.includes(value as string));
                    continue;
                }
                const p = policies.find((candidate) => candidate.name === name);
                assert.ok(p, `${stack}.json: no policy ${name}`);
                if (typeof value === "string") {
                    assert.ok(LEVELS.includes(value), `${name}: ${value}`);
                    continue;
                }
                for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
                    if (key === "enforcementLevel") {
                        assert.ok(LEVELS.includes(field as string));
                        continue;
                    }
                    const schema = p.configSchema?.properties[key];
                    assert.ok(schema, `${stack}.json: ${name} has no property ${key}`);
                    assert.ok(typeOk(schema as Record<string, unknown>, field), `${stack}.json: ${name}.${key}`);
                }
                if (p.configSchema?.properties.environment) {
                    assert.equal(
                        (value as Record<string, unknown>).environment,
                        stack,
                        `${stack}.json: ${name}.environment`,
                    );
                }
            }
            for (const p of policies.filter((candidate) => candidate.configSchema?.properties.environment)) {
                assert.ok(p.name in config, `${stack}.json does not set ${p.name}.environment`);
            }
        });
    }

    it("README.md documents every policy in its table", () => {
        const readme = readFileSync(join(POLICY_DIR, "README.md"), "utf8");
        const documented = [...readme.matchAll(/^\| `([a-z0-9-]+)`\s+\|\s+[a-z]/gm)]
            .map((m) => m[1])
            .filter((n) => policies.some((p) => p.name === n));
        assert.deepEqual([...new Set(documented)].sort(), policies.map((p) => p.name).sort());
    });

    it("knows the SDK's unknown-value sentinels", () => {
        const proxy = createRequire(join(POLICY_DIR, "index.ts"))("@pulumi/policy/proxy") as Record<string, unknown>;
        const fromSdk = Object.entries(proxy)
            .filter(([key]) => /^unknown[A-Z].*Value$/.test(key))
            .map(([, v]) => v);
        assert.equal(fromSdk.length, 7);
        assert.deepEqual(new Set(fromSdk), UNKNOWN_SENTINELS);
    });
});
