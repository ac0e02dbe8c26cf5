import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { REGISTRY_CREDENTIAL_DEFAULTS } from "../shared/defaults";
import { ArgChecks } from "../shared/validators";

export interface RegistryCredentialsArgs {
    /** Registry host, optionally with a port, e.g. `registry.example.com`. */
    readonly server: pulumi.Input<string>;
    readonly username: pulumi.Input<string>;
    /** The registry password or token; stored only as a secret. */
    readonly password: pulumi.Input<string>;
    /** Namespaces that get a `kubernetes.io/dockerconfigjson` Secret. */
    readonly namespaces: readonly pulumi.Input<string>[];
    /** Name of the Secret in each namespace, referenced from `imagePullSecrets`. @default {@link REGISTRY_CREDENTIAL_DEFAULTS}.secretName */
    readonly secretName?: string;
    /** `owner/name` or name of the GitHub repository whose environments get the credential. */
    readonly githubRepository?: pulumi.Input<string>;
    /** GitHub Actions environments that get <prefix>_SERVER, <prefix>_USERNAME and <prefix>_PASSWORD. @default [] */
    readonly githubEnvironments?: readonly string[];
    /** Prefix of the GitHub variable and secret names. @default {@link REGISTRY_CREDENTIAL_DEFAULTS}.githubSecretPrefix */
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
    /** Per GitHub environment, its `<prefix>_SERVER` and `<prefix>_USERNAME` variables. */
    public readonly githubVariables: readonly github.ActionsEnvironmentVariable[];
    /** Per GitHub environment, its `<prefix>_PASSWORD` secret: a workflow that pushes depends on these. */
    public readonly githubSecrets: readonly github.ActionsEnvironmentSecret[];

    constructor(name: string, args: RegistryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        validateRegistryCredentialsArgs(name, args);
        super("cicd:registry:RegistryCredentials", name, {}, opts);

        const children = createRegistryCredentials(name, this, args);
        this.secretName = children.secretName;
        this.server = children.server;
        this.username = children.username;
        this.password = children.password;
        this.dockerConfigJson = children.dockerConfigJson;
        this.secrets = children.secrets;
        this.githubVariables = children.githubVariables;
        this.githubSecrets = children.githubSecrets;
        this.registerOutputs({
            secretName: this.secretName,
            server: this.server,
            username: this.username,
            dockerConfigJson: this.dockerConfigJson,
        });
    }
}

/** The objects a RegistryCredentials registers, and the values they share. */
export interface RegistryCredentialsChildren {
    readonly secretName: string;
    readonly server: pulumi.Output<string>;
    readonly username: pulumi.Output<string>;
    readonly password: pulumi.Output<string>;
    readonly dockerConfigJson: pulumi.Output<string>;
    readonly secrets: readonly k8s.core.v1.Secret[];
    readonly githubVariables: readonly github.ActionsEnvironmentVariable[];
    readonly githubSecrets: readonly github.ActionsEnvironmentSecret[];
}

/**
 * Every problem of the plain (non-Output) arguments, thrown together.
 * @internal
 */
export function validateRegistryCredentialsArgs(name: string, args: RegistryCredentialsArgs): void {
    const checks = new ArgChecks("RegistryCredentials", name);
    if ((args.githubEnvironments ?? []).length > 0 && args.githubRepository === undefined) {
        checks.add("githubEnvironments", "needs githubRepository");
    }
    const prefix = args.githubSecretPrefix ?? REGISTRY_CREDENTIAL_DEFAULTS.githubSecretPrefix;
    if (!/^[A-Z][A-Z0-9_]*$/.test(prefix) || prefix.startsWith("GITHUB_")) {
        checks.add("githubSecretPrefix", `"${prefix}" must be A-Z, 0-9, _ and not start with GITHUB_`);
    }
    checks.throwIfAny();
}

/**
 * The credential's children, parented to `parent`: one pull Secret per namespace, then per GitHub
 * environment the server and user variables and the password secret.
 * @internal
 */
export function createRegistryCredentials(
    name: string,
    parent: pulumi.Resource,
    args: RegistryCredentialsArgs,
    opts?: ChildOptions,
): RegistryCredentialsChildren {
    const child = childOf(parent, opts);
    const secretName = args.secretName ?? REGISTRY_CREDENTIAL_DEFAULTS.secretName;
    const prefix = args.githubSecretPrefix ?? REGISTRY_CREDENTIAL_DEFAULTS.githubSecretPrefix;
    const server = pulumi.output(args.server);
    const username = pulumi.output(args.username);
    const password = pulumi.secret(args.password);
    const document = pulumi.secret(
        pulumi.all([args.server, args.username, args.password]).apply(([s, u, p]) => dockerConfigJson(s, u, p)),
    );
    const secrets = args.namespaces.map(
        (namespace, index) =>
            new k8s.core.v1.Secret(`${name}-${index}`, pullSecretArgs(secretName, namespace, document), child),
    );
    const githubVariables: github.ActionsEnvironmentVariable[] = [];
    const githubSecrets: github.ActionsEnvironmentSecret[] = [];
    for (const environment of args.githubEnvironments ?? []) {
        const common = { repository: args.githubRepository as pulumi.Input<string>, environment };
        githubVariables.push(
            new github.ActionsEnvironmentVariable(
                `${name}-${environment}-server`,
                { ...common, variableName: `${prefix}_SERVER`, value: server },
                child,
            ),
            new github.ActionsEnvironmentVariable(
                `${name}-${environment}-username`,
                { ...common, variableName: `${prefix}_USERNAME`, value: username },
                child,
            ),
        );
        githubSecrets.push(
            new github.ActionsEnvironmentSecret(
                `${name}-${environment}-password`,
                { ...common, secretName: `${prefix}_PASSWORD`, plaintextValue: password },
                child,
            ),
        );
    }
    return {
        secretName,
        server,
        username,
        password,
        dockerConfigJson: document,
        secrets,
        githubVariables,
        githubSecrets,
    };
}

/**
 * One namespace's `kubernetes.io/dockerconfigjson` pull Secret, its document in `stringData`.
 * @internal
 */
export function pullSecretArgs(
    secretName: string,
    namespace: pulumi.Input<string>,
    document: pulumi.Input<string>,
): k8s.core.v1.SecretArgs {
    return {
        metadata: {
            name: secretName,
            namespace,
            labels: { "app.kubernetes.io/managed-by": "pulumi", "cicd.platform/registry": "pull" },
        },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": document },
    };
}
