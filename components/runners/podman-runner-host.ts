import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

import { RUNNER_DEFAULTS } from "../shared/defaults";

import { shellQuote } from "../shared/shell";
import { renderPodmanRunnerConfig } from "./runner-config";

export interface PodmanRunnerHostArgs {
    /** SSH host of the VM that runs gitlab-runner next to rootless Podman. */
    readonly host: pulumi.Input<string>;
    /** @default 22 */
    readonly port?: pulumi.Input<number>;
    /** The rootless user owning the runner and the Podman socket. */
    readonly user: pulumi.Input<string>;
    /** Private key for `user` (secret). */
    readonly privateKey: pulumi.Input<string>;
    /** The host's SSH public key line, checked instead of trusting on first use. */
    readonly hostKey?: pulumi.Input<string>;
    /** Uid of `user`, for the Podman socket path. @default 1000 */
    readonly podmanUid?: pulumi.Input<number>;
    /** GitLab base URL. */
    readonly gitlabUrl: pulumi.Input<string>;
    /** Runner authentication token (`glrt-…`) from `gitlab.UserRunner`. */
    readonly runnerToken: pulumi.Input<string>;
    /** Jobs run at once. @default 4 */
    readonly concurrent?: pulumi.Input<number>;
    /** Default job image. @default "quay.io/buildah/stable:v1.38.1" */
    readonly jobImage?: pulumi.Input<string>;
    /** Where gitlab-runner reads its config (a rootless runner's own). @default "~/.gitlab-runner/config.toml" */
    readonly configPath?: string;
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
    public readonly install: command.remote.Command;
    /** Secret output: the rendered config.toml. */
    public readonly configToml: pulumi.Output<string>;

    constructor(name: string, args: PodmanRunnerHostArgs, opts?: pulumi.ComponentResourceOptions) {
        const path = args.configPath ?? RUNNER_DEFAULTS.podmanConfigPath;
        if (!/^(~\/|\/)[^\0\n]+$/.test(path)) {
            throw new Error(`${name}: configPath "${path}" must be absolute or start with ~/`);
        }
        super("cicd:runners:PodmanRunnerHost", name, {}, opts);

        this.configToml = pulumi.secret(
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

        this.install = new command.remote.Command(
            `${name}-config`,
            {
                connection: {
                    host: args.host,
                    port: args.port ?? RUNNER_DEFAULTS.sshPort,
                    user: args.user,
                    privateKey: pulumi.secret(args.privateKey),
                    hostKey: args.hostKey,
                },
                create: installFileScript(path),
                update: installFileScript(path),
                delete: removeFileScript(path),
                stdin: this.configToml,
                logging: "stdoutAndStderr",
            },
            { parent: this },
        );

        this.registerOutputs({ installed: this.install.stdout });
    }
}
