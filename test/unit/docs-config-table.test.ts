/**
 * The stack config reference in docs/config.md is what `npm run docs:config` writes from the schema:
 * every key the schema accepts, its type and its default. This fails when the committed page differs
 * (a key added, removed or re-defaulted without regenerating it), when a hand-written description
 * names a key the schema no longer has, and when a default the page shows is not the value the
 * schema fills in when the key is left out.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { z } from "zod";

import { stackConfigSchema } from "../../config/schema";
import { CONFIG_DESCRIPTIONS } from "../../scripts/docs/config-descriptions";
import { collect, CONFIG_DOC, configRows, formatValue, withConfigTable } from "../../scripts/docs/config-table";

/** The least each section needs to parse, with one item in every list of objects. */
const MINIMAL: Readonly<Record<string, unknown>> = {
    namespaces: { apps: "apps" },
    registry: { server: "registry.example.com", username: "ci" },
    apps: [{ name: "web", image: "registry.example.com/web", stableVersion: "1.0.0" }],
    canary: {},
    blueGreen: {
        name: "checkout",
        image: "registry.example.com/checkout",
        blueVersion: "1.0.0",
        greenVersion: "1.1.0",
        active: "blue",
        healthCheck: "true",
        smokeTest: "true",
    },
    github: {},
    gitlab: {},
    privateRegistry: {},
    kubernetes: {},
    runners: {
        build: { jenkinsAgents: {} },
        podmanHosts: [{ name: "host-1", host: "host-1.example.com", user: "runner", hostKey: "ssh-ed25519 AAAA" }],
    },
    applications: { repositories: [{ repository: "shop", apps: [{ app: "web", image: "shop/web" }] }] },
    tenants: [{ name: "shop", apps: ["web"], gitlab: { project: "shop/shop-app" } }],
    tenancy: {},
};

/** The container of `path`'s last part in `value` (lists: their first item), or undefined. */
function parentOf(value: unknown, path: readonly string[]): Record<string, unknown> | undefined {
    let current = value;
    for (const part of path.slice(0, -1)) {
        current = (current as Record<string, unknown> | undefined)?.[part.replace(/\[\]$/, "")];
        if (part.endsWith("[]")) {
            current = (current as unknown[] | undefined)?.[0];
        }
    }
    return current as Record<string, unknown> | undefined;
}

/** A copy of `value` without the key at `path` (`apps[].port`: the first app's port). */
function without(value: unknown, path: readonly string[]): unknown {
    const copy = structuredClone(value);
    const parent = parentOf(copy, path);
    if (parent !== undefined) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the key under test, by name
        delete parent[(path.at(-1) ?? "").replace(/\[\]$/, "")];
    }
    return copy;
}

describe("docs/config.md's stack config reference", () => {
    const rows = configRows();

    it("is what `npm run docs:config` writes from the schema", async () => {
        const committed = readFileSync(CONFIG_DOC, "utf8");
        const generated = await withConfigTable(committed);
        assert.ok(committed === generated, "docs/config.md is stale: run `npm run docs:config` and commit the result");
    });

    it("describes only keys the schema has, and every top-level key", () => {
        const keys = new Set(rows.map((row) => row.key));
        assert.deepEqual(
            Object.keys(CONFIG_DESCRIPTIONS).filter((key) => !keys.has(key)),
            [],
        );
        const undescribed = rows.filter((row) => !/[.[]/.test(row.key) && row.description === "").map((row) => row.key);
        assert.deepEqual(undescribed, []);
    });

    it("takes a field's `.describe()` over the hand-written meaning", () => {
        const canary = z.object({ steps: z.array(z.number()).default([100]).describe("from the schema") });
        const steps = collect(canary, "canary").find((row) => row.key === "canary.steps");
        assert.ok(CONFIG_DESCRIPTIONS["canary.steps"] !== undefined);
        assert.deepEqual(steps, {
            key: "canary.steps",
            type: "list of numbers",
            default: "`[100]`",
            description: "from the schema",
        });
    });

    it("shows as each default the value the schema fills in for a key left out", () => {
        const shape = stackConfigSchema.shape as Record<string, z.ZodType>;
        const wrong: string[] = [];
        const checked = rows.filter((row) => row.default.startsWith("`"));
        for (const row of checked) {
            const [top = "", ...rest] = row.key.split(".");
            const name = top.replace(/\[\]$/, "");
            const schema = shape[name];
            assert.ok(schema !== undefined, `${row.key}: no section ${name}`);
            // Parse the section's minimum with the key left out, then read what the schema filled in.
            const path = [top, ...rest];
            const parsed = {
                [name]: schema.parse((without({ [name]: MINIMAL[name] }, path) as Record<string, unknown>)[name]),
            };
            const last = (path.at(-1) ?? "").replace(/\[\]$/, "");
            const actual = parentOf(parsed, path)?.[last];
            if (actual === undefined || formatValue(actual) !== row.default) {
                const filled = actual === undefined ? "nothing" : formatValue(actual);
                wrong.push(`${row.key}: the page shows ${row.default}, the schema fills in ${filled}`);
            }
        }
        assert.deepEqual(wrong, []);
        assert.ok(checked.length > 100, `only ${checked.length} defaults checked`);
    });
});
