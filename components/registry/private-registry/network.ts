import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { REGISTRY_PULL_PORT, REGISTRY_PUSH_PORT, type RegistryRole, type RegistrySpecContext } from "./pod";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/**
 * Who may reach which endpoint; each endpoint still asks for its own password.
 * @internal
 */
export interface RegistryPeers {
    /** CI namespaces: push endpoint, and the pull one too. */
    readonly pushNamespaces: readonly pulumi.Input<string>[];
    /** Namespaces that may only pull. */
    readonly pullNamespaces: readonly pulumi.Input<string>[];
    /** The ingress controller's namespaces: both endpoints. */
    readonly ingressNamespaces: readonly pulumi.Input<string>[];
    /** The nodes' networks: the kubelet pulls from the node, which no namespace selector matches. */
    readonly pullCidrs: readonly string[];
}

/** A NetworkPolicy peer selecting namespaces by the name label Kubernetes sets on each. */
function namespacePeer(namespaces: readonly pulumi.Input<string>[]): NetworkPolicyPeer {
    return {
        namespaceSelector: {
            matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...namespaces] }],
        },
    };
}

function ingressRule(from: NetworkPolicyPeer[], port: number): k8s.types.input.networking.v1.NetworkPolicyIngressRule {
    return { from, ports: [{ protocol: "TCP", port }] };
}

/**
 * Ingress to the registry pod only: the push port from CI and the ingress controller, the pull
 * port from those and the pull namespaces and CIDRs.
 * @internal
 */
export function registryNetworkPolicyArgs(
    ctx: RegistrySpecContext,
    peers: RegistryPeers,
): k8s.networking.v1.NetworkPolicyArgs {
    const pushPeers = [...peers.pushNamespaces, ...peers.ingressNamespaces];
    const pullPeers = [...peers.pullNamespaces, ...peers.pushNamespaces, ...peers.ingressNamespaces];
    const pullCidrPeers = peers.pullCidrs.map((cidr) => ({ ipBlock: { cidr } }));
    return {
        metadata: { namespace: ctx.namespace, labels: ctx.labels },
        spec: {
            podSelector: { matchLabels: ctx.selector },
            policyTypes: ["Ingress"],
            ingress: [
                ingressRule([namespacePeer(pushPeers)], REGISTRY_PUSH_PORT),
                ingressRule([namespacePeer(pullPeers), ...pullCidrPeers], REGISTRY_PULL_PORT),
            ],
        },
    };
}

/**
 * The Service of one endpoint, named as the child is: `<name>` (pull) or `<name>-push`.
 * @internal
 */
export function registryServiceArgs(
    ctx: RegistrySpecContext,
    serviceName: string,
    role: RegistryRole,
    port: number,
): k8s.core.v1.ServiceArgs {
    return {
        metadata: { name: serviceName, namespace: ctx.namespace, labels: ctx.labels },
        spec: {
            type: "ClusterIP",
            selector: ctx.selector,
            ports: [{ name: role, port, targetPort: role, protocol: "TCP" }],
        },
    };
}

/**
 * `host:port` of a Service inside the cluster, or the public endpoint when one is given.
 * @internal
 */
export function registryEndpoint(
    publicEndpoint: pulumi.Input<string> | undefined,
    service: k8s.core.v1.Service,
    port: number,
): pulumi.Output<string> {
    if (publicEndpoint !== undefined) {
        return pulumi.output(publicEndpoint);
    }
    return pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${port}`;
}
