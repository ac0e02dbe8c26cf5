import { readFileSync } from "node:fs";
import { delimiter } from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { StackConfigError } from "./config-problems";
import { type PlainReleaseConfig, parseReleaseConfig, RELEASE_PROJECT, RELEASE_SECRET_KEYS } from "./release-schema";
import { stackValues } from "./stack-values";

/** A release stack's validated config: plain values as they are, its one secret only as a secret Output. */
export interface ReleaseConfig extends PlainReleaseConfig {
    readonly secrets: {
        /** The tenant's kubeconfig: the stack's own, else the contents of the one file KUBECONFIG names. */
        readonly kubeconfig?: pulumi.Output<string>;
    };
}

const SECRET_FULL_KEYS = new Set(Object.keys(RELEASE_SECRET_KEYS).map((key) => `${RELEASE_PROJECT}:${key}`));

/**
 * Reads and validates the release stack's config in one pass, before any resource exists. Problems
 * end the program as a `pulumi.RunError`: the engine prints the message once, without a trace.
 */
export function loadReleaseConfig(): ReleaseConfig {
    const values = stackValues(pulumi.runtime.allConfig(), { project: RELEASE_PROJECT, secretKeys: SECRET_FULL_KEYS });
    const parsed = parseReleaseConfig(values, pulumi.getStack());
    const problems = parsed.ok ? [] : [...parsed.problems];
    const kubeconfig = values.kubeconfig;
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    if (typeof kubeconfig === "string" && kubeconfig !== "" && isSecret?.(`${RELEASE_PROJECT}:kubeconfig`) === false) {
        problems.push({
            path: "kubeconfig",
            message: "is stored in plaintext; store it encrypted: pulumi config set --secret kubeconfig < kubeconfig",
        });
    }
    if (!parsed.ok || problems.length > 0) {
        throw new pulumi.RunError(new StackConfigError(problems, RELEASE_PROJECT).message);
    }
    const config = new pulumi.Config(RELEASE_PROJECT);
    const fromStack = typeof kubeconfig === "string" && kubeconfig !== "";
    const fromFile = fromStack ? undefined : kubeconfigFileContents(process.env.KUBECONFIG);
    return {
        ...parsed.config,
        secrets: {
            ...(fromStack ? { kubeconfig: config.requireSecret("kubeconfig") } : {}),
            ...(fromFile === undefined ? {} : { kubeconfig: pulumi.secret(fromFile) }),
        },
    };
}

/**
 * Left to itself, the Kubernetes SDK hands the provider KUBECONFIG's value, a path, as its
 * `kubeconfig`; a CI file variable lands at a new path in every job, so each deploy would update the
 * provider. Its contents are what names the cluster and the credential.
 */
function kubeconfigFileContents(path: string | undefined): string | undefined {
    if (path === undefined || path === "" || path.includes(delimiter)) {
        return undefined;
    }
    try {
        return readFileSync(path, "utf8");
    } catch (error) {
        throw new pulumi.RunError(
            `KUBECONFIG names ${path}, which cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        );
    }
}
