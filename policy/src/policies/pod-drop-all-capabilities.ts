import { containerLabel, describe } from "../lib/kube";
import { at, isUnknown, list } from "../lib/values";
import { podPolicy, securityContextOf } from "./pod-common";

/** The only capability the restricted profile lets a container add back. */
const ADDABLE = new Set(["NET_BIND_SERVICE"]);

/** Every container drops ALL capabilities and adds back at most NET_BIND_SERVICE. */
export const podDropAllCapabilities = podPolicy({
    name: "pod-drop-all-capabilities",
    description:
        'Every container has securityContext.capabilities.drop: ["ALL"] and adds back nothing but NET_BIND_SERVICE.',
    remediationSteps:
        'Set securityContext.capabilities: { drop: ["ALL"] } and remove other entries from capabilities.add.',
    checkContainer: (ref, _pod, subject, report) => {
        const security = securityContextOf(ref);
        const drop = at(security, "capabilities", "drop");
        const add = at(security, "capabilities", "add");
        if (!isUnknown(drop)) {
            const dropped = list(drop).map((c) => String(c).toUpperCase());
            if (!dropped.includes("ALL")) {
                report(
                    `${describe(subject)}: ${containerLabel(ref)} keeps the runtime's default capabilities (securityContext.capabilities.drop ${dropped.length === 0 ? "is not set" : `is [${dropped.join(", ")}]`}). ` +
                        'Fix: set securityContext.capabilities.drop: ["ALL"].',
                );
            }
        }
        if (!isUnknown(add)) {
            const added = list(add)
                .map((c) => String(c).toUpperCase())
                .filter((c) => !ADDABLE.has(c.replace(/^CAP_/, "")));
            if (added.length > 0) {
                report(
                    `${describe(subject)}: ${containerLabel(ref)} adds capabilities ${added.join(", ")} (securityContext.capabilities.add). ` +
                        "Fix: remove them; only NET_BIND_SERVICE may be added back, and an unprivileged port (>= 1024) needs none.",
                );
            }
        }
    },
});
