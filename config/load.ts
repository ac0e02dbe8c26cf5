import * as pulumi from "@pulumi/pulumi";

import {
    type ConfigProblem,
    parsePlainConfig,
    type PlainStackConfig,
    requiredSecrets,
    SECRET_KEYS,
    type SecretKey,
    StackConfigError,
} from "./schema";
import { PROJECT, stackValues } from "./stack-values";

export { PROJECT } from "./stack-values";

/** The validated stack config: plain values as they are, secrets only as secret Outputs. */
export interface StackConfig extends PlainStackConfig {
    readonly secrets: {
        readonly registryPassword: pulumi.Output<string>;
        readonly githubToken?: pulumi.Output<string>;
        /** Present when privateRegistry.enabled. */
        readonly privateRegistry?: {
            readonly pushPassword: pulumi.Output<string>;
            readonly pullPassword: pulumi.Output<string>;
            readonly httpSecret: pulumi.Output<string>;
        };
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
 * Reads and validates the whole `cicd-platform:*` config in one pass. Throws a StackConfigError
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

    if (!parsed.ok || problems.length > 0) {
        throw new StackConfigError(problems, PROJECT);
    }
    const config = new pulumi.Config(PROJECT);
    return {
        ...parsed.config,
        secrets: {
            registryPassword: config.requireSecret("registryPassword"),
            githubToken:
                values.githubToken === undefined || values.githubToken === ""
                    ? undefined
                    : config.requireSecret("githubToken"),
            privateRegistry: parsed.config.privateRegistry.enabled
                ? {
                      pushPassword: config.requireSecret("registryPushPassword"),
                      pullPassword: config.requireSecret("registryPullPassword"),
                      httpSecret: config.requireSecret("registryHttpSecret"),
                  }
                : undefined,
        },
    };
}
