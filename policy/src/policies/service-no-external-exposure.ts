import type { ResourceValidationPolicy } from "@pulumi/policy";

import { describe, isKube, objectKey } from "../lib/kube";
import { stringList, subjectOf } from "../lib/policy";
import { dict, isUnknown, list } from "../lib/values";

const EXPOSED_TYPES = new Set(["LoadBalancer", "NodePort"]);

/** Services stay inside the cluster unless pack config names them as allowed. */
export const serviceNoExternalExposure: ResourceValidationPolicy = {
    name: "service-no-external-exposure",
    description:
        "No Service is of type LoadBalancer or NodePort, or lists externalIPs, unless the stack's pack config allows it by namespace/name (config `allowed`).",
    remediationSteps:
        'Use type ClusterIP and reach the service through the platform\'s router or an Ingress; if a stack really must expose it, add "namespace/name" to service-no-external-exposure.allowed in policy/config/<stack>.json.',
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowed: {
                type: "array",
                items: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$" },
                default: [],
                description:
                    "Services allowed to be LoadBalancer/NodePort/externalIPs, as namespace/name (metadata.name, or the Pulumi resource name when the Service is auto-named; namespace default when unset).",
            },
        },
    },
    validateResource: (args, reportViolation) => {
        if (!isKube(args.type, "core", "Service")) {
            return;
        }
        const subject = subjectOf(args);
        const spec = dict(subject.props.spec) ?? {};
        const key = objectKey(subject);
        if (stringList(args.getConfig<Record<string, unknown>>(), "allowed").includes(key)) {
            return;
        }
        const type = spec.type;
        if (typeof type === "string" && EXPOSED_TYPES.has(type)) {
            reportViolation(
                `${describe(subject)} is of type ${type} (spec.type), which exposes it outside the cluster. ` +
                    `Fix: use type ClusterIP behind the router or an Ingress; if this stack must expose it, add "${key}" to service-no-external-exposure.allowed in the stack's policy config.`,
            );
        }
        const externalIPs = spec.externalIPs;
        if (!isUnknown(externalIPs) && list(externalIPs).length > 0) {
            reportViolation(
                `${describe(subject)} lists spec.externalIPs, which routes node traffic for those addresses to it. ` +
                    `Fix: remove spec.externalIPs; if this stack must expose it, add "${key}" to service-no-external-exposure.allowed in the stack's policy config.`,
            );
        }
    },
};
