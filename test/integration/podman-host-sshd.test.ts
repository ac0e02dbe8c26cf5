/**
 * PodmanRunnerHost through `pulumi up` for real: the component in a throw-away program, the
 * unmodified @pulumi/command SDK, our command plugin, and a real OpenSSH server on 127.0.0.1
 * (Debian's openssh-server, host and user keys generated for this run, stopped by its recorded
 * pid). The rootless Podman API socket is a stand-in: a unix socket at the path the check looks
 * for (Podman's own service would need a user session this machine's tests do not have).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";

import { ROOT } from "../support/engine";
import { type EngineStack, newEngineStack } from "../support/engine-stack";
import { type Sshd, startSshd } from "../support/sshd";
import { fakeRunnerToken } from "../support/stack-secrets";

const HOST_NAME = "podman-build-1";
/** A uid nobody on this machine has, so its /run/user directory is ours alone. */
const PODMAN_UID = 61000 + (process.pid % 1000);
const SOCKET_DIR = `/run/user/${PODMAN_UID}/podman`;
const SOCKET = `${SOCKET_DIR}/podman.sock`;

type Obj = Record<string, unknown>;

const program = (components: string): string => `
import * as pulumi from "@pulumi/pulumi";
import { PodmanRunnerHost } from ${JSON.stringify(components)};

const cfg = new pulumi.Config();
new PodmanRunnerHost(${JSON.stringify(HOST_NAME)}, {
    host: "127.0.0.1",
    port: cfg.requireNumber("port"),
    user: "root",
    privateKey: cfg.requireSecret("privateKey"),
    hostKey: cfg.require("hostKey"),
    podmanUid: ${PODMAN_UID},
    gitlabUrl: "https://gitlab.example.com",
    runnerToken: cfg.requireSecret("token"),
    configPath: cfg.require("configPath"),
    tags: ["staging", "podman"],
});
`;

describe(
    "PodmanRunnerHost through pulumi up over real ssh to a real sshd (our command plugin)",
    { timeout: 900_000 },
    () => {
        let server: Sshd | undefined;
        let engineStack: EngineStack | undefined;
        const sshd = (): Sshd => {
            assert.ok(server, "sshd did not start");
            return server;
        };
        const stack = (): EngineStack => {
            assert.ok(engineStack, "the stack was not created");
            return engineStack;
        };
        let socketServer: Server | undefined;
        const configPath = (): string => join(sshd().dir, "home", ".gitlab-runner", "config.toml");
        const tokenInFile = (): unknown =>
            ((parseToml(readFileSync(configPath(), "utf8")) as { runners: Obj[] }).runners[0] as Obj).token;

        async function openSocket(): Promise<void> {
            mkdirSync(SOCKET_DIR, { recursive: true });
            const server = createServer();
            await new Promise<void>((resolve) => server.listen(SOCKET, resolve));
            socketServer = server;
        }
        async function closeSocket(): Promise<void> {
            const listening = socketServer;
            socketServer = undefined;
            if (listening) {
                await new Promise<void>((resolve) => {
                    listening.close(() => {
                        resolve();
                    });
                });
            }
            rmSync(SOCKET, { force: true });
        }

        before(async () => {
            server = await startSshd();
            await openSocket();
            engineStack = await newEngineStack("podman-host", program(join(ROOT, "components", "index")));
            await stack().config("port", String(sshd().port));
            await stack().config("privateKey", sshd().privateKey, true);
            await stack().config("hostKey", sshd().hostKey);
            await stack().config("configPath", configPath());
        });
        after(async () => {
            engineStack?.dispose();
            await closeSocket();
            rmSync(`/run/user/${PODMAN_UID}`, { recursive: true, force: true });
            await server?.stop();
        });

        it("first up writes config.toml with mode 0600, and a second up changes nothing", async () => {
            const token = fakeRunnerToken("sshd-first", "sentinel");
            await stack().config("token", token, true);
            const up = await stack().up();
            assert.equal(up.code, 0, up.stdout + up.stderr);
            assert.match(up.stdout, /rootless Podman socket: \/run\/user\/\d+\/podman\/podman\.sock/);
            assert.match(up.stdout, /installed: /);
            assert.ok(!(up.stdout + up.stderr).includes(token), "the token is not in the up's output");
            assert.ok(!(await stack().state()).includes(token), "the token is not in the state in the clear");
            const stat = statSync(configPath());
            assert.equal((stat.mode & 0o777).toString(8), "600");
            const runner = (parseToml(readFileSync(configPath(), "utf8")) as { runners: Obj[] }).runners[0] as Obj;
            assert.equal(runner.token, token);
            assert.equal(runner.executor, "docker");
            assert.equal((runner.docker as Obj).host, `unix://${SOCKET}`);
            assert.equal((runner.docker as Obj).privileged, false);

            const again = await stack().up();
            assert.equal(again.code, 0, again.stdout + again.stderr);
            assert.doesNotMatch(again.stdout, /installed: |unchanged: /, "no command ran");
            const after = statSync(configPath());
            assert.equal(after.mtimeMs, stat.mtimeMs, "mtime unchanged");
            assert.equal(after.ino, stat.ino, "same file");
        });

        it("a changed token replaces the file atomically (a new inode, no temp file left)", async () => {
            const before = statSync(configPath());
            const token = fakeRunnerToken("sshd-rotated", "sentinel");
            await stack().config("token", token, true);
            const up = await stack().up();
            assert.equal(up.code, 0, up.stdout + up.stderr);
            const after = statSync(configPath());
            assert.equal(tokenInFile(), token);
            assert.notEqual(after.ino, before.ino, "renamed over the old file, not rewritten in place");
            assert.equal((after.mode & 0o777).toString(8), "600");
            assert.deepEqual(readdirSync(join(sshd().dir, "home", ".gitlab-runner")), ["config.toml"]);
            assert.match(up.stdout + up.stderr, /installed: /);
        });

        it("a host answering with another host key is refused before anything runs", async () => {
            const kept = tokenInFile();
            await stack().config("hostKey", sshd().otherHostKey);
            await stack().config("token", fakeRunnerToken("sshd-wrong-key", "sentinel"), true);
            const up = await stack().up();
            assert.notEqual(up.code, 0);
            assert.match(up.stdout + up.stderr, /host key mismatch: 127\.0\.0\.1:\d+ presented ssh-ed25519 SHA256:/);
            assert.equal(tokenInFile(), kept, "nothing was installed");
            await stack().config("hostKey", sshd().hostKey);
        });

        it("a missing rootless Podman socket fails the up naming the host, and the config is not installed", async () => {
            const kept = tokenInFile();
            await closeSocket();
            await stack().config("token", fakeRunnerToken("sshd-no-socket", "sentinel"), true);
            const up = await stack().up();
            assert.notEqual(up.code, 0);
            assert.match(
                up.stdout + up.stderr,
                new RegExp(`Podman runner host ${HOST_NAME}: no rootless Podman socket at ${SOCKET} for user root`),
            );
            assert.match(up.stdout + up.stderr, /systemctl --user enable --now podman\.socket/);
            assert.equal(tokenInFile(), kept, "the install did not run");
            await openSocket();
        });

        it("destroy removes the installed config", async () => {
            const destroy = await stack().destroy();
            assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
            assert.equal(existsSync(configPath()), false);
        });
    },
);
