/**
 * The `canary promote` command line: its usage text and its parsing into checked arguments, with
 * an error that names the flag and what it takes.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

import { positiveInteger, type StackCommandArgs, UsageError } from "../shared/command";

export const PROMOTE_USAGE = `usage: canary promote --stack <stack> --app <name> --image-version <tag> [options]

Rolls <tag> out as the canary of app <name> in stack <stack>, step by step (canary.steps), through
the Pulumi Automation API, analysing Prometheus between steps; promotes it or rolls it back.

  --stack <name>             stack to drive (its Pulumi.<stack>.yaml is the desired state)
  --app <name>               entry of cicd-platform:apps (or a release stack's canary.name) to roll out
  --image-version <tag>      tag or sha256 digest for the canary (and stable, once promoted)
  --image <repo:tag>         instead of --image-version; the repository must be the app's image
  --prometheus <url>         Prometheus base URL (default $PROMETHEUS_URL, a release stack's
                             prometheusUrl output, or http://127.0.0.1:9090)
  --report <file.md>         Markdown report (+ .svg chart beside it); default in the temp dir
  --json-out <file.json>     the same as JSON: every window, every check with its query
  --work-dir <dir>           directory of Pulumi.yaml (default .; release/ for a release stack)
  --interval-seconds <n>     analysis window, overrides canary.analysis.intervalSeconds (not written)
  --on-interrupt <what>      rollback (default) or hold: what Ctrl-C/SIGTERM leaves behind
  --query-timeout-ms <n>     timeout of one Prometheus query (default 5000)
  -h, --help                 this text

exit codes: 0 promoted, 3 rolled back, 4 interrupted, 1 error, 2 usage error`;

export interface PromoteArgs extends StackCommandArgs {
    readonly app: string;
    readonly imageVersion: string;
    /** From `--image repo:tag`: the repository the app's image must be. */
    readonly imageRepository?: string;
    readonly intervalSeconds?: number;
}

/** Splits `registry:5000/team/app:tag` into repository and tag (the tag is after the last `/`). */
export function splitImage(image: string): { repository: string; tag: string } {
    const at = image.indexOf("@");
    if (at > 0) {
        return { repository: image.slice(0, at), tag: image.slice(at + 1) };
    }
    const colon = image.lastIndexOf(":");
    if (colon <= image.lastIndexOf("/") || colon === image.length - 1) {
        throw new UsageError(
            `--image: "${image}" has no tag (expected <repository>:<tag> or <repository>@sha256:<hex>)`,
        );
    }
    return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
}

const OPTIONS = {
    stack: { type: "string" },
    app: { type: "string" },
    "image-version": { type: "string" },
    image: { type: "string" },
    prometheus: { type: "string" },
    report: { type: "string" },
    "json-out": { type: "string" },
    "work-dir": { type: "string" },
    "interval-seconds": { type: "string" },
    "on-interrupt": { type: "string" },
    "query-timeout-ms": { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

function parseFlags(argv: readonly string[]) {
    try {
        return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
    } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
    }
}

/** `--image-version`, or the tag and repository of `--image`; one of them, not both. */
function imageOf(values: { readonly image?: string; readonly "image-version"?: string }): {
    imageVersion: string;
    imageRepository?: string;
} {
    let imageVersion = values["image-version"];
    let imageRepository: string | undefined;
    if (values.image !== undefined) {
        if (imageVersion !== undefined) {
            throw new UsageError("--image and --image-version: give one of them, not both");
        }
        const split = splitImage(values.image);
        imageVersion = split.tag;
        imageRepository = split.repository;
    }
    if (imageVersion === undefined || imageVersion === "") {
        throw new UsageError("--image-version (or --image <repo:tag>) is required");
    }
    return { imageVersion, ...(imageRepository === undefined ? {} : { imageRepository }) };
}

/** Parses the arguments after the program name; throws UsageError naming the flag. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): PromoteArgs | "help" {
    const parsed = parseFlags(argv);
    const { values, positionals } = parsed;
    if (values.help === true) {
        return "help";
    }
    if (positionals.length === 0) {
        throw new UsageError("missing command: promote or switch");
    }
    if (positionals[0] !== "promote" || positionals.length > 1) {
        throw new UsageError(`unknown command "${positionals.join(" ")}" (the commands are: promote, switch)`);
    }
    for (const flag of ["stack", "app"] as const) {
        if (values[flag] === undefined || values[flag] === "") {
            throw new UsageError(`--${flag} is required`);
        }
    }
    const { imageVersion, imageRepository } = imageOf(values);
    const onInterrupt = values["on-interrupt"] ?? "rollback";
    if (onInterrupt !== "rollback" && onInterrupt !== "hold") {
        throw new UsageError(`--on-interrupt: "${onInterrupt}" is not rollback or hold`);
    }
    const prometheus = values.prometheus ?? env.PROMETHEUS_URL ?? "http://127.0.0.1:9090";
    try {
        new URL(prometheus);
    } catch {
        throw new UsageError(`--prometheus: "${prometheus}" is not a URL (e.g. http://127.0.0.1:9090)`);
    }
    return {
        stack: values.stack as string,
        app: values.app as string,
        imageVersion,
        ...(imageRepository === undefined ? {} : { imageRepository }),
        prometheus,
        prometheusGiven: values.prometheus !== undefined || env.PROMETHEUS_URL !== undefined,
        ...(values.report === undefined ? {} : { report: values.report }),
        ...(values["json-out"] === undefined ? {} : { jsonOut: values["json-out"] }),
        workDir: resolve(values["work-dir"] ?? "."),
        ...(values["interval-seconds"] === undefined
            ? {}
            : { intervalSeconds: positiveInteger("--interval-seconds", values["interval-seconds"]) }),
        onInterrupt,
        queryTimeoutMs: positiveInteger("--query-timeout-ms", values["query-timeout-ms"]) ?? 5000,
    };
}
