import { createHash } from "node:crypto";

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { HOST_UPSTREAM_DEFAULTS } from "../shared/defaults";
import { shellQuote } from "../shared/shell";
import { ArgChecks } from "../shared/validators";
import { renderNginxConfig } from "./nginx-config";
import type { UpstreamTuning } from "./upstream-tuning";
import { percentProblem, trackWeights, type TrackWeights } from "./traffic-split";

/** SSH connection to the host that runs nginx. */
export interface HostConnection {
    /** Address of the host. */
    readonly host: pulumi.Input<string>;
    /** SSH port. @default {@link HOST_UPSTREAM_DEFAULTS}.sshPort */
    readonly port?: pulumi.Input<number>;
    /** SSH user. @default {@link HOST_UPSTREAM_DEFAULTS}.sshUser */
    readonly user?: pulumi.Input<string>;
    /** PEM private key; always handled as a secret. */
    readonly privateKey?: pulumi.Input<string>;
}

export interface HostUpstreamArgs extends UpstreamTuning<pulumi.Input<number>> {
    /** `host:port` of the stable backend, as nginx on the host reaches it. */
    readonly stableBackend: pulumi.Input<string>;
    /** `host:port` of the canary backend. Ignored while `canaryPercent` is 0. */
    readonly canaryBackend: pulumi.Input<string>;
    /** Share of requests for the canary, an integer 0-100. */
    readonly canaryPercent: pulumi.Input<number>;
    /** Absolute path of the live `nginx.conf` on the host; the candidate is written to `<path>.next`. */
    readonly configPath: string;
    /** Name of the `upstream` block. @default the component name, with other characters than [A-Za-z0-9_] as `_` */
    readonly upstreamName?: string;
    /** nginx prefix (`-p`). @default nginx's compiled-in prefix */
    readonly prefix?: string;
    /** nginx binary on the host. @default {@link HOST_UPSTREAM_DEFAULTS}.nginxBinary */
    readonly nginxBinary?: string;
    /** Error log for nginx's own start-up messages (`-e`). @default nginx's compiled-in path */
    readonly startupErrorLog?: string;
    /** Address nginx listens on, e.g. `80` or `127.0.0.1:8080`. @default "8080" */
    readonly listen?: pulumi.Input<string>;
    /** nginx pid file (also what `nginx -s reload` signals). @default "/tmp/nginx.pid" */
    readonly pidFile?: pulumi.Input<string>;
    /** Directory for client bodies and proxy buffers. @default "/tmp" */
    readonly tempDir?: pulumi.Input<string>;
    /** Access log. @default "/dev/stdout" */
    readonly accessLog?: pulumi.Input<string>;
    /** Error log. @default "/dev/stderr" */
    readonly errorLog?: pulumi.Input<string>;
    /** Worker processes. @default 1 */
    readonly workerProcesses?: pulumi.Input<number>;
    /**
     * How long the command waits for the workers of the old config to finish their requests after
     * the reload (then it goes on, with a warning). @default {@link HOST_UPSTREAM_DEFAULTS}.drainTimeoutSeconds
     */
    readonly drainTimeoutSeconds?: number;
    /** Run the script with `sudo -n` (a remote user that is not root). @default false */
    readonly sudo?: boolean;
    /** SSH connection; without it the command runs on the machine that runs `pulumi up`. @default local */
    readonly connection?: HostConnection;
}

/**
 * Where the script finds nginx; part of the command text, so validated and shell-quoted.
 * @internal
 */
export interface HostUpstreamPaths {
    readonly configPath: string;
    readonly prefix?: string;
    readonly nginxBinary?: string;
    readonly startupErrorLog?: string;
    readonly sudo?: boolean;
    readonly drainTimeoutSeconds?: number;
}

const ABSOLUTE_PATH = /^\/[^\0\n]*$/;

/**
 * Every problem of the plain (non-Output) arguments, thrown together, before anything is registered.
 * @internal
 */
