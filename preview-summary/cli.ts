/**
 * `npm run preview:summary -- --stack <stack> --preview preview.json [options]`
 *
 * Writes the Markdown summary of a `pulumi preview --json` document (see USAGE). Exit codes:
 * 0 written (also when the preview itself failed: the summary says why), 1 error, 2 usage error,
 * 3 a secret value was found in the summary (nothing written, a stale --out file is removed).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { type Options, parseCommandLine, USAGE, UsageError } from "./command-line";
import { parsePreviewJson, type PreviewDigest } from "./preview-json";
import { SecretLeakError, type SecretValue } from "./secrets";
import { readStackFiles } from "./stack-files";
import { summarize } from "./summarize";

export { parseCommandLine, USAGE, UsageError } from "./command-line";
export { readStackFiles, type StackFiles } from "./stack-files";

export interface CliIO {
    readonly out: (text: string) => void;
    readonly err: (line: string) => void;
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
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

/** What a failed preview wrote to stderr; nothing when it was not captured. */
function readIfThere(file: string | undefined): string {
    return file !== undefined && existsSync(file) ? readFileSync(file, "utf8") : "";
}

function secretValuesFromEnv(names: readonly string[], io: CliIO): SecretValue[] {
    const values: SecretValue[] = [];
    for (const name of names) {
        const value = io.env[name];
        if (value === undefined || value === "") {
            io.err(`preview-summary: ${name} is not set; nothing to scan for from it`);
            continue;
        }
        values.push({ value, source: `$${name}` });
    }
    return values;
}

export function run(options: Options, io: CliIO): number {
    if (options.out !== undefined) {
        // Never leave an older summary behind to be posted by mistake.
        rmSync(options.out, { force: true });
    }
    const failed = options.exitCode !== 0;
    const preview = readPreview(options.preview, failed, io);
    const failure = failed ? { exitCode: options.exitCode, stderr: readIfThere(options.stderr) } : undefined;
    const stackFile = options.stackConfig ?? join(dirname(options.projectConfig), `Pulumi.${options.stack}.yaml`);
    const files = readStackFiles(options.projectConfig, stackFile);
    const secretValues = secretValuesFromEnv(options.secretEnv, io);

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
