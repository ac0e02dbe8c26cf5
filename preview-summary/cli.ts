/**
 * `npm run preview:summary -- --stack <stack> --preview preview.json [options]`
 *
 * Writes the Markdown summary of a `pulumi preview --json` document (see USAGE). Exit codes:
 * 0 written (also when the preview itself failed: the summary says why), 1 error, 2 usage error,
 * 3 a secret value was found in the summary (nothing written, a stale --out file is removed).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";

import { parse as parseYaml } from "yaml";

import { parsePlainConfig, SECRET_KEYS } from "../config/schema";
import { type CanaryPlan, canaryPlan } from "./canary-plan";
import { parsePreviewJson, type PreviewDigest } from "./preview-json";
import { SecretLeakError, type SecretValue } from "./secrets";
import { GITHUB_COMMENT_LIMIT, type PreviewFailure, summarize } from "./summarize";

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

export interface CliIO {
    readonly out: (text: string) => void;
    readonly err: (line: string) => void;
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
}

const STACK_NAME = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/;

interface Options {
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

export function parseCommandLine(argv: readonly string[], cwd: string): Options | "help" {
    let parsed;
    try {
        parsed = parseArgs({
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
        });
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
    const v = parsed.values;
    if (v.help) {
        return "help";
    }
    if (v.stack === undefined || !STACK_NAME.test(v.stack)) {
        throw new UsageError(
            v.stack === undefined ? "--stack is required" : `--stack: "${v.stack}" is not a stack name`,
        );
    }
    if (v["exit-code"] !== undefined && v["exit-code-file"] !== undefined) {
        throw new UsageError("--exit-code and --exit-code-file exclude each other");
    }
    let exitCode = 0;
    if (v["exit-code"] !== undefined) {
        exitCode = integer("--exit-code", v["exit-code"], 0);
    } else if (v["exit-code-file"] !== undefined) {
        exitCode = integer("--exit-code-file", readFileSync(resolve(cwd, v["exit-code-file"]), "utf8"), 0);
    }
    if (v.preview === undefined && exitCode === 0) {
        throw new UsageError("--preview is required unless the preview failed (--exit-code above 0)");
    }
    const logUrl = v["log-url"];
    if (logUrl !== undefined && logUrl !== "" && !/^https?:\/\/\S+$/.test(logUrl)) {
        throw new UsageError(`--log-url: "${logUrl}" is not an http(s) URL`);
    }
    const secretEnv = (v["secret-values-from-env"] ?? []).flatMap((list) =>
        list
            .split(",")
            .map((name) => name.trim())
            .filter((name) => name !== ""),
    );
    for (const name of secretEnv) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            throw new UsageError(`--secret-values-from-env: "${name}" is not an environment variable name`);
        }
    }
    const projectConfig = resolve(cwd, v["project-config"] ?? "Pulumi.yaml");
    return {
        stack: v.stack,
        preview: v.preview === undefined ? undefined : resolve(cwd, v.preview),
        stderr: v.stderr === undefined ? undefined : resolve(cwd, v.stderr),
        exitCode,
        stackConfig: v["stack-config"] === undefined ? undefined : resolve(cwd, v["stack-config"]),
        projectConfig,
        logUrl: logUrl === "" ? undefined : logUrl,
        secretEnv,
        maxChars: v["max-chars"] === undefined ? GITHUB_COMMENT_LIMIT : integer("--max-chars", v["max-chars"], 1_000),
        context: v.context,
        out: v.out === undefined ? undefined : resolve(cwd, v.out),
    };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);

/** What the project and stack files say: the project name, secret keys, and the canary plan. */
export interface StackFiles {
    readonly project: string;
    readonly secretConfigKeys: ReadonlySet<string>;
    readonly canaryPlan?: CanaryPlan;
    readonly canaryPlanError?: string;
}

