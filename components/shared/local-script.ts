import * as pulumi from "@pulumi/pulumi";

/**
 * A shell script run by the Pulumi program's own Node.js process (a dynamic resource), with the
 * semantics of `@pulumi/command`'s `local.Command` that the components rely on: `create` runs on
 * create and on update (environment or stdin changed), a change of `triggers` replaces the
 * resource (runs `create` again), a failing script fails the `up`, and nothing runs during preview.
 *
 * It exists for hosts that cannot load the command provider plugin (an air-gapped engine whose Go
 * module proxy refuses pulumi-command); wherever that plugin exists, prefer `local.Command`.
 */
export interface LocalScriptArgs {
    /** The script, run with `bash -c`. */
    readonly create: pulumi.Input<string>;
    /** Run on delete, when given. */
    readonly delete?: pulumi.Input<string>;
    readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    readonly stdin?: pulumi.Input<string>;
    /** Any change replaces the resource, so `create` runs again. */
    readonly triggers?: pulumi.Input<unknown[]>;
}

interface ScriptState {
    readonly create: string;
    readonly delete?: string;
    readonly environment?: Record<string, string>;
    readonly stdin?: string;
    readonly triggers?: unknown[];
    readonly stdout?: string;
}

/** Self-contained: the dynamic provider is serialized with its closure. */
function runBash(script: string, environment: Record<string, string> | undefined, stdin: string | undefined): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- serialized provider code brings its own require
    const childProcess = require("node:child_process") as typeof import("node:child_process");
    const result = childProcess.spawnSync("/bin/bash", ["-c", script], {
        input: stdin ?? "",
        env: { ...process.env, ...(environment ?? {}) },
        encoding: "utf8",
        maxBuffer: 16 * 1024 * 1024,
    });
    const output = `${result.stdout}${result.stderr}`;
    if (result.status !== 0) {
        throw new Error(`script exited with ${String(result.status ?? result.signal)}:\n${output}`);
    }
    return result.stdout;
}

const provider: pulumi.dynamic.ResourceProvider<ScriptState, ScriptState> = {
    create(inputs) {
        const stdout = runBash(inputs.create, inputs.environment, inputs.stdin);
        return Promise.resolve({ id: `script-${Date.now().toString(36)}`, outs: { ...inputs, stdout } });
    },
    diff(_id, olds, news) {
        const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
        const replace = !same(olds.triggers, news.triggers);
        const changes =
            replace ||
            olds.create !== news.create ||
            olds.delete !== news.delete ||
            olds.stdin !== news.stdin ||
            !same(olds.environment, news.environment);
        return Promise.resolve({ changes, replaces: replace ? ["triggers"] : [], deleteBeforeReplace: false });
    },
    update(_id, _olds, news) {
        const stdout = runBash(news.create, news.environment, news.stdin);
        return Promise.resolve({ outs: { ...news, stdout } });
    },
    delete(_id, props) {
        if (props.delete !== undefined) {
            runBash(props.delete, props.environment, undefined);
        }
        return Promise.resolve();
    },
};

export class LocalScript extends pulumi.dynamic.Resource {
    declare public readonly stdout: pulumi.Output<string>;

    constructor(name: string, args: LocalScriptArgs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { ...args, stdout: undefined }, opts, "local-script");
    }
}
