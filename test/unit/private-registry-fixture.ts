/**
 * What the PrivateRegistry unit tests share: the component's arguments, the type tokens of its
 * children, the restricted security contexts it must set, and readers of its pod spec.
 */
import assert from "node:assert/strict";

import type * as pulumi from "@pulumi/pulumi";

import type { PrivateRegistryArgs } from "../../components/registry/private-registry";

export type Obj = Record<string, unknown>;
export const get = (value: unknown, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>((v, key) => (v as Obj | undefined)?.[key as string], value);

export const COMPONENT = "cicd:registry:PrivateRegistry";
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SERVICE = "kubernetes:core/v1:Service";
export const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
export const SECRET = "kubernetes:core/v1:Secret";
export const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
export const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const CRONJOB = "kubernetes:batch/v1:CronJob";

export const base: PrivateRegistryArgs = {
    namespace: "registry",
    pushPassword: "push-password-0001",
    pullPassword: "pull-password-0001",
    httpSecret: "0123456789abcdef0123456789abcdef",
    pushNamespaces: ["ci"],
    pullNamespaces: ["apps", "monitoring"],
};
/** The lowest cost keeps tests that do not look at the hash quick on a busy machine. */
export const fast: PrivateRegistryArgs = { ...base, bcryptCost: 4 };

export const RESTRICTED_CONTAINER = {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};
export const RESTRICTED_POD = {
    runAsNonRoot: true,
    runAsUser: 10001,
    runAsGroup: 10001,
    fsGroup: 10001,
    seccompProfile: { type: "RuntimeDefault" },
    fsGroupChangePolicy: "OnRootMismatch",
};

/** Records the resource options each child gets: mocks do not see retainOnDelete or protect. */
export function withOptions(): { options: Map<string, pulumi.ResourceOptions>; opts: pulumi.ComponentResourceOptions } {
    const options = new Map<string, pulumi.ResourceOptions>();
    return {
        options,
        opts: {
            transformations: [
                (child) => {
                    options.set(`${child.type}::${child.name}`, child.opts);
                    return undefined;
                },
            ],
        },
    };
}

export function podSpec(resource: { inputs: Obj }, ...prefix: string[]): Obj {
    return get(resource.inputs, ...prefix, "spec", "template", "spec") as Obj;
}

export function containerNamed(spec: Obj, name: string): Obj {
    const found = (spec.containers as Obj[]).find((c) => c.name === name);
    assert.ok(found, `container ${name}`);
    return found;
}
