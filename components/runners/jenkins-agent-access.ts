import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { createNamespacedIdentity } from "../shared/namespaced-identity";
import { JENKINS_AGENT_DEFAULTS } from "../shared/defaults";
import { ArgChecks } from "../shared/validators";
import { commonLabels } from "../shared/workload";

export interface JenkinsAgentAccessArgs {
    /**
     * The namespace agent pods run in: a runner namespace whose Pod Security level admits the
     * build pod (the build runner's). A plain string: the controller's cloud settings name it.
     */
    readonly namespace: string;
    /**
     * Ports of the Jenkins controller the agents connect back to (its web port for WebSocket agents,
     * its TCP agent port otherwise). @default {@link JENKINS_AGENT_DEFAULTS}.controllerPorts
     */
    readonly controllerPorts?: readonly number[];
}

/**
 * What the Kubernetes plugin of a Jenkins controller does in the agents' namespace, and nothing
 * more: start and delete agent pods, exec into their containers (`container('build') { … }`),
 * read their logs and events.
 * @internal
 */
export const JENKINS_AGENT_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "delete", "patch"] },
    { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["events"], verbs: ["list", "watch"] },
];

/**
 * A Jenkins controller's access to a runner namespace, as a GitLab runner manager has to its own:
 * a service account (no token mounted anywhere) whose Role covers only the Kubernetes plugin's
 * work there, and the one egress the agents need beyond the namespace's defaults, to the
 * controller's ports. The controller authenticates as that service account with a token an
 * operator requests for it (`kubectl create token`), stored as a Jenkins credential.
 */
export class JenkinsAgentAccess extends pulumi.ComponentResource {
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly role: k8s.rbac.v1.Role;
    public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    /** The service account's name, for the controller's cloud settings. */
    public readonly serviceAccountName: pulumi.Output<string>;

    constructor(name: string, args: JenkinsAgentAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        validateJenkinsAgentAccessArgs(name, args);
        super("cicd:runners:JenkinsAgentAccess", name, {}, opts);

        const children = createJenkinsAgentAccess(name, this, args);
        this.serviceAccount = children.serviceAccount;
        this.role = children.role;
        this.networkPolicy = children.networkPolicy;
        this.serviceAccountName = children.serviceAccount.metadata.name;
        this.registerOutputs({ serviceAccountName: this.serviceAccountName });
    }
}

/** The objects a JenkinsAgentAccess registers. */
export interface JenkinsAgentAccessChildren {
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly role: k8s.rbac.v1.Role;
    readonly roleBinding: k8s.rbac.v1.RoleBinding;
    readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
}

/**
 * Every problem of the arguments, thrown together.
 * @internal
 */
export function validateJenkinsAgentAccessArgs(name: string, args: JenkinsAgentAccessArgs): void {
    const checks = new ArgChecks("JenkinsAgentAccess", name);
    const ports = args.controllerPorts ?? JENKINS_AGENT_DEFAULTS.controllerPorts;
    const bad = ports.filter((port) => !Number.isInteger(port) || port < 1 || port > 65535);
    if (bad.length > 0 || ports.length === 0) {
        checks.add("controllerPorts", `must be TCP ports (1-65535), got [${ports.join(", ")}]`);
    }
    checks.throwIfAny();
}

/**
 * The access's children, parented to `parent`: the service account, its Role and RoleBinding, and
 * the egress to the controller.
 * @internal
 */
export function createJenkinsAgentAccess(
    name: string,
    parent: pulumi.Resource,
    args: JenkinsAgentAccessArgs,
    opts?: ChildOptions,
): JenkinsAgentAccessChildren {
    const child = childOf(parent, opts);
    const labels = { ...commonLabels(name, "jenkins-controller"), app: name };
    const namespace = args.namespace;
    const { serviceAccount, role, roleBinding } = createNamespacedIdentity(
        name,
        namespace,
        labels,
        JENKINS_AGENT_RULES,
        child,
    );
    const networkPolicy = new k8s.networking.v1.NetworkPolicy(
        `${name}-to-controller`,
        jenkinsControllerEgressArgs(namespace, labels, args.controllerPorts ?? JENKINS_AGENT_DEFAULTS.controllerPorts),
        child,
    );
    return { serviceAccount, role, roleBinding, networkPolicy };
}

/**
 * The NetworkPolicy `allow-jenkins-controller`. The namespace denies egress by default; the agent's
 * jnlp container must reach the controller.
 * @internal
 */
export function jenkinsControllerEgressArgs(
    namespace: string,
    labels: Readonly<Record<string, string>>,
    ports: readonly number[],
): k8s.networking.v1.NetworkPolicyArgs {
    return {
        metadata: { name: "allow-jenkins-controller", namespace, labels },
        spec: {
            podSelector: { matchLabels: { ...JENKINS_AGENT_DEFAULTS.podLabels } },
            policyTypes: ["Egress"],
            egress: [{ ports: ports.map((port) => ({ protocol: "TCP", port })) }],
        },
    };
}
