/**
 * A real OpenSSH server (Debian's openssh-server) for tests: 127.0.0.1 only, on a free port, with
 * host and user keys generated for this run, stopped by the pid it was started with.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { freePort } from "./free-port";

const SSHD = "/usr/sbin/sshd";

export interface Sshd {
    readonly port: number;
    /** The server's public host key, `ssh-ed25519 AAAA…`, as `hostKey` pins it. */
    readonly hostKey: string;
    /** A public key the server does NOT have, for the refused-host-key cases. */
    readonly otherHostKey: string;
    /** The user private key the server accepts for root (PEM text). */
    readonly privateKey: string;
    readonly privateKeyPath: string;
    readonly dir: string;
    /** Everything sshd wrote to stderr so far (for assertion messages). */
    log(): string;
    stop(): Promise<void>;
}

export interface SshdOptions {
    /** Environment variables sessions may set (sshd's AcceptEnv). @default none */
    readonly acceptEnv?: readonly string[];
    /** sshd's LogLevel, e.g. DEBUG1 to see forwarded connections in `log()`. @default INFO */
    readonly logLevel?: string;
}

function keygen(path: string): string {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path]);
    return readFileSync(`${path}.pub`, "utf8").trim();
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

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
    assert.ok(existsSync(SSHD), `${SSHD} is missing: apt-get install openssh-server (bash scripts/setup does)`);
    const dir = mkdtempSync(join(tmpdir(), "sshd-"));
    const hostKey = keygen(join(dir, "host_key"));
    const otherHostKey = keygen(join(dir, "other_host_key"));
    const privateKeyPath = join(dir, "user_key");
    keygen(privateKeyPath);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(`${privateKeyPath}.pub`));
    const port = await freePort();
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
            "Subsystem sftp internal-sftp",
            `LogLevel ${options.logLevel ?? "INFO"}`,
            ...(options.acceptEnv?.length ? [`AcceptEnv ${options.acceptEnv.join(" ")}`] : []),
            "",
        ].join("\n"),
    );
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const daemon: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], {
        stdio: ["ignore", "ignore", "pipe"],
    });
    let sshdLog = "";
    daemon.stderr?.on("data", (chunk: Buffer) => (sshdLog += chunk.toString()));
    const stop = async (): Promise<void> => {
        if (daemon.pid !== undefined && daemon.exitCode === null && daemon.signalCode === null) {
            // Stopped by the pid it was started with, and waited for, so no zombie is left behind.
            const exited = new Promise<void>((resolve) => {
                daemon.once("exit", () => {
                    resolve();
                });
            });
            process.kill(daemon.pid, "SIGTERM");
            await exited;
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitForPort(port, 10_000);
    } catch (error) {
        await stop();
        throw new Error(`${String(error)}\n${sshdLog}`);
    }
    return {
        port,
        hostKey,
        otherHostKey,
        privateKey: readFileSync(privateKeyPath, "utf8"),
        privateKeyPath,
        dir,
        log: () => sshdLog,
        stop,
    };
}
