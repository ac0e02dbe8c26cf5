import type { StackValidationPolicy } from "@pulumi/policy";

import { describe, isKube } from "../lib/kube";
import { parseUpstreams } from "../lib/nginx";
import { stackSubjects } from "../lib/policy";
import { dict, isUnknown, stringEntries } from "../lib/values";

export const CANARY_RELEASE_TYPE = "cicd:release:CanaryRelease";
export const WEIGHTED_UPSTREAM_TYPE = "cicd:traffic:WeightedUpstream";

function isPercent(value: unknown): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 100;
}

/**
 * Each canary release splits exactly 100%: its `weights` output (stable, canary) are integer
 * percentages that sum to 100, and the router ConfigMap it renders carries the same split.
 */
export const canaryPercentInRange: StackValidationPolicy = {
    name: "canary-percent-in-range",
    description:
        "Every cicd:release:CanaryRelease reports weights (stable, canary) that are integers 0-100 summing to 100, and every upstream in the nginx.conf ConfigMap of a cicd:traffic:WeightedUpstream has active server weights summing to 100.",
    remediationSteps:
        "Set the app's canaryPercent to an integer 0-100 in the stack config (the controller moves it step by step) and let WeightedUpstream render the router config; do not edit the router ConfigMap by hand.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const subject of stackSubjects(args)) {
            if (subject.type === CANARY_RELEASE_TYPE) {
                const weights = dict(subject.props.weights);
                if (!weights) {
                    continue; // outputs not registered (yet): the router ConfigMap is still checked below
                }
                const { stable, canary } = weights;
                if (isUnknown(stable) || isUnknown(canary)) {
                    continue;
                }
                if (!isPercent(stable) || !isPercent(canary) || stable + canary !== 100) {
                    reportViolation(
                        `Canary release "${subject.name}" splits traffic stable ${String(stable)} / canary ${String(canary)} (its weights output); both must be integers 0-100 that sum to 100. ` +
                            "Fix: set the app's canaryPercent in the stack config to an integer between 0 and 100.",
                        subject.urn,
                    );
                }
                continue;
            }
            if (isKube(subject.type, "core", "ConfigMap") && subject.ancestors.includes(WEIGHTED_UPSTREAM_TYPE)) {
                for (const [key, text] of stringEntries(subject.props.data)) {
                    for (const upstream of parseUpstreams(text)) {
                        const active = upstream.servers.filter((s) => !s.inactive);
                        const weights = active.map((s) => Number(s.weight ?? "1"));
                        const total = weights.reduce((sum, w) => sum + w, 0);
                        if (active.length > 0 && (total !== 100 || weights.some((w) => !isPercent(w)))) {
                            reportViolation(
                                `${describe(subject)}: data["${key}"] upstream ${upstream.name} splits ${weights.join(" + ")} = ${String(total)}, not 100 percent. ` +
                                    "Fix: render it with WeightedUpstream from one canaryPercent (0-100) instead of editing the weights.",
                                subject.urn,
                            );
                        }
                    }
                }
            }
        }
    },
};
