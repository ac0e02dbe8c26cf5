import * as pulumi from "@pulumi/pulumi";

import { formatConfigProblems, uniqueProblems } from "./config-problems";
import { runnerSecretProblems } from "./runner-secrets";
import {
    type ConfigProblem,
    parsePlainConfig,
    type PlainStackConfig,
    requiredSecrets,
    SECRET_KEYS,
    type SecretKey,
} from "./schema";
import { PROJECT, stackValues } from "./stack-values";
import { ambientApiServer, siblingTenantsRoot } from "./tenancy-environment";

/**
 * A stack config the schema refused, reported the way Pulumi reports its own errors: the SDK prints a
 * RunError's message alone, without a stack trace or an object dump, so each problem appears once.
 */
export class StackConfigRunError extends pulumi.RunError {
    public readonly problems: readonly ConfigProblem[];

    constructor(problems: readonly ConfigProblem[], project: string) {
        super(formatConfigProblems(problems, project));
        this.problems = uniqueProblems(problems);
        this.name = "StackConfigError";
    }
}

/** Stops the program before any resource exists when there are problems; each one is reported once. */
export function failOnConfigProblems(problems: readonly ConfigProblem[], project: string): void {
    if (problems.length > 0) {
        throw new StackConfigRunError(problems, project);
    }
}

/** The validated stack config: plain values as they are, secrets only as secret Outputs. */
export interface StackConfig extends PlainStackConfig {
    readonly secrets: {
        readonly registryPassword: pulumi.Output<string>;
        readonly githubToken?: pulumi.Output<string>;
        /** The gitlab provider's token when set in the stack; GITLAB_TOKEN from the environment otherwise. */
        readonly gitlabToken?: pulumi.Output<string>;
        /** Present when privateRegistry.enabled. */
        readonly privateRegistry?: {
            readonly pushPassword: pulumi.Output<string>;
            readonly pullPassword: pulumi.Output<string>;
            readonly httpSecret: pulumi.Output<string>;
        };
        readonly runners: RunnerSecrets;
    };
}

/** The runners' credentials, each present when the runner that needs it is configured. */
export interface RunnerSecrets {
    /** runners.kubernetes' token, when it is enabled. */
    readonly kubernetesToken?: pulumi.Output<string>;
    /** runners.build's token, when it is enabled. */
    readonly buildToken?: pulumi.Output<string>;
    /** runners.kubernetes.cache's S3 keys, when it has a cache. */
    readonly cache?: { readonly accessKey: pulumi.Output<string>; readonly secretKey: pulumi.Output<string> };
    /** The SSH key of runners.podmanHosts, when there are any. */
    readonly podmanSshPrivateKey?: pulumi.Output<string>;
    /** Each Podman host's token, by its name. */
    readonly podmanTokens: Readonly<Record<string, pulumi.Output<string>>>;
}

function runnerSecrets(config: pulumi.Config, plain: PlainStackConfig): RunnerSecrets {
    const { kubernetes, build, podmanHosts } = plain.runners;
    // With the GitLab integration the tokens are the UserRunners' (platform/gitlab-runners.ts).
    const byHand = !plain.gitlab.enabled;
    const tokens = byHand && podmanHosts.length > 0 ? config.requireSecret("podmanRunnerTokens") : undefined;
    return {
        kubernetesToken: byHand && kubernetes.enabled ? config.requireSecret("runnerToken") : undefined,
        buildToken: byHand && build.enabled ? config.requireSecret("buildRunnerToken") : undefined,
        cache:
            kubernetes.enabled && kubernetes.cache !== undefined
                ? {
                      accessKey: config.requireSecret("runnerCacheAccessKey"),
                      secretKey: config.requireSecret("runnerCacheSecretKey"),
                  }
                : undefined,
        podmanSshPrivateKey: podmanHosts.length > 0 ? config.requireSecret("podmanSshPrivateKey") : undefined,
        podmanTokens: Object.fromEntries(
            (tokens === undefined ? [] : podmanHosts).map((host) => [
                host.name,
                // Validated above: the JSON parses and names every host.
                pulumi.secret(
                    (tokens as pulumi.Output<string>).apply(
                        (json) => (JSON.parse(json) as Record<string, string>)[host.name] ?? "",
                    ),
                ),
            ]),
        ),
    };
}

/** The config key is declared secret by the engine (it was stored with `--secret`). */
type SecretCheck = (fullKey: string) => boolean;

function engineSecretCheck(): SecretCheck | undefined {
    // Internal to the SDK but stable since 3.x; without it the "stored encrypted" check is skipped.
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: SecretCheck };
    return typeof runtime.isConfigSecret === "function" ? runtime.isConfigSecret : undefined;
}

/**
 * Reads and validates the whole `cicd-platform:*` config in one pass. Throws a StackConfigRunError
 * listing every problem before any resource exists. Secret values are only checked for presence and
 * encryption here, never echoed, and handed on wrapped in `pulumi.secret`.
 */
