import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { createClosedNamespace } from "../namespaces/closed-namespace";
import { type ChildOptions, childOf } from "../shared/component";
import { BUILD_RUNNER_DEFAULTS, RUNNER_NAMESPACE_DEFAULTS } from "../shared/defaults";
import { pullPolicyFor } from "../shared/placement";
import { ArgChecks, isDnsLabel } from "../shared/validators";
import { commonLabels } from "../shared/workload";

import { buildSeccompProfile, renderBuildSeccompProfile } from "./build-seccomp-profile";

export interface BuildSeccompDeliveryArgs {
    /**
     * `security-profiles-operator`: a cluster-scoped `SeccompProfile` (SPO ≥ 0.9) that the operator
     * writes to every node. `node-installer`: a DaemonSet that copies the profile into the
     * kubelet's seccomp directory on the selected nodes. @default {@link BUILD_RUNNER_DEFAULTS}.seccompDelivery
     */
    readonly delivery?: "node-installer" | "security-profiles-operator";
    /** Node installer: its own namespace (Pod Security `privileged`). @default {@link BUILD_RUNNER_DEFAULTS}.installerNamespace */
    readonly installerNamespace?: string;
    /** Node installer: the image with a POSIX shell that copies the file. @default {@link BUILD_RUNNER_DEFAULTS}.installerImage */
    readonly installerImage?: string;
    /** Nodes the build pods may land on. @default {@link BUILD_RUNNER_DEFAULTS}.nodeSelector */
    readonly nodeSelector?: Readonly<Record<string, string>>;
    /** Value of the `cicd.platform/environment` label. */
    readonly environment: pulumi.Input<string>;
}

/** The SPO object's name; the operator writes it to `operator/<name>.json` on each node. */
const SPO_PROFILE_NAME = "cicd-rootless-buildah";

/**
 * Puts the build pods' seccomp profile on the nodes, from the one definition in
 * build-seccomp-profile.ts, and says which `localhostProfile` path the build pods name.
 */
export class BuildSeccompDelivery extends pulumi.ComponentResource {
    /** The path under the kubelet's seccomp directory, for the build runner's pod_spec patch. */
    public readonly localhostProfile: pulumi.Output<string>;

    constructor(name: string, args: BuildSeccompDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
        validateBuildSeccompDeliveryArgs(name, args);
        super("cicd:runners:BuildSeccompDelivery", name, {}, opts);

        const children = createBuildSeccompDelivery(name, this, args);
        this.localhostProfile = children.localhostProfile;
        this.registerOutputs({ localhostProfile: this.localhostProfile });
    }
}

/** What a BuildSeccompDelivery registers: the SPO object, or the installer's namespace, ConfigMap and DaemonSet. */
export interface BuildSeccompDeliveryChildren {
    readonly localhostProfile: pulumi.Output<string>;
    readonly seccompProfile?: k8s.apiextensions.CustomResource;
    readonly installerNamespace?: k8s.core.v1.Namespace;
    readonly profileConfigMap?: k8s.core.v1.ConfigMap;
    readonly installer?: k8s.apps.v1.DaemonSet;
}

const DELIVERIES: readonly string[] = ["node-installer", "security-profiles-operator"];

/**
 * Every problem of the arguments, thrown together.
 * @internal
 */
export function validateBuildSeccompDeliveryArgs(name: string, args: BuildSeccompDeliveryArgs): void {
    const checks = new ArgChecks("BuildSeccompDelivery", name);
    if (args.delivery !== undefined && !DELIVERIES.includes(args.delivery)) {
        checks.add("delivery", `"${args.delivery}" is not one of ${DELIVERIES.join(", ")}`);
    }
    if (args.installerNamespace !== undefined && !isDnsLabel(args.installerNamespace)) {
        checks.add("installerNamespace", `"${args.installerNamespace}" is not a DNS label (a-z, 0-9, '-'; at most 63)`);
    }
    checks.throwIfAny();
}

/**
 * The delivery's children, parented to `parent`, for the chosen delivery.
 * @internal
 */
