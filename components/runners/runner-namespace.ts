import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { createClosedNamespace } from "../namespaces/closed-namespace";
import { type ChildOptions, childOf } from "../shared/component";
import { RUNNER_DEFAULTS, RUNNER_NAMESPACE_DEFAULTS } from "../shared/defaults";
import { ArgChecks, isDnsLabel, isQuantity, resourceOrderProblems } from "../shared/validators";
import type { ContainerResources } from "../shared/workload";

/** The ResourceQuota of a runner namespace: what all its pods together may request and use. */
export interface RunnerQuota {
    /** CPU of all pods together (requests and limits alike). @default {@link RUNNER_NAMESPACE_DEFAULTS}.quota */
    readonly cpu?: string;
    /** Memory of all pods together (requests and limits alike). @default {@link RUNNER_NAMESPACE_DEFAULTS}.quota */
    readonly memory?: string;
    /** Pods at once: the jobs plus the runner manager. @default {@link RUNNER_NAMESPACE_DEFAULTS}.quota */
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
    /** @default {@link RUNNER_NAMESPACE_DEFAULTS}.quota */
    readonly quota?: RunnerQuota;
    /**
     * Requests and limits a job container gets when it names none, and the most any container may
     * ask for. @default {@link RUNNER_DEFAULTS}.jobResources (the executor's job defaults)
     */
    readonly jobResources?: ContainerResources;
    /** Ports the runner manager reaches the API server on. @default {@link RUNNER_NAMESPACE_DEFAULTS}.apiServerPorts */
    readonly apiServerPorts?: pulumi.Input<number>[];
    /** Pod Security Standards version pinned in the labels. @default {@link RUNNER_NAMESPACE_DEFAULTS}.podSecurityVersion */
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
        validateRunnerNamespaceArgs(name, args);
        super("cicd:runners:RunnerNamespace", name, {}, opts);

        const children = createRunnerNamespace(name, this, args);
        this.namespace = children.namespace;
        this.networkPolicies = children.networkPolicies;
        this.resourceQuota = children.resourceQuota;
        this.limitRange = children.limitRange;
        this.namespaceName = children.namespaceName;
        this.registerOutputs({ namespaceName: this.namespaceName });
    }
}

/** The objects a RunnerNamespace registers. */
export interface RunnerNamespaceChildren {
    readonly namespace: k8s.core.v1.Namespace;
    readonly namespaceName: pulumi.Output<string>;
    readonly networkPolicies: readonly k8s.networking.v1.NetworkPolicy[];
    readonly resourceQuota: k8s.core.v1.ResourceQuota;
    readonly limitRange: k8s.core.v1.LimitRange;
}

/**
 * Every problem of the plain (non-Output) arguments, thrown together.
 * @internal
 */
export function validateRunnerNamespaceArgs(name: string, args: RunnerNamespaceArgs): void {
    const checks = new ArgChecks("RunnerNamespace", name);
    if (!isDnsLabel(args.namespace)) {
        checks.add("namespace", `"${args.namespace}" is not a DNS label (a-z, 0-9, '-'; at most 63)`);
    }
    for (const field of ["cpu", "memory"] as const) {
        const value = args.quota?.[field];
        if (value !== undefined && !isQuantity(value)) {
            checks.add(`quota.${field}`, `"${value}" is not a Kubernetes quantity`);
        }
    }
    const pods = args.quota?.pods;
    if (pods !== undefined && !(Number.isInteger(pods) && pods >= 1)) {
        checks.add("quota.pods", `${pods} is not a positive integer`);
    }
    checks.addAll(resourceOrderProblems(args.jobResources ?? {}, RUNNER_DEFAULTS.jobResources), "jobResources.");
    checks.throwIfAny();
}

/**
 * The runner namespace's children, parented to `parent`: the closed Namespace and its
 * NetworkPolicies, the ResourceQuota and the LimitRange.
 * @internal
 */
