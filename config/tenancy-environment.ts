/**
 * The two tenancy settings a stack may leave unset and take from where it runs: the API server the
 * tenants' kubeconfigs point at (the server of the kubeconfig the platform deploys with) and, on the
 * local stack only, the directory the tenants' state goes into (beside the platform's own file
 * backend). Pulumi-free.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";

import { parse as parseYaml } from "yaml";

interface KubeconfigDoc {
    readonly "current-context"?: string;
    readonly contexts?: readonly { readonly name?: string; readonly context?: { readonly cluster?: string } }[];
    readonly clusters?: readonly { readonly name?: string; readonly cluster?: { readonly server?: string } }[];
}

/** The server of `context` (or the current context) in one kubeconfig's text; undefined when absent. */
export function kubeconfigServer(text: string, context: string | undefined): string | undefined {
    let doc: KubeconfigDoc | undefined;
    try {
        doc = parseYaml(text) as KubeconfigDoc | undefined;
    } catch {
        return undefined;
    }
    const contextName = context ?? doc?.["current-context"];
    const cluster = doc?.contexts?.find((c) => c.name === contextName)?.context?.cluster;
    return doc?.clusters?.find((c) => c.name === cluster)?.cluster?.server;
}

/** The kubeconfig files the Kubernetes provider reads: `$KUBECONFIG`'s list, else `~/.kube/config`. */
export function kubeconfigPaths(env: NodeJS.ProcessEnv): string[] {
    const list = env.KUBECONFIG;
    return list !== undefined && list !== ""
        ? list.split(delimiter).filter((p) => p !== "")
        : [join(homedir(), ".kube", "config")];
}

/** The first server those files give for the context, or undefined. */
export function ambientApiServer(env: NodeJS.ProcessEnv, context: string | undefined): string | undefined {
    for (const path of kubeconfigPaths(env)) {
        if (existsSync(path)) {
            const server = kubeconfigServer(readFileSync(path, "utf8"), context);
            if (server !== undefined) {
                return server;
            }
        }
    }
    return undefined;
}

/**
 * `file://<dir>/tenants` beside a `file://<dir>/<backend>` URL (the local stack's layout), or undefined
 * when the platform's backend is not a local directory.
 */
export function siblingTenantsRoot(backendUrl: string | undefined): string | undefined {
    if (backendUrl === undefined || !backendUrl.startsWith("file://")) {
        return undefined;
    }
    const path = backendUrl.slice("file://".length).replace(/\/+$/, "");
    return path === "" ? undefined : `file://${join(dirname(path), "tenants")}`;
}