export function loadStackConfig(): StackConfig {
    const values = stackValues(pulumi.runtime.allConfig());
    const isSecret = engineSecretCheck();
    const prefix = `${PROJECT}:`;

    const parsed = parsePlainConfig(values);
    const problems: ConfigProblem[] = parsed.ok ? [] : [...parsed.problems];
    const needed = new Set<SecretKey>(requiredSecrets(parsed.ok ? parsed.config : undefined));

    for (const key of Object.keys(SECRET_KEYS) as SecretKey[]) {
        const value = values[key];
        if (value === undefined || value === "") {
            if (needed.has(key)) {
                problems.push({
                    path: key,
                    message: `required secret is missing (${SECRET_KEYS[key]}): pulumi config set --secret ${key}`,
                });
            }
            continue;
        }
        if (isSecret !== undefined && !isSecret(prefix + key)) {
            problems.push({
                path: key,
                message: `is stored in plaintext; store it encrypted: pulumi config set --secret ${key}`,
            });
        }
    }

    if (parsed.ok) {
        problems.push(...runnerSecretProblems(parsed.config, values));
        problems.push(...gitlabTokenProblems(parsed.config, values, process.env));
        problems.push(...gitlabMaskProblems(parsed.config, values));
    }
    const tenancy = parsed.ok ? resolveTenancy(parsed.config, process.env) : undefined;
    problems.push(...(tenancy?.problems ?? []));
    if (!parsed.ok || tenancy === undefined) {
        throw new StackConfigRunError(problems, PROJECT);
    }
    failOnConfigProblems(problems, PROJECT);
    const config = new pulumi.Config(PROJECT);
    return {
        ...parsed.config,
        tenancy: tenancy.tenancy,
        secrets: {
            registryPassword: config.requireSecret("registryPassword"),
            githubToken:
                values.githubToken === undefined || values.githubToken === ""
                    ? undefined
                    : config.requireSecret("githubToken"),
            gitlabToken:
                values.gitlabToken === undefined || values.gitlabToken === ""
                    ? undefined
                    : config.requireSecret("gitlabToken"),
            privateRegistry: parsed.config.privateRegistry.enabled
                ? {
                      pushPassword: config.requireSecret("registryPushPassword"),
                      pullPassword: config.requireSecret("registryPullPassword"),
                      httpSecret: config.requireSecret("registryHttpSecret"),
                  }
                : undefined,
            runners: runnerSecrets(config, parsed.config),
        },
    };
}

/**
 * The gitlab provider needs a token: the stack's secret `gitlabToken` or GITLAB_TOKEN where the
 * program runs. Without either, the preview would fail later at the provider with a vaguer message.
 */
export function gitlabTokenProblems(
    config: PlainStackConfig,
    values: Record<string, unknown>,
    env: NodeJS.ProcessEnv,
): ConfigProblem[] {
    const inStack = typeof values.gitlabToken === "string" && values.gitlabToken !== "";
    if (!config.gitlab.enabled || inStack || (env.GITLAB_TOKEN ?? "") !== "") {
        return [];
    }
    return [
        {
            path: "gitlabToken",
            message:
                "is required with gitlab.enabled (scopes: see docs/gitlab.md): pulumi config set --secret gitlabToken, or GITLAB_TOKEN in the environment",
        },
    ];
}

/** What GitLab can mask: one line of at least 8 characters of the Base64 alphabet and `@:.~-_`. */
export const GITLAB_MASKABLE = /^[A-Za-z0-9+/=@:.~_-]{8,}$/;

/**
 * The registry push password becomes the masked REGISTRY_PASSWORD of the tenants' projects; GitLab
 * refuses to mask anything else, which would fail the `up` halfway. The value is never quoted.
 */
export function gitlabMaskProblems(config: PlainStackConfig, values: Record<string, unknown>): ConfigProblem[] {
    const fansOut = config.gitlab.enabled && config.gitlab.buildVariables && config.tenants.some((t) => t.gitlab);
    const key = config.privateRegistry.enabled ? "registryPushPassword" : "registryPassword";
    const value = values[key];
    if (!fansOut || typeof value !== "string" || value === "" || GITLAB_MASKABLE.test(value)) {
        return [];
    }
    return [
        {
            path: key,
            message:
                "cannot be masked by GitLab, and it becomes the masked REGISTRY_PASSWORD of the tenants' projects (gitlab.buildVariables): use at least 8 characters of A-Z a-z 0-9 + / = @ : . ~ - _ and no whitespace",
        },
    ];
}

/**
 * Fills what `tenancy` leaves to the environment, when there are tenants: the API server from the
 * kubeconfig the platform deploys with, and on the local stack the state root beside its own file
 * backend. Says which key to set when neither is there.
 */
export function resolveTenancy(
    config: PlainStackConfig,
    env: NodeJS.ProcessEnv,
): { tenancy: PlainStackConfig["tenancy"]; problems: ConfigProblem[] } {
    if (config.tenants.length === 0) {
        return { tenancy: config.tenancy, problems: [] };
    }
    const problems: ConfigProblem[] = [];
    const apiServer = config.tenancy.apiServer ?? ambientApiServer(env, config.kubernetes.context);
    if (apiServer === undefined) {
        problems.push({
            path: "tenancy.apiServer",
            message:
                "is required with tenants: no kubeconfig ($KUBECONFIG or ~/.kube/config) names a server for the deploy context",
        });
    }
    const stateBackendRoot =
        config.tenancy.stateBackendRoot ??
        (config.environment === "local" ? siblingTenantsRoot(env.PULUMI_BACKEND_URL) : undefined);
    if (stateBackendRoot === undefined && config.tenants.some((t) => t.stateBackend === undefined)) {
        problems.push({
            path: "tenancy.stateBackendRoot",
            message:
                "is required with tenants: the platform's backend ($PULUMI_BACKEND_URL) is not a file:// directory to put theirs beside",
        });
    }
    return { tenancy: { ...config.tenancy, apiServer, stateBackendRoot }, problems };
}
