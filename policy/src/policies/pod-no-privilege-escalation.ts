import { containerLabel, describe } from "../lib/kube";
import { isUnknown } from "../lib/values";
import { podPolicy, securityContextOf } from "./pod-common";

/** allowPrivilegeEscalation must be explicitly false: Kubernetes defaults it to true. */
export const podNoPrivilegeEscalation = podPolicy({
    name: "pod-no-privilege-escalation",
    description:
        "Every container sets securityContext.allowPrivilegeEscalation: false explicitly (Kubernetes defaults it to true; setuid binaries could gain root).",
    remediationSteps:
        "Set securityContext.allowPrivilegeEscalation: false on every container, init containers included.",
    checkContainer: (ref, _pod, subject, report) => {
        const value = securityContextOf(ref).allowPrivilegeEscalation;
        if (value !== false && !isUnknown(value)) {
            report(
                `${describe(subject)}: ${containerLabel(ref)} ${value === true ? "sets securityContext.allowPrivilegeEscalation: true" : "does not set securityContext.allowPrivilegeEscalation (the default is true)"}. ` +
                    "Fix: set securityContext.allowPrivilegeEscalation: false.",
            );
        }
    },
});
