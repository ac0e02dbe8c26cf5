import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { NAMESPACE_DEFAULTS } from "../shared/defaults";

export interface EnvironmentNamespaceArgs {
    /** Name of the Namespace. A plain string: Namespaces are addressed by name, never auto-named. */
    readonly namespace: string;
    /** Value of the `cicd.platform/environment` label, e.g. `staging`. */
    readonly environment: pulumi.Input<string>;
    /** Namespace whose Prometheus may scrape every pod here. @default "monitoring" */
    readonly monitoringNamespace?: pulumi.Input<string>;
    /** Pod Security Standards version pinned in the labels. @default "latest" */
    readonly podSecurityVersion?: pulumi.Input<string>;
}

/** Labels that make the API server enforce, audit and warn on the `restricted` profile. */
export function restrictedPodSecurityLabels(version: pulumi.Input<string>): Record<string, pulumi.Input<string>> {
    return {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": version,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": version,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": version,
    };
}

/**
 * Pods of the weighted upstream: the only ones allowed to reach the application pods.
 * @internal
 */
export const ROUTER_SELECTOR = { "app.kubernetes.io/component": "router" };

/**
 * A Namespace for one environment under the `restricted` Pod Security profile, closed by a
 * default-deny NetworkPolicy, with the few openings the platform needs: DNS, router to apps,
 * anyone to the router, and Prometheus scraping.
 */
export class EnvironmentNamespace extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly namespaceName: pulumi.Output<string>;
    public readonly networkPolicies: readonly k8s.networking.v1.NetworkPolicy[];

    constructor(name: string, args: EnvironmentNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cicd:platform:EnvironmentNamespace", name, {}, opts);

        this.namespace = new k8s.core.v1.Namespace(
            name,
            {
                metadata: {
                    name: args.namespace,
                    labels: {
                        ...restrictedPodSecurityLabels(
                            args.podSecurityVersion ?? NAMESPACE_DEFAULTS.podSecurityVersion,
                        ),
                        "cicd.platform/environment": args.environment,
                        "app.kubernetes.io/managed-by": "pulumi",
                    },
                },
            },
            { parent: this },
        );
        const namespace = this.namespace.metadata.name;

        const policy = (
            suffix: string,
            spec: k8s.types.input.networking.v1.NetworkPolicySpec,
        ): k8s.networking.v1.NetworkPolicy =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${suffix}`,
                { metadata: { name: suffix, namespace }, spec },
                { parent: this },
            );

        this.networkPolicies = [
            policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
            policy("allow-dns", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                ],
            }),
            policy("allow-router-to-apps", {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: { matchLabels: ROUTER_SELECTOR } }] }],
            }),
            policy("allow-router-egress", {
                podSelector: { matchLabels: ROUTER_SELECTOR },
                policyTypes: ["Egress"],
                egress: [{ to: [{ podSelector: {} }] }],
            }),
            policy("allow-ingress-to-router", {
                podSelector: { matchLabels: ROUTER_SELECTOR },
                policyTypes: ["Ingress"],
                ingress: [{}],
            }),
            policy("allow-prometheus-scrape", {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            {
                                namespaceSelector: {
                                    matchLabels: {
                                        "kubernetes.io/metadata.name":
                                            args.monitoringNamespace ?? NAMESPACE_DEFAULTS.monitoring,
                                    },
                                },
                            },
                        ],
                    },
                ],
            }),
        ];

        this.namespaceName = namespace;
        this.registerOutputs({ namespaceName: this.namespaceName });
    }
}
