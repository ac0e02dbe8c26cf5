import { containerLabel, describe } from "../lib/kube";
import { at, isUnknown } from "../lib/values";
import { podPolicy } from "./pod-common";

const REQUIRED = [
    ["requests", "cpu"],
    ["requests", "memory"],
    ["limits", "cpu"],
    ["limits", "memory"],
] as const;

/** Every container and init container sets CPU and memory requests and limits. */
export const podResourceRequestsAndLimits = podPolicy({
    name: "pod-resource-requests-and-limits",
    description:
        "Every container and init container sets resources.requests and resources.limits for both cpu and memory (ephemeral containers cannot have resources).",
    remediationSteps:
        "Set resources: { requests: { cpu, memory }, limits: { cpu, memory } } on every container (resourceRequirements() in components/workload.ts gives defaults).",
    checkContainer: (ref, _pod, subject, report) => {
        if (ref.list === "ephemeralContainers") {
            return;
        }
        const missing = REQUIRED.filter(([kind, resource]) => {
            const value = at(ref.container, "resources", kind, resource);
            return value === undefined || value === null || value === "";
        }).map(([kind, resource]) => `resources.${kind}.${resource}`);
        if (missing.length > 0 && !isUnknown(ref.container.resources)) {
            report(
                `${describe(subject)}: ${containerLabel(ref)} does not set ${missing.join(", ")}. ` +
                    "Fix: set CPU and memory requests (what the scheduler reserves) and limits (what the node enforces), e.g. requests 100m/128Mi, limits 500m/256Mi.",
            );
        }
    },
});