export function createBuildSeccompDelivery(
    name: string,
    parent: pulumi.Resource,
    args: BuildSeccompDeliveryArgs,
    opts?: ChildOptions,
): BuildSeccompDeliveryChildren {
    const child = childOf(parent, opts);
    const delivery = args.delivery ?? BUILD_RUNNER_DEFAULTS.seccompDelivery;
    if (delivery === "security-profiles-operator") {
        const seccompProfile = new k8s.apiextensions.CustomResource(`${name}-profile`, seccompProfileArgs(), child);
        // The operator reports the path it wrote in the status; before it has, its documented layout.
        const localhostProfile = pulumi
            .output(
                (seccompProfile as unknown as { status?: pulumi.Output<{ localhostProfile?: string } | undefined> })
                    .status,
            )
            .apply((status) => status?.localhostProfile ?? `operator/${SPO_PROFILE_NAME}.json`);
        return { localhostProfile, seccompProfile };
    }
    const closed = createClosedNamespace(
        `${name}-ns`,
        parent,
        {
            namespace: args.installerNamespace ?? BUILD_RUNNER_DEFAULTS.installerNamespace,
            environment: args.environment,
            podSecurityVersion: RUNNER_NAMESPACE_DEFAULTS.podSecurityVersion,
            // hostPath volumes are allowed by no level below privileged.
            podSecurityEnforce: "privileged",
            labels: { "cicd.platform/role": "seccomp-installer" },
        },
        opts,
    );
    const labels = { ...commonLabels(name, "seccomp-installer"), app: name };
    const profileConfigMap = new k8s.core.v1.ConfigMap(
        `${name}-profile`,
        {
            metadata: { namespace: closed.namespaceName, labels },
            data: { "rootless-buildah.json": renderBuildSeccompProfile() },
        },
        child,
    );
    const installer = new k8s.apps.v1.DaemonSet(
        name,
        seccompInstallerArgs(name, closed.namespaceName, labels, profileConfigMap.metadata.name, args),
        child,
    );
    return {
        localhostProfile: pulumi.output(BUILD_RUNNER_DEFAULTS.seccompLocalhostProfile),
        installerNamespace: closed.namespace,
        profileConfigMap,
        installer,
    };
}

/**
 * The cluster-scoped `SeccompProfile` the security-profiles-operator writes to every node.
 * @internal
 */
export function seccompProfileArgs(): k8s.apiextensions.CustomResourceArgs {
    const profile = buildSeccompProfile();
    return {
        apiVersion: "security-profiles-operator.x-k8s.io/v1beta1",
        kind: "SeccompProfile",
        metadata: { name: SPO_PROFILE_NAME },
        spec: {
            defaultAction: profile.defaultAction,
            architectures: profile.architectures,
            syscalls: profile.syscalls,
        },
    };
}

/**
 * The node installer's DaemonSet: copies the profile from its ConfigMap into the kubelet's seccomp
 * directory on the selected nodes.
 * @internal
 */
export function seccompInstallerArgs(
    name: string,
    namespace: pulumi.Input<string>,
    labels: Readonly<Record<string, string>>,
    configMapName: pulumi.Input<string>,
    args: BuildSeccompDeliveryArgs,
): k8s.apps.v1.DaemonSetArgs {
    const image = args.installerImage ?? BUILD_RUNNER_DEFAULTS.installerImage;
    const target = BUILD_RUNNER_DEFAULTS.seccompLocalhostProfile;
    const targetDir = target.split("/").slice(0, -1).join("/");
    return {
        metadata: { namespace, labels },
        spec: {
            selector: { matchLabels: { app: name } },
            template: {
                metadata: { labels },
                spec: {
                    automountServiceAccountToken: false,
                    nodeSelector: { ...(args.nodeSelector ?? BUILD_RUNNER_DEFAULTS.nodeSelector) },
                    // Writing into the kubelet's root-owned directory is all it does: uid 0 for that
                    // one hostPath, nothing else (no capabilities, read-only rootfs).
                    securityContext: { seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        {
                            name: "install",
                            image,
                            imagePullPolicy: pullPolicyFor(image),
                            command: [
                                "sh",
                                "-c",
                                // Written beside and renamed: the kubelet never reads half a file.
                                `mkdir -p /seccomp/${targetDir} && cp /profile/rootless-buildah.json /seccomp/${target}.tmp && ` +
                                    `mv /seccomp/${target}.tmp /seccomp/${target} && exec sleep 2147483647`,
                            ],
                            securityContext: {
                                runAsUser: 0,
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                capabilities: { drop: ["ALL"] },
                            },
                            resources: {
                                requests: { cpu: "5m", memory: "8Mi" },
                                limits: { cpu: "50m", memory: "32Mi" },
                            },
                            volumeMounts: [
                                { name: "profile", mountPath: "/profile", readOnly: true },
                                { name: "seccomp", mountPath: "/seccomp" },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "profile", configMap: { name: configMapName } },
                        { name: "seccomp", hostPath: { path: "/var/lib/kubelet/seccomp", type: "DirectoryOrCreate" } },
                    ],
                },
            },
        },
    };
}
