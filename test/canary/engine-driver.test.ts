/**
 * The stack driver against the REAL Pulumi CLI and engine, with a program that has no resources
 * (test/canary/fixture/config-only.ts), so it needs only the CLI and the Node language host:
 * `config set --path` / `config rm --path` on a real `Pulumi.<stack>.yaml` with an encrypted secret,
 * one `up` per step through the session-isolated CLI, and the diff of the stack file. The program
 * loads the config with config/load.ts, so each `up` proves the written config is what the real
 * program accepts.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import { parse } from "yaml";

import { openStack } from "../../delivery/shared/open-stack";
import { StackDriver } from "../../delivery/canary/stack-driver";
import { createStack, type EngineWorkDir, engineWorkDir, requireToolchain } from "./engine";
import { platformConfig } from "./lab";

describe("stack driver on the real engine", { timeout: 600_000 }, () => {
    // One stack for both cases, on purpose: creating it and its first `up` take most of this file's
    // time. They run in this order: the first starts from stable 1.0.0 without a canary; the second
    // writes a canary into the config and leaves it there, so it comes last.
    let work: EngineWorkDir;
    let stackFile: string;

    before(async () => {
        await requireToolchain([]);
        work = await engineWorkDir("config-only.ts");
        const created = await createStack(
            work,
            "driver",
            Object.fromEntries(
                Object.entries(platformConfig([10, 50, 100])).map(([k, v]) => [`cicd-platform:${k}`, v]),
            ),
        );
        stackFile = created.stackFile;
        await created.stack.up({ color: "never" });
    });

    after(async () => {
        await work.dispose();
    });

    it("steps, then promotes, each in one up; the stack file ends up describing what runs", async () => {
        const opened = await openStack({ stackName: "driver", workDir: work.dir, envVars: work.env });
        try {
            const before = await readFile(stackFile, "utf8");
            const driver = new StackDriver(opened.stack, { app: "shop", imageVersion: "2.0.0", stackFile });
            const plan = await driver.prepare();
            assert.deepEqual(plan.steps, [10, 50, 100]);

            await driver.setCanaryPercent(10);
            let outputs = await opened.stack.outputs();
            assert.deepEqual(outputs.seen?.value, {
                stableVersion: "1.0.0",
                canaryVersion: "2.0.0",
                canaryPercent: 10,
                steps: [10, 50, 100],
            });
            const written = parse(await readFile(stackFile, "utf8")) as { config: Record<string, unknown[]> };
            assert.deepEqual(
                (written.config["cicd-platform:apps"]?.[0] as Record<string, unknown>).canaryPercent,
                10,
                "written as a number",
            );

            const change = await driver.promote();
            outputs = await opened.stack.outputs();
            assert.deepEqual(outputs.seen?.value, {
                stableVersion: "2.0.0",
                canaryVersion: null,
                canaryPercent: 0,
                steps: [10, 50, 100],
            });
            const history = await opened.automation.history();
            assert.equal(history.filter((h) => h.kind === "update").length, 3, "initial up, one step, the promotion");
            const changed = change.diff.filter((line) => /^[-+]/.test(line));
            assert.ok(changed.includes("+      stableVersion: 2.0.0"), changed.join("\n"));
            assert.ok(
                changed.some((line) => /^-\s+stableVersion: "?1\.0\.0"?$/.test(line)),
                changed.join("\n"),
            );
            assert.ok(
                changed.some((line) => /^\+\s+canaryPercent: 0$/.test(line)),
                changed.join("\n"),
            );
            assert.ok(!changed.some((line) => /canaryVersion/.test(line)), "added and removed again: no net change");
            const after = await readFile(stackFile, "utf8");
            assert.match(after, /cicd-platform:registryPassword:\n\s+secure: v1:/, "the secret stays encrypted");
            assert.notEqual(after, before);
        } finally {
            await opened.dispose();
        }
    });

    it("refuses to start when the stack already has a different canary, without touching the file", async () => {
        const opened = await openStack({ stackName: "driver", workDir: work.dir, envVars: work.env });
        try {
            await opened.stack.setAllConfig(
                {
                    "cicd-platform:apps[0].canaryVersion": { value: "3.0.0" },
                    "cicd-platform:apps[0].canaryPercent": { value: "50" },
                },
                true,
            );
            const before = await readFile(stackFile, "utf8");
            const driver = new StackDriver(opened.stack, { app: "shop", imageVersion: "3.1.0", stackFile });
            await assert.rejects(driver.prepare(), /already has canary 3\.0\.0 at 50%/);
            assert.equal(await readFile(stackFile, "utf8"), before);
        } finally {
            await opened.dispose();
        }
    });
});
