import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { createClosedNamespace } from "../namespaces/closed-namespace";
import { RUNNER_DEFAULTS, RUNNER_NAMESPACE_DEFAULTS } from "../shared/defaults";
import type { ContainerResources } from "../shared/workload";

/** The ResourceQuota of a runner namespace: what all its pods together may request and use. */
export interface RunnerQuota {
    /** CPU of all pods together (requests and limits alike). @default "16" */
    readonly cpu?: string;
    /** Memory of all pods together (requests and limits alike). @default "64Gi" */
    readonly memory?: string;
    /** Pods at once: the jobs plus the runner manager. @default 20 */
    readonly pods?: number;
}

export interface RunnerNamespaceArgs {
    /** Name of the Namespace. A plain string: the runner's config.toml names it. */
    readonly namespace: string;
    /** Value of the `cicd.platform/environment` label, e.g. `staging`. */
    readonly environment: pulumi.Input<string>;
    /** TCP port of the GitLab URL the runner and the jobs talk to (443 for https). */
    readonly gitlabPort: pulumi.Input<number>;
    /** Namespace of the platform's own registry; jobs push there. Unset: the registry is outside the cluster. */
    readonly registryNamespace?: pulumi.Input<string>;
    /** TCP port jobs push images to. */
    readonly registryPort: pulumi.Input<number>;
    /** TCP port of the S3 cache; no opening when unset. */
    readonly cachePort?: pulumi.Input<number>;
    /** @default { cpu: "16", memory: "64Gi", pods: 20 } */
    readonly quota?: RunnerQuota;
    /**
     * Requests and limits a job container gets when it names none, and the most any container may
     * ask for. @default the executor's job defaults (250m/2 CPU, 512Mi/4Gi memory)
     */
    readonly jobResources?: ContainerResources;
    /** Ports the runner manager reaches the API server on. @default [443, 6443] */
    readonly apiServerPorts?: pulumi.Input<number>[];
    /** Pod Security Standards version pinned in the labels. @default "latest" */
    readonly podSecurityVersion?: pulumi.Input<string>;
    /**
     * The runner whose jobs run here. `build` enforces Pod Security `baseline` (its build
     * containers add SETUID, SETGID and SETFCAP, which `restricted` refuses) and still audits and
     * warns on `restricted`. @default "general"
     */
    readonly role?: "general" | "build";
}

/**
 * Pods of the runner manager (not the jobs): the only ones that talk to the API server.
 * @internal
 */
export const RUNNER_MANAGER_SELECTOR = { "app.kubernetes.io/component": "gitlab-runner" };

/**
 * The namespace the Kubernetes executor runs jobs in. Pod Security `restricted` is enforced: every pod
 * the executor creates from the rendered config.toml meets it (non-root, all capabilities dropped, no
 * privilege escalation, RuntimeDefault seccomp, its own user namespace). Egress is closed except DNS,
 * GitLab's port, the registry, the cache and (for the manager) the API server; a ResourceQuota and a
 * LimitRange cap what the jobs of all pipelines together can take.
 */
export class RunnerNamespace extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly namespaceName: pulumi.Output<string>;
    public readonly networkPolicies: readonly k8s.networking.v1.NetworkPolicy[];
    public readonly resourceQuota: k8s.core.v1.ResourceQuota;
    public readonly limitRange: k8s.core.v1.LimitRange;

    constructor(name: string, args: RunnerNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cicd:runners:RunnerNamespace", name, {}, opts);

        const closed = createClosedNamespace(this, name, {
            namespace: args.namespace,
            environment: args.environment,
            podSecurityVersion: args.podSecurityVersion ?? RUNNER_NAMESPACE_DEFAULTS.podSecurityVersion,
            podSecurityEnforce: args.role === "build" ? "baseline" : "restricted",
            ...(args.role === "build" ? { labels: { "cicd.platform/runner-role": "build" } } : {}),
        });
        this.namespace = closed.namespace;
        const namespace = closed.namespaceName;
        const policy = closed.policy;
        const tcp = (port: pulumi.Input<number>): k8s.types.input.networking.v1.NetworkPolicyPort => ({
            protocol: "TCP",
            port,
        });

        // A NetworkPolicy cannot name a host outside the cluster, so GitLab and an external registry
        // or cache are opened by port; in-cluster peers are opened by namespace as well.
        this.networkPolicies = [
            ...closed.baseline,
            policy("allow-gitlab", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{ ports: [tcp(args.gitlabPort)] }],
            }),
            policy("allow-registry", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    args.registryNamespace === undefined
                        ? { ports: [tcp(args.registryPort)] }
                        : {
                              to: [
                                  {
                                      namespaceSelector: {
                                          matchLabels: { "kubernetes.io/metadata.name": args.registryNamespace },
                                      },
                                  },
                              ],
                              ports: [tcp(args.registryPort)],
                          },
                ],
            }),
            ...(args.cachePort === undefined
                ? []
                : [
                      policy("allow-cache", {
                          podSelector: {},
                          policyTypes: ["Egress"],
                          egress: [{ ports: [tcp(args.cachePort)] }],
                      }),
                  ]),
            policy("allow-runner-to-apiserver", {
                podSelector: { matchLabels: RUNNER_MANAGER_SELECTOR },
                policyTypes: ["Egress"],
                egress: [
                    {
                        ports: (args.apiServerPorts ?? [...RUNNER_NAMESPACE_DEFAULTS.apiServerPorts]).map(tcp),
                    },
                ],
            }),
        ];

        const quota = { ...RUNNER_NAMESPACE_DEFAULTS.quota, ...args.quota };
        this.resourceQuota = new k8s.core.v1.ResourceQuota(
            name,
            {
                metadata: { name: "runner-jobs", namespace },
                spec: {
                    hard: {
                        "requests.cpu": quota.cpu,
                        "requests.memory": quota.memory,
                        "limits.cpu": quota.cpu,
                        "limits.memory": quota.memory,
                        pods: String(quota.pods),
                    },
                },
            },
            { parent: this },
        );

        const job = { ...RUNNER_DEFAULTS.jobResources, ...args.jobResources };
        // A quota on limits refuses pods without them: the LimitRange gives such containers the job
        // defaults, and refuses any container that asks for more than a job may have.
        this.limitRange = new k8s.core.v1.LimitRange(
            name,
            {
                metadata: { name: "runner-jobs", namespace },
                spec: {
                    limits: [
                        {
                            type: "Container",
                            defaultRequest: { cpu: job.cpuRequest, memory: job.memoryRequest },
                            default: { cpu: job.cpuLimit, memory: job.memoryLimit },
                            max: { cpu: job.cpuLimit, memory: job.memoryLimit },
                        },
                    ],
                },
            },
            { parent: this },
        );

        this.namespaceName = namespace;
        this.registerOutputs({ namespaceName: this.namespaceName });
    }
}