export function validateHostUpstreamArgs(name: string, args: HostUpstreamArgs): void {
    const checks = new ArgChecks("HostUpstream", name);
    for (const [field, value] of [
        ["configPath", args.configPath],
        ["prefix", args.prefix],
        ["startupErrorLog", args.startupErrorLog],
    ] as const) {
        if (value !== undefined && !ABSOLUTE_PATH.test(value)) {
            checks.add(field, `"${value}" must be an absolute path without newlines`);
        }
    }
    if (args.configPath.endsWith("/")) {
        checks.add("configPath", `"${args.configPath}" must name a file, not a directory`);
    }
    const drain = args.drainTimeoutSeconds ?? HOST_UPSTREAM_DEFAULTS.drainTimeoutSeconds;
    if (!Number.isInteger(drain) || drain < 0 || drain > 3600) {
        checks.add("drainTimeoutSeconds", `${String(drain)} must be an integer 0-3600`);
    }
    const binary = args.nginxBinary ?? HOST_UPSTREAM_DEFAULTS.nginxBinary;
    if (!/^[A-Za-z0-9_./-]+$/.test(binary)) {
        checks.add("nginxBinary", `"${binary}" must be a command name or a path`);
    }
    const percent = args.canaryPercent;
    const percentError = typeof percent === "number" ? percentProblem(percent) : undefined;
    if (percentError !== undefined) {
        checks.add("canaryPercent", percentError);
    }
    const upstreamName = hostUpstreamName(name, args);
    if (!/^[A-Za-z0-9_.-]+$/.test(upstreamName)) {
        checks.add("upstreamName", `"${upstreamName}" is not a valid nginx upstream name`);
    }
    checks.throwIfAny();
}

