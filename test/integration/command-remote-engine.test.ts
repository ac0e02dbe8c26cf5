/**
 * `command:remote:Command` and `command:remote:CopyToRemote` of the unmodified @pulumi/command
 * 1.2.1 SDK through the real engine, on our command plugin, against real sshd servers on
 * 127.0.0.1 (throwaway keys, stopped by pid): a command through a jump host (a second sshd, which
 * logs the forwarded connection), its environment and stdin, a wrong proxy host key refused, and an
 * archive and an asset copied over SFTP, whole.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { type EngineStack, newEngineStack } from "../support/engine-stack";
import { type Sshd, startSshd } from "../support/sshd";

const PROGRAM = `
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

const cfg = new pulumi.Config();
const privateKey = cfg.requireSecret("privateKey");
const proxy = {
    host: "127.0.0.1",
    port: cfg.requireNumber("jumpPort"),
    user: "root",
    privateKey,
    hostKey: cfg.require("jumpHostKey"),
};
const connection = {
    host: "127.0.0.1",
    port: cfg.requireNumber("targetPort"),
    user: "root",
    privateKey,
    hostKey: cfg.require("targetHostKey"),
};
const viaJump = new command.remote.Command("via-jump", {
    connection: { ...connection, proxy },
    create: 'echo "hello $GREETING from $SSH_CONNECTION"; cat',
    environment: { GREETING: cfg.require("greeting") },
    stdin: "from stdin",
});
new command.remote.CopyToRemote("tree", {
    connection,
    source: new pulumi.asset.FileArchive(cfg.require("archiveDir")),
    remotePath: cfg.require("archiveTarget"),
});
new command.remote.CopyToRemote("one-file", {
    connection,
    source: new pulumi.asset.FileAsset(cfg.require("assetFile")),
    remotePath: cfg.require("assetTarget"),
});
export const stdout = viaJump.stdout;
`;

describe(
    "remote.Command and CopyToRemote through the engine against real sshd (our command plugin)",
    { timeout: 600_000 },
    () => {
        let servers: { target: Sshd; jump: Sshd } | undefined;
        let engineStack: EngineStack | undefined;
        const started = (): { target: Sshd; jump: Sshd; stack: EngineStack } => {
            assert.ok(servers && engineStack, "the sshd servers and the stack did not start");
            return { ...servers, stack: engineStack };
        };
        let archiveDir = "";
        let archiveTarget = "";
        let assetTarget = "";

        before(async () => {
            const target = await startSshd({ acceptEnv: ["GREETING", "PULUMI_COMMAND_*"] });
            const jump = await startSshd({ logLevel: "DEBUG1" });
            servers = { target, jump };
            // One user key for both servers.
            writeFileSync(join(jump.dir, "authorized_keys"), readFileSync(`${target.privateKeyPath}.pub`));
            const stack = await newEngineStack("command-remote", PROGRAM);
            engineStack = stack;
            archiveDir = join(stack.dir, "tree");
            mkdirSync(join(archiveDir, "sub", "deeper"), { recursive: true });
            writeFileSync(join(archiveDir, "a.txt"), "alpha\n");
            writeFileSync(join(archiveDir, "sub", "b.bin"), Buffer.alloc(300_000, 7));
            writeFileSync(join(archiveDir, "sub", "deeper", "c.txt"), "gamma\n");
            writeFileSync(join(stack.dir, "single.conf"), "key = value\n");
            archiveTarget = join(target.dir, "copied", "tree");
            assetTarget = join(target.dir, "copied", "single.conf");
            const settings: [string, string, boolean?][] = [
                ["privateKey", target.privateKey, true],
                ["jumpPort", String(jump.port)],
                ["jumpHostKey", jump.hostKey],
                ["targetPort", String(target.port)],
                ["targetHostKey", target.hostKey],
                ["greeting", "hi"],
                ["archiveDir", archiveDir],
                ["archiveTarget", archiveTarget],
                ["assetFile", join(stack.dir, "single.conf")],
                ["assetTarget", assetTarget],
            ];
            for (const [key, value, secret] of settings) {
                await stack.config(key, value, secret);
            }
        });
        after(async () => {
            engineStack?.dispose();
            await servers?.jump.stop();
            await servers?.target.stop();
        });

        it("runs a command through the jump host, with its environment and stdin, and copies an archive and an asset whole", async () => {
            const { stack, jump, target } = started();
            const up = await stack.up();
            assert.equal(up.code, 0, up.stdout + up.stderr);
            const { stdout } = await stack.outputs();
            assert.match(String(stdout), /^hello hi from 127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\nfrom stdin$/);
            assert.match(
                jump.log(),
                new RegExp(`server_request_direct_tcpip: .*target 127\\.0\\.0\\.1 port ${String(target.port)}\\b`),
                "the connection to the target went through the jump host",
            );
            const listed = (dir: string): string[] =>
                readdirSync(dir, { recursive: true, withFileTypes: true })
                    .filter((e) => e.isFile())
                    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
                    .sort();
            assert.deepEqual(listed(archiveTarget), ["a.txt", "sub/b.bin", "sub/deeper/c.txt"]);
            assert.ok(readFileSync(join(archiveTarget, "sub", "b.bin")).equals(Buffer.alloc(300_000, 7)));
            assert.equal(readFileSync(join(archiveTarget, "sub", "deeper", "c.txt"), "utf8"), "gamma\n");
            assert.equal(readFileSync(assetTarget, "utf8"), "key = value\n");
            assert.equal(statSync(assetTarget).size, 12);
        });

        it("refuses a jump host whose host key is not the pinned one, naming it", async () => {
            const { stack, jump, target } = started();
            await stack.config("jumpHostKey", target.otherHostKey);
            await stack.config("greeting", "again");
            const up = await stack.up();
            assert.notEqual(up.code, 0);
            assert.match(up.stdout + up.stderr, new RegExp(`proxy 127\\.0\\.0\\.1:${jump.port}.*host key mismatch`));
            await stack.config("jumpHostKey", jump.hostKey);
            const destroy = await stack.destroy();
            assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
        });
    },
);
