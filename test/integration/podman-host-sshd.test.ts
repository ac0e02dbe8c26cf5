/**
 * PodmanRunnerHost against a real sshd. The command plugin (`@pulumi/command`'s provider) cannot be
 * built on this machine, so `remote.Command` cannot run here: these tests take the exact script text
 * and stdin the component hands `remote.Command` (recorded under Pulumi mocks) and run them over a
 * real `ssh` to a real OpenSSH server, as the plugin would: one session per command, the script as
 * the session's command, the config on stdin, the host key pinned. The socket check runs first and
 * the install only after it passed, as the component's `dependsOn` orders them.
 *
 * The sshd is Debian's openssh-server, started here on 127.0.0.1 on a free port with host and user
 * keys generated for this run, and stopped by its recorded pid.
 */
import { byName, registered, reset, settle } from "../unit/harness";

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseToml } from "smol-toml";

import { PodmanRunnerHost } from "../../components";
import { freePort } from "../support/free-port";
import { fakeRunnerToken } from "../unit/stack-secrets";

const SSHD = "/usr/sbin/sshd";
const HOST_NAME = "podman-build-1";
/** A uid nobody on this machine has, so its /run/user directory is ours alone. */
const PODMAN_UID = 61000 + (process.pid % 1000);
const SOCKET_DIR = `/run/user/${PODMAN_UID}/podman`;
const SOCKET = `${SOCKET_DIR}/podman.sock`;

type Obj = Record<string, unknown>;

