/**
 * `command:local:Command` of the unmodified @pulumi/command 1.2.1 SDK through the real engine, on
 * our command plugin: preview runs nothing; create; an update reruns `create` without `update` and
 * runs `update` when set; a changed trigger replaces (the old resource's `delete` runs with ITS
 * stored inputs); a failing command fails the `up` with its stderr; destroy runs `delete`; secrets
 * given as environment and stdin never show in the state, the engine's output or the outputs.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { type EngineStack, newEngineStack } from "../support/engine-stack";

const TOKEN = "tok-3f9a1c-never-in-clear";
const STDIN = "stdin-77d2e0-never-in-clear";

const PROGRAM = `
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

const cfg = new pulumi.Config();
const log = cfg.require("log");
const update = cfg.get("update");
const c = new command.local.Command("c", {
    create: \`echo "create $ROUND" >> \${log}; echo "out $ROUND $TOKEN"; echo "err $TOKEN" >&2; cat\`,
    ...(update === undefined ? {} : { update: \`echo "update $ROUND after [$PULUMI_COMMAND_STDOUT]" >> \${log}; echo "updated $ROUND"\` }),
    delete: \`echo "delete $ROUND" >> \${log}\`,
    environment: { ROUND: cfg.require("round"), TOKEN: cfg.requireSecret("token") },
    stdin: cfg.requireSecret("stdin"),
    triggers: [cfg.require("trigger")],
});
if (cfg.getBoolean("fail")) {
    new command.local.Command("broken", { create: "echo 'it broke: no such thing' >&2; exit 7" });
}
export const stdout = c.stdout;
export const stderr = c.stderr;
`;

describe("local.Command through the engine (our command plugin, @pulumi/command 1.2.1)", { timeout: 600_000 }, () => {
    let engineStack: EngineStack | undefined;
    const stack = (): EngineStack => {
        assert.ok(engineStack, "the stack was not created");
        return engineStack;
    };
    let log = "";
    const ran = (): string[] => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
    const noSecretIn = (what: string, text: string): void => {
        assert.ok(!text.includes(TOKEN), `${what} shows the environment secret`);
        assert.ok(!text.includes(STDIN), `${what} shows the stdin secret`);
    };

    before(async () => {
        engineStack = await newEngineStack("command-local", PROGRAM);
        log = join(stack().dir, "runs.log");
        await stack().config("log", log);
        await stack().config("round", "1");
        await stack().config("trigger", "a");
        await stack().config("token", TOKEN, true);
        await stack().config("stdin", STDIN, true);
    });
    after(() => {
        engineStack?.dispose();
    });

    it("preview runs nothing", async () => {
        const preview = await stack().preview();
        assert.equal(preview.code, 0, preview.stdout + preview.stderr);
        assert.match(preview.stdout, /\+ {1,2}command:local:Command/);
        assert.deepEqual(ran(), []);
    });

    it("up runs create; stdout/stderr are outputs, secret because their inputs are", async () => {
        const up = await stack().up();
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(ran(), ["create 1"]);
        const outputs = await stack().outputs();
        assert.equal(outputs.stdout, `out 1 ${TOKEN}\n${STDIN}`);
        assert.equal(outputs.stderr, `err ${TOKEN}`);
        noSecretIn("the up's output", up.stdout + up.stderr);
        assert.match(up.stdout + up.stderr, /out 1 \[secret\]/, "the command's output is logged, its secrets replaced");
        noSecretIn("the state", await stack().state());
        const shown = await stack().pulumi(["stack", "output", "--json"]);
        assert.equal(shown.code, 0, shown.stderr);
        noSecretIn("stack output", shown.stdout);
        assert.match(shown.stdout, /"stdout": "\[secret\]"/);
    });

    it("a second up with nothing changed runs nothing", async () => {
        const up = await stack().up();
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(ran(), ["create 1"]);
    });

    it("an update without `update` runs create again", async () => {
        await stack().config("round", "2");
        const up = await stack().up();
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.match(up.stdout, /~ {1,2}command:local:Command/);
        assert.deepEqual(ran(), ["create 1", "create 2"]);
        noSecretIn("the up's output", up.stdout + up.stderr);
    });

    it("an update with `update` runs it, with the previous stdout in PULUMI_COMMAND_STDOUT", async () => {
        await stack().config("round", "3");
        await stack().config("update", "yes");
        const up = await stack().up();
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.deepEqual(ran(), ["create 1", "create 2", `update 3 after [out 2 ${TOKEN}`, `${STDIN}]`]);
        assert.equal((await stack().outputs()).stdout, "updated 3");
    });

    it("a changed trigger replaces: create of the new one, then delete of the old one with its stored inputs", async () => {
        await stack().config("round", "4");
        await stack().config("trigger", "b");
        const up = await stack().up();
        assert.equal(up.code, 0, up.stdout + up.stderr);
        assert.match(up.stdout, /\+-\s*command:local:Command/);
        assert.deepEqual(ran().slice(-2), ["create 4", "delete 3"]);
    });

    it("a failing command fails the up with its exit status and stderr; the others stay", async () => {
        await stack().config("fail", "true");
        const up = await stack().up();
        assert.notEqual(up.code, 0);
        assert.match(up.stdout + up.stderr, /exit status 7/);
        assert.match(up.stdout + up.stderr, /it broke: no such thing/);
        await stack().config("fail", "false");
        const fixed = await stack().up();
        assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
        assert.deepEqual(ran().slice(-2), ["create 4", "delete 3"]);
    });

    it("destroy runs delete with the stored inputs", async () => {
        const destroy = await stack().destroy();
        assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
        assert.equal(ran().at(-1), "delete 4");
        noSecretIn("the destroy's output", destroy.stdout + destroy.stderr);
    });
});
