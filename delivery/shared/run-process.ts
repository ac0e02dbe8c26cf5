/** A child process run to its end, its output collected (and stdout streamed when asked). */
import { spawn } from "node:child_process";

export interface ProcessResult {
    /** The exit code, or `signal <name>` when a signal ended it. */
    readonly exit: number | string;
    readonly stdout: string;
    readonly stderr: string;
}

export interface RunProcessOptions {
    readonly cwd?: string;
    readonly env?: NodeJS.ProcessEnv;
    /** Each chunk of stdout as it comes. */
    readonly onStdout?: (text: string) => void;
}

/** Runs `command` with stdin closed; rejects only when it cannot be started. */
export function runProcess(
    command: string,
    args: readonly string[],
    options: RunProcessOptions = {},
): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
            ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
            ...(options.env === undefined ? {} : { env: options.env }),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (text: string) => {
            stdout += text;
            options.onStdout?.(text);
        });
        child.stderr.setEncoding("utf8").on("data", (text: string) => {
            stderr += text;
        });
        child.on("error", reject);
        child.on("close", (code, signal) => {
            resolve({ exit: code ?? `signal ${String(signal)}`, stdout, stderr });
        });
    });
}