export function readStackFiles(projectFile: string, stackFile: string): StackFiles {
    const projectDoc: unknown = parseYaml(readFileSync(projectFile, "utf8"));
    const project = isObject(projectDoc) && typeof projectDoc.name === "string" ? projectDoc.name : "cicd-platform";
    const secretConfigKeys = new Set<string>(Object.keys(SECRET_KEYS).map((key) => `${project}:${key}`));
    if (isObject(projectDoc) && isObject(projectDoc.config)) {
        for (const [key, decl] of Object.entries(projectDoc.config)) {
            if (isObject(decl) && decl.secret === true) {
                secretConfigKeys.add(key.includes(":") ? key : `${project}:${key}`);
            }
        }
    }
    if (!existsSync(stackFile)) {
        return { project, secretConfigKeys, canaryPlanError: `no stack config file ${stackFile}` };
    }
    const stackDoc: unknown = parseYaml(readFileSync(stackFile, "utf8"));
    const config = isObject(stackDoc) && isObject(stackDoc.config) ? stackDoc.config : {};
    const plain: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(config)) {
        const key = fullKey.includes(":") ? fullKey : `${project}:${fullKey}`;
        if (isObject(value) && "secure" in value) {
            secretConfigKeys.add(key);
            continue;
        }
        if (key.startsWith(`${project}:`) && !secretConfigKeys.has(key)) {
            plain[key.slice(project.length + 1)] = value;
        }
    }
    const parsed = parsePlainConfig(plain);
    if (!parsed.ok) {
        // Problems of plain keys only (secret keys were left out above), so no secret is quoted.
        const problems = parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
        return { project, secretConfigKeys, canaryPlanError: `the stack config is invalid (${problems})` };
    }
    return { project, secretConfigKeys, canaryPlan: canaryPlan(parsed.config) };
}

function readPreview(file: string | undefined, failed: boolean, io: CliIO): PreviewDigest | undefined {
    if (file === undefined) {
        return undefined;
    }
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (text.trim() === "") {
        if (failed) {
            return undefined;
        }
        throw new Error(`${file} is empty: the preview printed no JSON`);
    }
    try {
        return parsePreviewJson(text);
    } catch (error) {
        if (failed) {
            // A failed preview may stop before its JSON is complete: summarize the failure only.
            io.err(
                `preview-summary: ${file} is not a preview document (${(error as Error).message}); summarizing the failure`,
            );
            return undefined;
        }
        throw new Error(`${file}: ${(error as Error).message}`);
    }
}

export function run(options: Options, io: CliIO): number {
    if (options.out !== undefined) {
        // Never leave an older summary behind to be posted by mistake.
        rmSync(options.out, { force: true });
    }
    const failed = options.exitCode !== 0;
    const preview = readPreview(options.preview, failed, io);
    const failure: PreviewFailure | undefined = failed
        ? {
              exitCode: options.exitCode,
              stderr:
                  options.stderr !== undefined && existsSync(options.stderr)
                      ? readFileSync(options.stderr, "utf8")
                      : "",
          }
        : undefined;
    const stackFile = options.stackConfig ?? join(dirname(options.projectConfig), `Pulumi.${options.stack}.yaml`);
    const files = readStackFiles(options.projectConfig, stackFile);

    const secretValues: SecretValue[] = [];
    for (const name of options.secretEnv) {
        const value = io.env[name];
        if (value === undefined || value === "") {
            io.err(`preview-summary: ${name} is not set; nothing to scan for from it`);
            continue;
        }
        secretValues.push({ value, source: `$${name}` });
    }

    const result = summarize({
        stack: options.stack,
        preview,
        failure,
        canaryPlan: files.canaryPlan,
        canaryPlanError: files.canaryPlanError,
        logUrl: options.logUrl,
        secretValues,
        secretConfigKeys: files.secretConfigKeys,
        maxChars: options.maxChars,
        context: options.context,
    });
    for (const source of result.unscannedSecrets) {
        io.err(`preview-summary: warning: the value of ${source} is too short to scan for`);
    }
    if (options.out === undefined) {
        io.out(result.markdown);
    } else {
        writeFileSync(options.out, result.markdown);
        const c = result.counts;
        io.err(
            `preview-summary: ${options.out}: ${result.markdown.length} characters; ` +
                `create ${c.create}, update ${c.update}, replace ${c.replace}, delete ${c.delete}, same ${c.same}` +
                (result.truncated.length > 0 ? `; cut: ${result.truncated.join("; ")}` : ""),
        );
    }
    return 0;
}

const defaultIO: CliIO = {
    out: (text) => process.stdout.write(text),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    cwd: process.cwd(),
};

export function main(argv: readonly string[], io: CliIO = defaultIO): number {
    let options;
    try {
        options = parseCommandLine(argv, io.cwd);
    } catch (error) {
        if (error instanceof UsageError) {
            io.err(`preview-summary: ${error.message}\n\n${USAGE}`);
            return 2;
        }
        io.err(`preview-summary: ${(error as Error).message}`);
        return 1;
    }
    if (options === "help") {
        io.out(`${USAGE}\n`);
        return 0;
    }
    try {
        return run(options, io);
    } catch (error) {
        if (error instanceof SecretLeakError) {
            io.err(`preview-summary: ${error.message}`);
            return 3;
        }
        io.err(`preview-summary: ${(error as Error).message}`);
        return 1;
    }
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
