import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { RUNNER_DEFAULTS } from "../shared/defaults";
import { ArgChecks } from "../shared/validators";

import { shellQuote } from "../shared/shell";
import { podmanSocketPath, renderPodmanRunnerConfig } from "./runner-config";

export interface PodmanRunnerHostArgs {
    /** SSH host of the VM that runs gitlab-runner next to rootless Podman. */
    readonly host: pulumi.Input<string>;
    /** @default {@link RUNNER_DEFAULTS}.sshPort */
    readonly port?: pulumi.Input<number>;
    /** The rootless user owning the runner and the Podman socket. */
    readonly user: pulumi.Input<string>;
    /** Private key for `user` (secret). */
    readonly privateKey: pulumi.Input<string>;
    /** The host's SSH public key line, checked instead of trusting on first use. */
    readonly hostKey?: pulumi.Input<string>;
    /** Uid of `user`, for the Podman socket path. @default {@link RUNNER_DEFAULTS}.podmanUid */
    readonly podmanUid?: pulumi.Input<number>;
    /** GitLab base URL. */
    readonly gitlabUrl: pulumi.Input<string>;
    /** Runner authentication token (`glrt-…`) from `gitlab.UserRunner`. */
    readonly runnerToken: pulumi.Input<string>;
    /** Jobs run at once. @default {@link RUNNER_DEFAULTS}.concurrent */
    readonly concurrent?: pulumi.Input<number>;
    /** Default job image. @default {@link RUNNER_DEFAULTS}.jobImage */
    readonly jobImage?: pulumi.Input<string>;
    /** Where gitlab-runner reads its config (a rootless runner's own). @default {@link RUNNER_DEFAULTS}.podmanConfigPath */
    readonly configPath?: string;
    /**
     * Tags the runner was created with in GitLab (a runner authentication token carries them;
     * config.toml has no field for them). Recorded in the outputs. @default {@link RUNNER_DEFAULTS}.tags
     */
    readonly tags?: pulumi.Input<string[]>;
}

/**
 * Succeeds when the rootless Podman socket of the SSH user exists, and otherwise fails naming the
 * host and how to enable the socket: gitlab-runner would start, but every job would fail on it.
 * @internal
 */
export function podmanSocketCheckScript(hostLabel: string, uid: number): string {
    const socket = podmanSocketPath(uid);
    return [
        "set -eu",
        `host=${shellQuote(hostLabel)}`,
        `socket=${shellQuote(socket)}`,
        'if [ -S "$socket" ]; then echo "rootless Podman socket: $socket"; exit 0; fi',
        "user=$(id -un)",
        'echo "Podman runner host $host: no rootless Podman socket at $socket for user $user; enable it as that user' +
            ' (systemctl --user enable --now podman.socket) and keep it up without a login (loginctl enable-linger $user)" >&2',
        "exit 1",
    ].join("\n");
}

/**
 * Installs the file on stdin at `path` with mode 0600, atomically and only when it changed.
 * gitlab-runner notices a changed config.toml by itself, so nothing is restarted.
 * @internal
 */
export function installFileScript(path: string): string {
    const target = path.startsWith("~/") ? `"$HOME"/${shellQuote(path.slice(2))}` : shellQuote(path);
    return [
        "set -eu",
        "umask 077",
        `target=${target}`,
        'mkdir -p "$(dirname "$target")"',
        'tmp=$(mktemp "$(dirname "$target")/.config.XXXXXX")',
        'cat >"$tmp"',
        'chmod 0600 "$tmp"',
        'if [ -f "$target" ] && cmp -s "$tmp" "$target"; then rm -f "$tmp"; echo "unchanged: $target"; exit 0; fi',
        'mv -f "$tmp" "$target"',
        'echo "installed: $target"',
    ].join("\n");
}

/** @internal */
export function removeFileScript(path: string): string {
    const target = path.startsWith("~/") ? `"$HOME"/${shellQuote(path.slice(2))}` : shellQuote(path);
    return `rm -f ${target}`;
}