export function createRunnerNamespace(
    name: string,
    parent: pulumi.Resource,
    args: RunnerNamespaceArgs,
    opts?: ChildOptions,
): RunnerNamespaceChildren {
    const child = childOf(parent, opts);
    const closed = createClosedNamespace(
        name,
        parent,
        {
            namespace: args.namespace,
            environment: args.environment,
            podSecurityVersion: args.podSecurityVersion ?? RUNNER_NAMESPACE_DEFAULTS.podSecurityVersion,
            podSecurityEnforce: args.role === "build" ? "baseline" : "restricted",
            ...(args.role === "build" ? { labels: { "cicd.platform/runner-role": "build" } } : {}),
        },
        opts,
    );
    const namespace = closed.namespaceName;
    const networkPolicies = [
        ...closed.baseline,
        ...runnerEgressPolicies(args).map(([suffix, spec]) => closed.policy(suffix, spec)),
    ];
    const resourceQuota = new k8s.core.v1.ResourceQuota(name, runnerQuotaArgs(namespace, args.quota), child);
    const limitRange = new k8s.core.v1.LimitRange(name, runnerLimitRangeArgs(namespace, args.jobResources), child);
    return { namespace: closed.namespace, namespaceName: namespace, networkPolicies, resourceQuota, limitRange };
}

function tcp(port: pulumi.Input<number>): k8s.types.input.networking.v1.NetworkPolicyPort {
    return { protocol: "TCP", port };
}

/**
 * The egress the runner and its jobs need beyond DNS, as (policy name, spec) in creation order.
 * A NetworkPolicy cannot name a host outside the cluster, so GitLab and an external registry or
 * cache are opened by port; in-cluster peers are opened by namespace as well.
 * @internal
 */
export function runnerEgressPolicies(
    args: RunnerNamespaceArgs,
): [string, k8s.types.input.networking.v1.NetworkPolicySpec][] {
    return [
        ["allow-gitlab", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [tcp(args.gitlabPort)] }] }],
        [
            "allow-registry",
            {
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
            },
        ],
        ...(args.cachePort === undefined
            ? []
            : [
                  [
                      "allow-cache",
                      { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [tcp(args.cachePort)] }] },
                  ] as [string, k8s.types.input.networking.v1.NetworkPolicySpec],
              ]),
        [
            "allow-runner-to-apiserver",
            {
                podSelector: { matchLabels: RUNNER_MANAGER_SELECTOR },
                policyTypes: ["Egress"],
                egress: [{ ports: (args.apiServerPorts ?? [...RUNNER_NAMESPACE_DEFAULTS.apiServerPorts]).map(tcp) }],
            },
        ],
    ];
}

/**
 * The ResourceQuota `runner-jobs`: what all pods of the namespace together may request and use.
 * @internal
 */
export function runnerQuotaArgs(namespace: pulumi.Input<string>, quota?: RunnerQuota): k8s.core.v1.ResourceQuotaArgs {
    const hard = { ...RUNNER_NAMESPACE_DEFAULTS.quota, ...quota };
    return {
        metadata: { name: "runner-jobs", namespace },
        spec: {
            hard: {
                "requests.cpu": hard.cpu,
                "requests.memory": hard.memory,
                "limits.cpu": hard.cpu,
                "limits.memory": hard.memory,
                pods: String(hard.pods),
            },
        },
    };
}

/**
 * The LimitRange `runner-jobs`. A quota on limits refuses pods without them: the LimitRange gives
 * such containers the job defaults, and refuses any container that asks for more than a job may have.
 * @internal
 */
export function runnerLimitRangeArgs(
    namespace: pulumi.Input<string>,
    jobResources?: ContainerResources,
): k8s.core.v1.LimitRangeArgs {
    const job = { ...RUNNER_DEFAULTS.jobResources, ...jobResources };
    return {
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
    };
}
