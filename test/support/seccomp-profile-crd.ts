/**
 * The Security Profiles Operator's `SeccompProfile` API (group security-profiles-operator.x-k8s.io,
 * version v1beta1, cluster-scoped since SPO 0.9), for a local control plane that stands in for a
 * cluster running the operator: staging and production deliver the build runner's seccomp profile
 * through it. Only the API is registered (a stand-in for the operator's install, whose images no
 * registry here serves); nothing writes profiles to nodes or fills the status, so the build runner
 * falls back to the path the operator documents.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const CRD = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "seccompprofiles.security-profiles-operator.x-k8s.io" },
    spec: {
        group: "security-profiles-operator.x-k8s.io",
        scope: "Cluster",
        names: {
            kind: "SeccompProfile",
            listKind: "SeccompProfileList",
            plural: "seccompprofiles",
            singular: "seccompprofile",
        },
        versions: [
            {
                name: "v1beta1",
                served: true,
                storage: true,
                subresources: { status: {} },
                schema: {
                    openAPIV3Schema: {
                        type: "object",
                        properties: {
                            spec: {
                                type: "object",
                                required: ["defaultAction"],
                                properties: {
                                    defaultAction: { type: "string" },
                                    architectures: { type: "array", items: { type: "string" } },
                                    syscalls: {
                                        type: "array",
                                        items: {
                                            type: "object",
                                            required: ["action", "names"],
                                            properties: {
                                                action: { type: "string" },
                                                names: { type: "array", items: { type: "string" } },
                                                errnoRet: { type: "integer" },
                                                args: {
                                                    type: "array",
                                                    items: {
                                                        type: "object",
                                                        "x-kubernetes-preserve-unknown-fields": true,
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            },
                            status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                        },
                    },
                },
            },
        ],
    },
};

/** Writes the CRD into `dir` and returns the kubectl arguments that create it and wait until it is served. */
export function seccompProfileCrdCommands(dir: string): string[][] {
    const path = join(dir, "seccompprofile-crd.json");
    writeFileSync(path, JSON.stringify(CRD));
    return [
        ["create", "-f", path],
        ["wait", "--for=condition=Established", "--timeout=60s", `crd/${CRD.metadata.name}`],
    ];
}
