/** The parts of a kubeconfig that authenticate one service account against one cluster. */
export interface TokenKubeconfig {
    /** API server URL, e.g. `https://k8s.example.com:6443`. */
    readonly server: string;
    /** The cluster CA bundle, base64 (as the token Secret's `ca.crt` data holds it). */
    readonly caData: string;
    /** The bearer token, in clear. */
    readonly token: string;
    /** Default namespace of the context. */
    readonly namespace: string;
    /** Name of the cluster, user and context entries. */
    readonly name: string;
}

/**
 * A kubeconfig with one cluster, one token user and one context defaulting to the tenant namespace.
 * JSON, which every kubeconfig reader (kubectl, client-go, the Pulumi provider) accepts as YAML.
 * @internal
 */
export function renderTokenKubeconfig(k: TokenKubeconfig): string {
    return JSON.stringify(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: k.name, cluster: { server: k.server, "certificate-authority-data": k.caData } }],
            users: [{ name: k.name, user: { token: k.token } }],
            contexts: [{ name: k.name, context: { cluster: k.name, user: k.name, namespace: k.namespace } }],
            "current-context": k.name,
        },
        null,
        2,
    );
}