/**
 * The seed's host runner: gitlab-runner with the docker executor on rootless Podman's socket,
 * `privileged = false`, provisioned over SSH. The config travels on stdin, never on a command line.
 */
export class PodmanRunnerHost extends pulumi.ComponentResource {
    /** Fails the `up` when the runner user has no rootless Podman socket. */
    public readonly socketCheck: command.remote.Command;
    public readonly install: command.remote.Command;
    /** Secret output: the rendered config.toml. */
    public readonly configToml: pulumi.Output<string>;

    constructor(name: string, args: PodmanRunnerHostArgs, opts?: pulumi.ComponentResourceOptions) {
        validatePodmanRunnerHostArgs(name, args);
        super("cicd:runners:PodmanRunnerHost", name, {}, opts);

        const children = createPodmanRunnerHost(name, this, args);
        this.configToml = children.configToml;
        this.socketCheck = children.socketCheck;
        this.install = children.install;
        this.registerOutputs({ installed: this.install.stdout, tags: args.tags ?? [...RUNNER_DEFAULTS.tags] });
    }
}

/** The commands a PodmanRunnerHost registers, and the config they install. */
export interface PodmanRunnerHostChildren {
    readonly configToml: pulumi.Output<string>;
    readonly socketCheck: command.remote.Command;
    readonly install: command.remote.Command;
}

/**
 * Every problem of the plain (non-Output) arguments, thrown together.
 * @internal
 */
export function validatePodmanRunnerHostArgs(name: string, args: PodmanRunnerHostArgs): void {
    const checks = new ArgChecks("PodmanRunnerHost", name);
    const path = args.configPath ?? RUNNER_DEFAULTS.podmanConfigPath;
    if (!/^(~\/|\/)[^\0\n]+$/.test(path)) {
        checks.add("configPath", `"${path}" must be absolute or start with ~/`);
    }
    checks.throwIfAny();
}

/**
 * The host's children, parented to `parent`: the rootless Podman socket check, then the install of
 * config.toml (after the check).
 * @internal
 */
export function createPodmanRunnerHost(
    name: string,
    parent: pulumi.Resource,
    args: PodmanRunnerHostArgs,
    opts?: ChildOptions,
): PodmanRunnerHostChildren {
    const child = childOf(parent, opts);
    const path = args.configPath ?? RUNNER_DEFAULTS.podmanConfigPath;
    const configToml = pulumi.secret(
        pulumi
            .all([args.gitlabUrl, args.runnerToken, args.concurrent, args.jobImage, args.podmanUid])
            .apply(([url, token, concurrent, jobImage, podmanUid]) =>
                renderPodmanRunnerConfig({
                    name,
                    url,
                    token,
                    concurrent,
                    podmanUid,
                    image: jobImage ?? RUNNER_DEFAULTS.jobImage,
                }),
            ),
    );
    const connection = podmanHostConnection(args);
    const podmanUid = pulumi.output(args.podmanUid ?? RUNNER_DEFAULTS.podmanUid);
    const check = podmanUid.apply((uid) => podmanSocketCheckScript(name, uid));
    // Checked again whenever the config changes, before it is installed.
    const socketCheck = new command.remote.Command(
        `${name}-podman-socket`,
        { connection, create: check, triggers: [args.host, podmanUid, configToml] },
        child,
    );
    const install = new command.remote.Command(
        `${name}-config`,
        {
            connection,
            create: installFileScript(path),
            update: installFileScript(path),
            delete: removeFileScript(path),
            stdin: configToml,
            logging: "stdoutAndStderr",
        },
        { ...child, dependsOn: [socketCheck] },
    );
    return { configToml, socketCheck, install };
}

/**
 * The SSH connection of both commands, the private key kept secret.
 * @internal
 */
export function podmanHostConnection(args: PodmanRunnerHostArgs): command.types.input.remote.ConnectionArgs {
    return {
        host: args.host,
        port: args.port ?? RUNNER_DEFAULTS.sshPort,
        user: args.user,
        privateKey: pulumi.secret(args.privateKey),
        hostKey: args.hostKey,
    };
}