interface RemoteCommand {
    readonly connection: { host: string; port: number; user: string; hostKey: string };
    readonly create: string;
    readonly update?: string;
    readonly delete?: string;
    readonly stdin?: string;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
        const attempt = (): void => {
            const socket = createConnection({ host: "127.0.0.1", port }, () => {
                socket.end();
                resolve();
            });
            socket.once("error", () => {
                socket.destroy();
                if (Date.now() > deadline) {
                    reject(new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`));
                } else {
                    setTimeout(attempt, 100);
                }
            });
        };
        attempt();
    });
}

function keygen(path: string): string {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path]);
    return readFileSync(`${path}.pub`, "utf8").trim();
}

/** What the mocks recorded for one `command:remote:Command`. */
function remoteCommand(name: string): RemoteCommand {
    return byName("command:remote:Command", name).inputs as unknown as RemoteCommand;
}

describe("PodmanRunnerHost over real ssh to a real sshd (the command plugin cannot be built here, so ssh runs the script text the component gives remote.Command)", () => {
    let dir = "";
    let sshd: ChildProcess | undefined;
    let port = 0;
    let hostKey = "";
    let otherHostKey = "";
    let userKey = "";
    let socketServer: Server | undefined;
    const configPath = (): string => join(dir, "home", ".gitlab-runner", "config.toml");

    before(async () => {
        assert.ok(existsSync(SSHD), `${SSHD} is missing: apt-get install openssh-server`);
        dir = mkdtempSync(join(tmpdir(), "podman-host-sshd-"));
        hostKey = keygen(join(dir, "host_key"));
        otherHostKey = keygen(join(dir, "other_host_key"));
        keygen(join(dir, "user_key"));
        userKey = join(dir, "user_key");
        writeFileSync(join(dir, "authorized_keys"), readFileSync(`${userKey}.pub`));
        port = await freePort();
        writeFileSync(
            join(dir, "sshd_config"),
            [
                `Port ${port}`,
                "ListenAddress 127.0.0.1",
                `HostKey ${join(dir, "host_key")}`,
                `PidFile ${join(dir, "sshd.pid")}`,
                `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
                "AuthenticationMethods publickey",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "PermitRootLogin prohibit-password",
                // The temp dir is not root-owned all the way up the way StrictModes wants it.
                "StrictModes no",
                "",
            ].join("\n"),
        );
        mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
        sshd = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
        let sshdLog = "";
        sshd.stderr?.on("data", (chunk: Buffer) => (sshdLog += chunk.toString()));
        await waitForPort(port, 10_000).catch((error: unknown) => {
            throw new Error(`${String(error)}\n${sshdLog}`);
        });
        mkdirSync(SOCKET_DIR, { recursive: true });
        socketServer = createServer();
        await new Promise<void>((resolve) => socketServer?.listen(SOCKET, resolve));
    });

    after(async () => {
        const daemon = sshd;
        if (daemon?.pid !== undefined && daemon.exitCode === null) {
            // Stopped by the pid it was started with, and waited for, so no zombie is left behind.
            const exited = new Promise<void>((resolve) => {
                daemon.once("exit", () => {
                    resolve();
                });
            });
            process.kill(daemon.pid, "SIGTERM");
            await exited;
        }
        await closeSocket();
        rmSync(`/run/user/${PODMAN_UID}`, { recursive: true, force: true });
        if (dir) {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    /** Stops the stand-in for rootless Podman's API socket (the socket file goes with it). */
    async function closeSocket(): Promise<void> {
        const server = socketServer;
        socketServer = undefined;
        if (server) {
            await new Promise<void>((resolve) => {
                server.close(() => {
                    resolve();
                });
            });
        }
    }

    /** The component as a stack builds it, and the commands it hands remote.Command. */
    async function component(token: string): Promise<{ check: RemoteCommand; install: RemoteCommand }> {
        reset();
        new PodmanRunnerHost(HOST_NAME, {
            host: "127.0.0.1",
            port,
            user: "root",
            privateKey: readFileSync(userKey, "utf8"),
            hostKey,
            podmanUid: PODMAN_UID,
            gitlabUrl: "https://gitlab.example.com",
            runnerToken: token,
            configPath: configPath(),
            tags: ["staging", "podman"],
        });
        await settle();
        assert.equal(registered.filter((r) => r.type === "command:remote:Command").length, 2);
        return { check: remoteCommand(`${HOST_NAME}-podman-socket`), install: remoteCommand(`${HOST_NAME}-config`) };
    }

    /** One SSH session as the plugin opens it: host key pinned, the script as the command, stdin piped. */
    async function ssh(command: RemoteCommand, script: string, pinnedKey = command.connection.hostKey) {
        const knownHosts = join(dir, "known_hosts");
        writeFileSync(knownHosts, `[${command.connection.host}]:${command.connection.port} ${pinnedKey}\n`);
        const args = [
            "-p",
            String(command.connection.port),
            "-i",
            userKey,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            `UserKnownHostsFile=${knownHosts}`,
            "-o",
            "LogLevel=ERROR",
            `${command.connection.user}@${command.connection.host}`,
            script,
        ];
        return runWithStdin("ssh", args, command.stdin ?? "");
    }

    function runWithStdin(cmd: string, args: string[], stdin: string): Promise<{ code: number; out: string }> {
        return new Promise((resolve, reject) => {
            const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
            let out = "";
            child.stdout.on("data", (c: Buffer) => (out += c.toString()));
            child.stderr.on("data", (c: Buffer) => (out += c.toString()));
            child.on("error", reject);
            child.on("close", (code) => {
                resolve({ code: code ?? -1, out });
            });
            child.stdin.end(stdin);
        });
    }

    /** create (or update) as the engine runs them: the socket check, then the install. */
    async function apply(commands: { check: RemoteCommand; install: RemoteCommand }, step: "create" | "update") {
        const check = await ssh(commands.check, commands.check.create);
        if (check.code !== 0) {
            return { code: check.code, out: check.out };
        }
        const install = await ssh(commands.install, commands.install[step] ?? commands.install.create);
        return { code: install.code, out: check.out + install.out };
    }

    it("first install writes config.toml with mode 0600, then a second run changes nothing", async () => {
        const token = fakeRunnerToken("sshd-first", "sentinel");
        const commands = await component(token);
        const first = await apply(commands, "create");
        assert.equal(first.code, 0, first.out);
        assert.match(first.out, /rootless Podman socket: \/run\/user\/\d+\/podman\/podman\.sock/);
        assert.match(first.out, /installed: /);
        const stat = statSync(configPath());
        assert.equal((stat.mode & 0o777).toString(8), "600");
        const doc = parseToml(readFileSync(configPath(), "utf8")) as Obj;
        const runner = (doc.runners as Obj[])[0] as Obj;
        assert.equal(runner.token, token);
        assert.equal(runner.executor, "docker");
        assert.equal((runner.docker as Obj).host, `unix://${SOCKET}`);
        assert.equal((runner.docker as Obj).privileged, false);

        const again = await apply(commands, "update");
        assert.equal(again.code, 0, again.out);
        assert.match(again.out, /unchanged: /);
        const after = statSync(configPath());
        assert.equal(after.mtimeMs, stat.mtimeMs, "mtime unchanged");
        assert.equal(after.ino, stat.ino, "same file");
    });

    it("a changed token replaces the file atomically (a new inode, no temp file left) and delete removes it", async () => {
        const before = statSync(configPath());
        const token = fakeRunnerToken("sshd-rotated", "sentinel");
        const commands = await component(token);
        const rotated = await apply(commands, "update");
        assert.equal(rotated.code, 0, rotated.out);
        assert.match(rotated.out, /installed: /);
        const after = statSync(configPath());
        assert.notEqual(after.ino, before.ino, "renamed over the old file, not rewritten in place");
        assert.equal((after.mode & 0o777).toString(8), "600");
        const doc = parseToml(readFileSync(configPath(), "utf8")) as Obj;
        assert.equal(((doc.runners as Obj[])[0] as Obj).token, token);
        assert.deepEqual(readdirSync(join(dir, "home", ".gitlab-runner")), ["config.toml"]);

        const deleted = await ssh(commands.install, commands.install.delete ?? "");
        assert.equal(deleted.code, 0, deleted.out);
        assert.equal(existsSync(configPath()), false, "delete removes the installed config");
    });

    it("a host answering with another host key is refused before anything runs", async () => {
        const commands = await component(fakeRunnerToken("sshd-wrong-key", "sentinel"));
        const refused = await ssh(commands.install, commands.install.create, otherHostKey);
        assert.equal(refused.code, 255, refused.out);
        assert.match(refused.out, /Host key verification failed/);
        assert.equal(existsSync(configPath()), false, "nothing was installed");
    });

    it("a missing rootless Podman socket fails with the host's name, and the config is not installed", async () => {
        await closeSocket();
        rmSync(SOCKET, { force: true });
        const commands = await component(fakeRunnerToken("sshd-no-socket", "sentinel"));
        const failed = await apply(commands, "create");
        assert.equal(failed.code, 1, failed.out);
        assert.match(
            failed.out,
            new RegExp(`Podman runner host ${HOST_NAME}: no rootless Podman socket at ${SOCKET} for user root`),
        );
        assert.match(failed.out, /systemctl --user enable --now podman\.socket/);
        assert.equal(existsSync(configPath()), false, "the install did not run");
    });
});
