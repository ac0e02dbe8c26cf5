import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { NAMESPACE_DEFAULTS } from "../shared/defaults";
import { createClosedNamespace } from "./closed-namespace";

export { restrictedPodSecurityLabels } from "./closed-namespace";

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
        // The type token keeps the folder's former name: it is part of every child's URN.
        super("cicd:platform:EnvironmentNamespace", name, {}, opts);

        const closed = createClosedNamespace(name, this, {
            namespace: args.namespace,
            environment: args.environment,
            podSecurityVersion: args.podSecurityVersion ?? NAMESPACE_DEFAULTS.podSecurityVersion,
        });
        this.namespace = closed.namespace;
        const namespace = closed.namespaceName;
        const policy = closed.policy;

        this.networkPolicies = [
            ...closed.baseline,
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
