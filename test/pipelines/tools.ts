/** Shared by the pipeline tests: where the CI tools are, and running commands. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

export const ROOT = resolve(__dirname, "..", "..");

/** `scripts/ci/install-tools --check` of these three: their paths, or an error naming how to install them. */
export function ciTools(): { actionlint: string; gitlabCiLocal: string; shellcheck: string } {
    const check = spawnSync(
        "bash",
        [join(ROOT, "scripts/ci/install-tools"), "--check", "--only", "actionlint,gitlab-ci-local,shellcheck"],
        { encoding: "utf8" },
    );
    if (check.status !== 0) {
        throw new Error(
            `CI tools missing (install them with: bash scripts/ci/install-tools):\n${check.stderr}${check.stdout}`,
        );
    }
    const paths = new Map(
        check.stdout
            .trim()
            .split("\n")
            .map((line) => line.split(" ", 2) as [string, string]),
    );
    return {
        actionlint: paths.get("actionlint") as string,
        gitlabCiLocal: paths.get("gitlab-ci-local") as string,
        shellcheck: paths.get("shellcheck") as string,
    };
}

export function onPath(binary: string, path: string | undefined = process.env.PATH): string | undefined {
    for (const dir of (path ?? "").split(delimiter)) {
        if (dir !== "" && existsSync(join(dir, binary))) {
            return join(dir, binary);
        }
    }
    return undefined;
}

export interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export function run(
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<Run> {
    return new Promise((resolveRun, reject) => {
        const child = spawn(command, args, {
            cwd: options.cwd ?? ROOT,
            env: options.env ?? process.env,
            stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        if (options.input !== undefined) {
            child.stdin?.end(options.input);
        }
        const timer = setTimeout(() => child.kill("SIGTERM"), options.timeoutMs ?? 10 * 60 * 1000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolveRun({ code, stdout, stderr });
        });
    });
}

/** The shell scripts of scripts/ci (the files with a shell shebang or a `shellcheck shell=` line). */
export function ciShellScripts(): string[] {
    const dir = join(ROOT, "scripts", "ci");
    return readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(dir, entry.name))
        .filter((file) => {
            const head = readFileSync(file, "utf8").slice(0, 200);
            return /^#!.*\b(bash|sh)\b/.test(head) || /^# shellcheck shell=/m.test(head);
        });
}

/** The npm scripts the pipelines call, as the lead adds them to package.json. */
export function expectedNpmScripts(): Record<string, string> {
    return JSON.parse(readFileSync(join(ROOT, "scripts/ci/npm-scripts.json"), "utf8")) as Record<string, string>;
}
