import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";

/** Labels that make the API server enforce, audit and warn on the `restricted` profile. */
export function restrictedPodSecurityLabels(version: pulumi.Input<string>): Record<string, pulumi.Input<string>> {
    return podSecurityLabels("restricted", version);
}

/**
 * Pod Security labels enforcing `enforce`, and always auditing and warning on `restricted`, so a
 * namespace allowed less than restricted still shows every pod that falls short of it.
 */
export function podSecurityLabels(
    enforce: "restricted" | "baseline" | "privileged",
    version: pulumi.Input<string>,
): Record<string, pulumi.Input<string>> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": version,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": version,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": version,
    };
}

/** @internal */
export interface ClosedNamespace {
    readonly namespace: k8s.core.v1.Namespace;
    readonly namespaceName: pulumi.Output<string>;
    /** `default-deny` and `allow-dns`, the two policies every namespace of the platform starts with. */
    readonly baseline: readonly k8s.networking.v1.NetworkPolicy[];
    /** A NetworkPolicy named `suffix` in the namespace, child `<name>-<suffix>` of the component. */
    readonly policy: (
        suffix: string,
        spec: k8s.types.input.networking.v1.NetworkPolicySpec,
    ) => k8s.networking.v1.NetworkPolicy;
}

/**
 * The start of every namespace the platform creates: Pod Security `restricted`, labelled with its
 * environment, closed in both directions but for DNS. Each component then opens what it needs.
 * @internal
 */
export function createClosedNamespace(
    name: string,
    parent: pulumi.Resource,
    args: {
        namespace: string;
        environment: pulumi.Input<string>;
        podSecurityVersion: pulumi.Input<string>;
        /** @default "restricted" */
        podSecurityEnforce?: "restricted" | "baseline" | "privileged";
        labels?: Record<string, string>;
    },
    opts?: ChildOptions,
): ClosedNamespace {
    const child = childOf(parent, opts);
    const namespace = new k8s.core.v1.Namespace(
        name,
        {
            metadata: {
                name: args.namespace,
                labels: {
                    ...podSecurityLabels(args.podSecurityEnforce ?? "restricted", args.podSecurityVersion),
                    ...args.labels,
                    "cicd.platform/environment": args.environment,
                    "app.kubernetes.io/managed-by": "pulumi",
                },
            },
        },
        child,
    );
    const namespaceName = namespace.metadata.name;
    const policy = (suffix: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
        new k8s.networking.v1.NetworkPolicy(
            `${name}-${suffix}`,
            { metadata: { name: suffix, namespace: namespaceName }, spec },
            child,
        );
    const baseline = [
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
    ];
    return { namespace, namespaceName, baseline, policy };
}
