/**
 * The drivers' `up` (delivery/shared/stack-up.ts): the Automation API's arguments and environment,
 * the engine's output streamed, a failure with its exit code and both streams, and no read-back
 * (a fake CLI records every call it gets).
 */
import type { Stack } from "@pulumi/pulumi/automation";

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { stackUp, stackUpArgs } from "../../delivery/shared/stack-up";

const dir = mkdtempSync(join(tmpdir(), "stack-up-"));
after(() => {
    rmSync(dir, { recursive: true, force: true });
});

/** A `pulumi` that records its arguments, directory and two variables, prints, and exits with $FAKE_EXIT. */
const cli = join(dir, "pulumi");
writeFileSync(
    cli,
    [
        "#!/bin/bash",
        'printf "%s|%s|%s|%s\\n" "$*" "$PWD" "$PULUMI_HOME" "$FROM_WORKSPACE" >> "$CALLS"',
        'echo "Updating (lab):"',
        'echo "oops on stderr" >&2',
        'exit "${FAKE_EXIT:-0}"',
    ].join("\n"),
);
chmodSync(cli, 0o755);

function fakeStack(exitCode: number, calls: string, postCommand: string[]): Stack {
    const workspace = {
        workDir: dir,
        pulumiHome: join(dir, "home"),
        envVars: { CALLS: calls, FROM_WORKSPACE: "yes", FAKE_EXIT: String(exitCode) },
        serializeArgsForOp: () => Promise.resolve([]),
        postCommandCallback: (name: string) => {
            postCommand.push(name);
            return Promise.resolve();
        },
    };
    return { name: "lab", workspace } as unknown as Stack;
}

describe("a driver's up", () => {
    it("GIVEN policy packs and a colour WHEN the arguments are built THEN they are the Automation API's, in its order", () => {
        assert.deepEqual(
            stackUpArgs("shop-local", { color: "never", policyPacks: ["/p"], policyPackConfigs: ["/p/c.json"] }, []),
            [
                "up",
                "--yes",
                "--skip-preview",
                "--policy-pack",
                "/p",
                "--policy-pack-config",
                "/p/c.json",
                "--color",
                "never",
                "--exec-kind",
                "auto.local",
                "--stack",
                "shop-local",
                "--non-interactive",
            ],
        );
    });

    it("GIVEN a CLI that succeeds WHEN the stack is updated THEN one call, in the workspace, with its environment, output streamed", async () => {
        const calls = join(dir, "ok.calls");
        const post: string[] = [];
        let streamed = "";
        await stackUp(fakeStack(0, calls, post), cli, { onOutput: (text) => (streamed += text) });
        const lines = readFileSync(calls, "utf8").trim().split("\n");
        assert.deepEqual(lines, [
            `up --yes --skip-preview --exec-kind auto.local --stack lab --non-interactive|${dir}|${join(dir, "home")}|yes`,
        ]);
        assert.equal(streamed, "Updating (lab):\n");
        assert.deepEqual(post, ["lab"]);
    });

    it("GIVEN a CLI that fails WHEN the stack is updated THEN the error has its exit code and both streams", async () => {
        const calls = join(dir, "fail.calls");
        const post: string[] = [];
        await assert.rejects(stackUp(fakeStack(3, calls, post), cli), (error: Error) => {
            assert.match(error.message, /^code: 3\n stdout: Updating \(lab\):\n\n stderr: oops on stderr\n/);
            return true;
        });
        assert.equal(readFileSync(calls, "utf8").trim().split("\n").length, 1);
        assert.deepEqual(post, []);
    });
});