function hostUpstreamName(name: string, args: HostUpstreamArgs): string {
    return args.upstreamName ?? name.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * The script that puts a new nginx.conf live. The config itself arrives on stdin and is never part
 * of the command text. It is written to `<config>.next`, checked with `nginx -t` (same prefix), and
 * only then renamed over the live file (rename(2) in one directory: readers see the old or the new
 * file, never half of one) and nginx reloaded with the same `-p`/`-c`; the script returns once the
 * old workers have finished their requests (Linux `/proc`; elsewhere it returns after the signal). A config nginx rejects makes
 * the script fail with nginx's message; the live file and the running nginx stay as they were.
 * @internal
 */
export function hostUpstreamScript(paths: HostUpstreamPaths): string {
    const drainSeconds = paths.drainTimeoutSeconds ?? HOST_UPSTREAM_DEFAULTS.drainTimeoutSeconds;
    const drainTenths = drainSeconds * 10;
    const nginx = [
        shellQuote(paths.nginxBinary ?? HOST_UPSTREAM_DEFAULTS.nginxBinary),
        ...(paths.prefix === undefined ? [] : ["-p", shellQuote(paths.prefix)]),
        ...(paths.startupErrorLog === undefined ? [] : ["-e", shellQuote(paths.startupErrorLog)]),
    ].join(" ");
    const script = [
        "set -eu",
        `live=${shellQuote(paths.configPath)}`,
        'next="$live.next"',
        "umask 022",
        'cat > "$next"',
        `if ! out=$(${nginx} -t -q -c "$next" 2>&1); then`,
        '    rm -f "$next"',
        '    printf "nginx -t rejected the new config; the live config is unchanged:\\n%s\\n" "$out" >&2',
        "    exit 1",
        "fi",
        'mv -f "$next" "$live"',
        // The workers of the old config, so the command returns only once they are gone: from then on
        // only the new weights serve, and a backend taken away after this command gets no request.
        `pidfile=$(sed -n 's/^pid \\(.*\\);$/\\1/p' "$live" | head -n 1)`,
        'master=""',
        'if [ -n "$pidfile" ] && [ -r "$pidfile" ]; then master=$(cat "$pidfile"); fi',
        'old=""',
        'if [ -n "$master" ] && [ -d "/proc/$master" ]; then',
        `    old=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v m="$master" '{ p = $1; sub(/.*\\) /, ""); split($0, f, " "); if (f[2] == m) printf "%s ", p }' || true)`,
        "fi",
        `${nginx} -c "$live" -s reload`,
        "i=0",
        'while [ -n "$old" ]; do',
        '    alive=""',
        '    for p in $old; do if [ -d "/proc/$p" ]; then alive="$alive $p"; fi; done',
        '    if [ -z "$alive" ]; then break; fi',
        "    i=$((i + 1))",
        `    if [ "$i" -gt ${drainTenths} ]; then`,
        `        printf "old nginx workers%s still running after ${drainSeconds}s; continuing\\n" "$alive" >&2`,
        "        break",
        "    fi",
        "    sleep 0.1",
        "done",
        'printf "nginx reloaded with %s\\n" "$live"',
    ].join("\n");
    return `${paths.sudo === true ? "sudo -n " : ""}sh -c ${shellQuote(script)}`;
}

/**
 * Host nginx in front of a stable and a canary backend, for hosts without Kubernetes (the seed's
 * blue-green and canary scripts switch a host nginx with `nginx -s reload`). The config comes from
 * the same pure renderer as the Kubernetes router's ConfigMap; a command (local, or remote over SSH)
 * writes it, checks it with `nginx -t` before it replaces the live file, and reloads nginx. It runs
 * again whenever the rendered content changes. nginx must already run on the host; deleting the
 * component leaves the last config live (taking the router's config away would cut traffic).
 */
export class HostUpstream extends pulumi.ComponentResource {
    /** The full `nginx.conf` written to the host. */
    public readonly nginxConfig: pulumi.Output<string>;
    /** sha256 of `nginxConfig`: the trigger of the command. */
    public readonly configHash: pulumi.Output<string>;
    /** The weights written into the upstream block. */
    public readonly weights: pulumi.Output<TrackWeights>;
    /** Live config path on the host. */
    public readonly configPath: string;
    /** The command resource that writes, checks and reloads. */
    public readonly command: command.local.Command | command.remote.Command;

    constructor(name: string, args: HostUpstreamArgs, opts?: pulumi.ComponentResourceOptions) {
        validateHostUpstreamArgs(name, args);
        super("cicd:traffic:HostUpstream", name, {}, opts);

        const children = createHostUpstream(name, this, args);
        this.configPath = args.configPath;
        this.weights = children.weights;
        this.nginxConfig = children.nginxConfig;
        this.configHash = children.configHash;
        this.command = children.command;
        this.registerOutputs({
            nginxConfig: this.nginxConfig,
            configHash: this.configHash,
            weights: this.weights,
            configPath: this.configPath,
        });
    }
}

/** The command a HostUpstream registers, and the config it writes. */
export interface HostUpstreamChildren {
    readonly nginxConfig: pulumi.Output<string>;
    readonly configHash: pulumi.Output<string>;
    readonly weights: pulumi.Output<TrackWeights>;
    readonly command: command.local.Command | command.remote.Command;
}

/**
 * The upstream's one child, parented to `parent`: the command (local, or remote over SSH) that
 * writes, checks and reloads the rendered config.
 * @internal
 */
export function createHostUpstream(
    name: string,
    parent: pulumi.Resource,
    args: HostUpstreamArgs,
    opts?: ChildOptions,
): HostUpstreamChildren {
    const child = childOf(parent, opts);
    const script = hostUpstreamScript(args);
    const upstreamName = hostUpstreamName(name, args);
    const weights = pulumi.output(args.canaryPercent).apply(trackWeights);
    // pulumi.output of an object keeps each field's type (pulumi.all loses them past 8 inputs).
    const nginxConfig = pulumi
        .output({
            stable: args.stableBackend,
            canary: args.canaryBackend,
            canaryPercent: args.canaryPercent,
            listen: args.listen,
            pidFile: args.pidFile,
            tempDir: args.tempDir,
            accessLog: args.accessLog,
            errorLog: args.errorLog,
            workerProcesses: args.workerProcesses,
            maxFails: args.maxFails,
            failTimeoutSeconds: args.failTimeoutSeconds,
            keepalive: args.keepalive,
            stickyCookie: args.stickyCookie,
        })
        .apply((inputs) => renderNginxConfig({ name: upstreamName, ...inputs }));
    const configHash = nginxConfig.apply((text) => createHash("sha256").update(text).digest("hex"));
    const commandArgs = {
        create: script,
        update: script,
        stdin: nginxConfig,
        triggers: [configHash],
        // The script prints nginx's own words on failure; nothing secret passes through it.
        addPreviousOutputInEnv: false,
    };
    const connection = args.connection;
    const applyCommand =
        connection === undefined
            ? new command.local.Command(`${name}-apply`, commandArgs, child)
            : new command.remote.Command(
                  `${name}-apply`,
                  { ...commandArgs, connection: hostConnectionArgs(connection) },
                  { ...child, additionalSecretOutputs: ["connection"] },
              );
    return { nginxConfig, configHash, weights, command: applyCommand };
}

/**
 * The SSH connection of the remote command, the private key kept secret.
 * @internal
 */
export function hostConnectionArgs(connection: HostConnection): command.types.input.remote.ConnectionArgs {
    return {
        host: connection.host,
        port: connection.port ?? HOST_UPSTREAM_DEFAULTS.sshPort,
        user: connection.user ?? HOST_UPSTREAM_DEFAULTS.sshUser,
        privateKey: connection.privateKey === undefined ? undefined : pulumi.secret(connection.privateKey),
    };
}
