import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { REGISTRY_CREDENTIAL_DEFAULTS as DEFAULTS } from "../shared/defaults";

export interface RegistryCredentialsArgs {
    /** Registry host, optionally with a port, e.g. `registry.example.com`. */
    readonly server: pulumi.Input<string>;
    readonly username: pulumi.Input<string>;
    /** The registry password or token; stored only as a secret. */
    readonly password: pulumi.Input<string>;
    /** Namespaces that get a `kubernetes.io/dockerconfigjson` Secret. */
    readonly namespaces: readonly pulumi.Input<string>[];
    /** Name of the Secret in each namespace, referenced from `imagePullSecrets`. @default "registry-credentials" */
    readonly secretName?: string;
    /** `owner/name` or name of the GitHub repository whose environments get the credential. */
    readonly githubRepository?: pulumi.Input<string>;
    /** GitHub Actions environments that get <prefix>_SERVER, <prefix>_USERNAME and <prefix>_PASSWORD. @default [] */
    readonly githubEnvironments?: readonly string[];
    /** Prefix of the GitHub variable and secret names. @default "REGISTRY" */
    readonly githubSecretPrefix?: string;
}

/**
 * The `.dockerconfigjson` document, as container runtimes, skopeo and podman read it.
 * @internal
 */
export function dockerConfigJson(server: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}

/**
 * One registry credential fanned out to every place that pulls or pushes: an image pull Secret in
 * each namespace and GitHub Actions environment secrets. Further sinks (GitLab CI variables) take
 * `server`, `username`, `password` and `dockerConfigJson` from this component's outputs.
 */
export class RegistryCredentials extends pulumi.ComponentResource {
    /** Name of the pull Secret, the same in every namespace. */
    public readonly secretName: string;
    public readonly secrets: readonly k8s.core.v1.Secret[];
    public readonly server: pulumi.Output<string>;
    public readonly username: pulumi.Output<string>;
    /** Secret output. */
    public readonly password: pulumi.Output<string>;
    /** Secret output: the dockerconfigjson document. */
    public readonly dockerConfigJson: pulumi.Output<string>;

    constructor(name: string, args: RegistryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        const environments = args.githubEnvironments ?? [];
        if (environments.length > 0 && args.githubRepository === undefined) {
            throw new Error(`${name}: githubEnvironments needs githubRepository`);
        }
        const prefix = args.githubSecretPrefix ?? DEFAULTS.githubSecretPrefix;
        if (!/^[A-Z][A-Z0-9_]*$/.test(prefix) || prefix.startsWith("GITHUB_")) {
            throw new Error(`${name}: githubSecretPrefix "${prefix}" must be A-Z, 0-9, _ and not start with GITHUB_`);
        }
        super("cicd:registry:RegistryCredentials", name, {}, opts);

        this.secretName = args.secretName ?? DEFAULTS.secretName;
        this.server = pulumi.output(args.server);
        this.username = pulumi.output(args.username);
        this.password = pulumi.secret(args.password);
        this.dockerConfigJson = pulumi.secret(
            pulumi.all([args.server, args.username, args.password]).apply(([s, u, p]) => dockerConfigJson(s, u, p)),
        );

        this.secrets = args.namespaces.map(
            (namespace, index) =>
                new k8s.core.v1.Secret(
                    `${name}-${index}`,
                    {
                        metadata: {
                            name: this.secretName,
                            namespace,
                            labels: { "app.kubernetes.io/managed-by": "pulumi", "cicd.platform/registry": "pull" },
                        },
                        type: "kubernetes.io/dockerconfigjson",
                        stringData: { ".dockerconfigjson": this.dockerConfigJson },
                    },
                    { parent: this },
                ),
        );

        for (const environment of environments) {
            const common = { repository: args.githubRepository as pulumi.Input<string>, environment };
            new github.ActionsEnvironmentVariable(
                `${name}-${environment}-server`,
                { ...common, variableName: `${prefix}_SERVER`, value: this.server },
                { parent: this },
            );
            new github.ActionsEnvironmentVariable(
                `${name}-${environment}-username`,
                { ...common, variableName: `${prefix}_USERNAME`, value: this.username },
                { parent: this },
            );
            new github.ActionsEnvironmentSecret(
                `${name}-${environment}-password`,
                { ...common, secretName: `${prefix}_PASSWORD`, plaintextValue: this.password },
                { parent: this },
            );
        }

        this.registerOutputs({
            secretName: this.secretName,
            server: this.server,
            username: this.username,
            dockerConfigJson: this.dockerConfigJson,
        });
    }
}
