import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { ChildOptions } from "../shared/component";
import { NAMESPACE_DEFAULTS } from "../shared/defaults";
import { ArgChecks, isDnsLabel } from "../shared/validators";
import { createClosedNamespace } from "./closed-namespace";

export { restrictedPodSecurityLabels } from "./closed-namespace";

export interface EnvironmentNamespaceArgs {
    /** Name of the Namespace. A plain string: Namespaces are addressed by name, never auto-named. */
    readonly namespace: string;
    /** Value of the `cicd.platform/environment` label, e.g. `staging`. */
    readonly environment: pulumi.Input<string>;
    /** Namespace whose Prometheus may scrape every pod here. @default {@link NAMESPACE_DEFAULTS}.monitoring */
    readonly monitoringNamespace?: pulumi.Input<string>;
    /** Pod Security Standards version pinned in the labels. @default {@link NAMESPACE_DEFAULTS}.podSecurityVersion */
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
        validateEnvironmentNamespaceArgs(name, args);
        // The type token keeps the folder's former name: it is part of every child's URN.
        super("cicd:platform:EnvironmentNamespace", name, {}, opts);

        const children = createEnvironmentNamespace(name, this, args);
        this.namespace = children.namespace;
        this.networkPolicies = children.networkPolicies;
        this.namespaceName = children.namespaceName;
        this.registerOutputs({ namespaceName: this.namespaceName });
    }
}

/** The objects an EnvironmentNamespace registers. */
export interface EnvironmentNamespaceChildren {
    readonly namespace: k8s.core.v1.Namespace;
    readonly namespaceName: pulumi.Output<string>;
    readonly networkPolicies: readonly k8s.networking.v1.NetworkPolicy[];
}

/**
 * Every problem of the plain (non-Output) arguments, thrown together.
 * @internal
 */
export function validateEnvironmentNamespaceArgs(name: string, args: EnvironmentNamespaceArgs): void {
    const checks = new ArgChecks("EnvironmentNamespace", name);
    if (!isDnsLabel(args.namespace)) {
        checks.add("namespace", `"${args.namespace}" is not a DNS label (a-z, 0-9, '-'; at most 63)`);
    }
    checks.throwIfAny();
}

/**
 * The environment namespace's children, parented to `parent`: the closed Namespace, its baseline
 * NetworkPolicies and the platform's openings.
 * @internal
 */
export function createEnvironmentNamespace(
    name: string,
    parent: pulumi.Resource,
    args: EnvironmentNamespaceArgs,
    opts?: ChildOptions,
): EnvironmentNamespaceChildren {
    const closed = createClosedNamespace(
        name,
        parent,
        {
            namespace: args.namespace,
            environment: args.environment,
            podSecurityVersion: args.podSecurityVersion ?? NAMESPACE_DEFAULTS.podSecurityVersion,
        },
        opts,
    );
    const networkPolicies = [
        ...closed.baseline,
        ...environmentOpeningPolicies(args.monitoringNamespace ?? NAMESPACE_DEFAULTS.monitoring).map(([suffix, spec]) =>
            closed.policy(suffix, spec),
        ),
    ];
    return { namespace: closed.namespace, namespaceName: closed.namespaceName, networkPolicies };
}

/**
 * The openings beyond DNS, as (policy name, spec) in creation order: router to apps, the router's
 * egress, anyone to the router, and Prometheus scraping from `monitoringNamespace`.
 * @internal
 */
export function environmentOpeningPolicies(
    monitoringNamespace: pulumi.Input<string>,
): [string, k8s.types.input.networking.v1.NetworkPolicySpec][] {
    return [
        [
            "allow-router-to-apps",
            {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: { matchLabels: ROUTER_SELECTOR } }] }],
            },
        ],
        [
            "allow-router-egress",
            {
                podSelector: { matchLabels: ROUTER_SELECTOR },
                policyTypes: ["Egress"],
                egress: [{ to: [{ podSelector: {} }] }],
            },
        ],
        [
            "allow-ingress-to-router",
            { podSelector: { matchLabels: ROUTER_SELECTOR }, policyTypes: ["Ingress"], ingress: [{}] },
        ],
        [
            "allow-prometheus-scrape",
            {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            {
                                namespaceSelector: {
                                    matchLabels: { "kubernetes.io/metadata.name": monitoringNamespace },
                                },
                            },
                        ],
                    },
                ],
            },
        ],
    ];
}
