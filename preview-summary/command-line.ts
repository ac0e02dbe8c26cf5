/** The command line of `preview-summary`: its usage text and the checked options it stands for. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

import { GITHUB_COMMENT_LIMIT } from "./size-budget";

export const USAGE = `usage: preview-summary --stack <stack> [--preview preview.json] [options]

Turns \`pulumi preview --json\` output into a Markdown summary for a pull/merge request comment:
counts per operation and type, replacements and what forces them, the canary plan of the stack
config, policy violations and errors. Never prints a secret value; stays under --max-chars.

  --stack <name>                  the stack previewed (names the hidden comment marker)
  --preview <file>                the JSON \`pulumi preview --json\` printed
  --stderr <file>                 what it wrote to stderr (shown when it failed)
  --exit-code <n>                 its exit status (default 0); or --exit-code-file <file>
  --stack-config <file>           Pulumi.<stack>.yaml (default: beside --project-config)
  --project-config <file>         Pulumi.yaml (default ./Pulumi.yaml)
  --log-url <url>                 link to the full log, in the footer
  --secret-values-from-env <a,b>  environment variables whose values must not appear (repeatable)
  --max-chars <n>                 size limit (default ${GITHUB_COMMENT_LIMIT}, GitHub's comment limit)
  --context <text>                shown in the heading (e.g. the commit)
  --out <file>                    write here instead of stdout
  -h, --help                      this text

exit codes: 0 written, 1 error, 2 usage error, 3 secret value found (nothing written)`;

export class UsageError extends Error {
    override readonly name = "UsageError";
}

const STACK_NAME = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/;

export interface Options {
    readonly stack: string;
    readonly preview?: string;
    readonly stderr?: string;
    readonly exitCode: number;
    readonly stackConfig?: string;
    readonly projectConfig: string;
    readonly logUrl?: string;
    readonly secretEnv: readonly string[];
    readonly maxChars: number;
    readonly context?: string;
    readonly out?: string;
}

function integer(flag: string, value: string, min: number): number {
    if (!/^[0-9]+$/.test(value.trim()) || Number(value) < min) {
        throw new UsageError(`${flag}: "${value}" is not an integer ≥ ${min}`);
    }
    return Number(value);
}

function parseFlags(argv: readonly string[]) {
    try {
        return parseArgs({
            args: [...argv],
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string" },
                preview: { type: "string" },
                stderr: { type: "string" },
                "exit-code": { type: "string" },
                "exit-code-file": { type: "string" },
                "stack-config": { type: "string" },
                "project-config": { type: "string" },
                "log-url": { type: "string" },
                "secret-values-from-env": { type: "string", multiple: true },
                "max-chars": { type: "string" },
                context: { type: "string" },
                out: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        }).values;
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
}

function exitCodeOf(code: string | undefined, codeFile: string | undefined, cwd: string): number {
    if (code !== undefined && codeFile !== undefined) {
        throw new UsageError("--exit-code and --exit-code-file exclude each other");
    }
    if (code !== undefined) {
        return integer("--exit-code", code, 0);
    }
    if (codeFile !== undefined) {
        return integer("--exit-code-file", readFileSync(resolve(cwd, codeFile), "utf8"), 0);
    }
    return 0;
}

/** The names of every `--secret-values-from-env`, each flag a comma-separated list. */
function secretEnvNames(lists: readonly string[]): string[] {
    const names = lists.flatMap((list) =>
        list
            .split(",")
            .map((name) => name.trim())
            .filter((name) => name !== ""),
    );
    for (const name of names) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            throw new UsageError(`--secret-values-from-env: "${name}" is not an environment variable name`);
        }
    }
    return names;
}

export function parseCommandLine(argv: readonly string[], cwd: string): Options | "help" {
    const v = parseFlags(argv);
    if (v.help) {
        return "help";
    }
    if (v.stack === undefined || !STACK_NAME.test(v.stack)) {
        throw new UsageError(
            v.stack === undefined ? "--stack is required" : `--stack: "${v.stack}" is not a stack name`,
        );
    }
    const exitCode = exitCodeOf(v["exit-code"], v["exit-code-file"], cwd);
    if (v.preview === undefined && exitCode === 0) {
        throw new UsageError("--preview is required unless the preview failed (--exit-code above 0)");
    }
    const logUrl = v["log-url"];
    if (logUrl !== undefined && logUrl !== "" && !/^https?:\/\/\S+$/.test(logUrl)) {
        throw new UsageError(`--log-url: "${logUrl}" is not an http(s) URL`);
    }
    const secretEnv = secretEnvNames(v["secret-values-from-env"] ?? []);
    const file = (path: string | undefined): string | undefined =>
        path === undefined ? undefined : resolve(cwd, path);
    return {
        stack: v.stack,
        preview: file(v.preview),
        stderr: file(v.stderr),
        exitCode,
        stackConfig: file(v["stack-config"]),
        projectConfig: resolve(cwd, v["project-config"] ?? "Pulumi.yaml"),
        logUrl: logUrl === "" ? undefined : logUrl,
        secretEnv,
        maxChars: v["max-chars"] === undefined ? GITHUB_COMMENT_LIMIT : integer("--max-chars", v["max-chars"], 1_000),
        context: v.context,
        out: file(v.out),
    };
}
