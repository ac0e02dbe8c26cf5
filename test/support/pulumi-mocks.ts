/**
 * Pulumi mocks that record every registered resource. Import this module before any component
 * module: the mocks must be in place before the first resource is constructed.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { loadStackConfig } from "../../config/load";
import { createPlatform, type PlatformOutputs } from "../../platform";

/**
 * The environment `scripts/local up` gives the program, for stacks that take their tenancy from it
 * (the local stack's API server from the kubeconfig, its tenants' state beside its file backend).
 */
const localEnvironment = mkdtempSync(join(tmpdir(), "cicd-unit-"));
writeFileSync(
    join(localEnvironment, "kubeconfig"),
    [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: cicd-local, cluster: {server: 'https://127.0.0.1:16443'}}]",
        "contexts: [{name: cicd-local, context: {cluster: cicd-local, user: admin}}]",
        "current-context: cicd-local",
        "",
    ].join("\n"),
);
process.env.KUBECONFIG = join(localEnvironment, "kubeconfig");
process.env.PULUMI_BACKEND_URL = `file://${join(localEnvironment, "backend")}`;

/** How the SDK marks a secret value on the wire (and so in mock inputs). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Registered {
    readonly type: string;
    readonly name: string;
    /** Inputs with secret markers removed. */
    readonly inputs: Record<string, unknown>;
    /** Inputs as the engine got them, secret markers included. */
    readonly raw: Record<string, unknown>;
    /** Reference (`<urn>::<id>`) of the provider the engine would use; absent means the default provider. */
    readonly provider?: string;
}

export const registered: Registered[] = [];

export function isSecretValue(value: unknown): boolean {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG &&
        "value" in value
    );
}

export function unwrapSecrets(value: unknown): unknown {
    if (isSecretValue(value)) {
        return unwrapSecrets((value as { value: unknown }).value);
    }
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Reads a path such as `stringData..dockerconfigjson` is awkward; take an explicit list of keys. */
export function rawAt(resource: Registered, ...keys: string[]): unknown {
    return keys.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], resource.raw);
}

pulumi.runtime.setMocks(
    {
        newResource(args) {
            const raw = args.inputs as Record<string, unknown>;
            const inputs = unwrapSecrets(raw) as Record<string, unknown>;
            registered.push({ type: args.type, name: args.name, inputs, raw, provider: args.provider || undefined });
            const metadata = inputs.metadata as Record<string, unknown> | undefined;
            // Kubernetes auto-naming appends a random suffix; a fixed one keeps assertions stable.
            const state: Record<string, unknown> =
                metadata === undefined
                    ? { ...inputs }
                    : { ...inputs, metadata: { ...metadata, name: metadata.name ?? `${args.name}-mock` } };
            if (args.type === "kubernetes:core/v1:Secret" && inputs.type === "kubernetes.io/service-account-token") {
                // What kube-controller-manager's token controller writes into such a Secret.
                state.data = {
                    token: Buffer.from(`mock-token-of-${args.name}`).toString("base64"),
                    "ca.crt": Buffer.from("mock-ca").toString("base64"),
                };
            }
            if (args.type === "gitlab:index/userRunner:UserRunner") {
                // GitLab issues a token per registration: a new rotation (a new registration) gets a new one.
                const rotation =
                    /rotation (\S+)$/.exec(
                        typeof inputs.maintenanceNote === "string" ? inputs.maintenanceNote : "",
                    )?.[1] ?? "none";
                state.token = ["glrt", `mock-${args.name}-${rotation}`].join("-");
            }
            return { id: `${args.name}-id`, state };
        },
        call(args) {
            return args.inputs as Record<string, unknown>;
        },
    },
    "cicd-platform",
    "test",
    false,
);

/** Resolves an Output's value (also a secret one). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

export async function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as unknown as { isSecret: Promise<boolean> }).isSecret;
}

/** Waits until registrations stop arriving: mocks register asynchronously. */
export async function settle(): Promise<void> {
    let stableRounds = 0;
    let count = -1;
    while (stableRounds < 3) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        stableRounds = registered.length === count ? stableRounds + 1 : 0;
        count = registered.length;
    }
}

export function reset(): void {
    registered.length = 0;
}

export function ofType(type: string): Registered[] {
    return registered.filter((r) => r.type === type);
}

export function byName(type: string, name: string): Registered {
    const found = registered.find((r) => r.type === type && r.name === name);
    if (!found) {
        const names = ofType(type).map((r) => r.name);
        throw new Error(`no ${type} named ${name}; registered: ${names.join(", ") || "none"}`);
    }
    return found;
}

/** Config as `pulumi config` hands it to a program: project-prefixed keys, JSON for objects. */
export function setStackConfig(values: Record<string, unknown>, secretKeys: string[] = []): void {
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
        config[`cicd-platform:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(
        config,
        secretKeys.map((key) => `cicd-platform:${key}`),
    );
}

/** Runs what index.ts runs (load the stack config, create the platform) under the mocks. */
export function runProgram(values: Record<string, unknown>, secretKeys: string[]): PlatformOutputs {
    setStackConfig(values, secretKeys);
    return createPlatform(loadStackConfig());
}
