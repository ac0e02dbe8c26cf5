import { containerLabel, describe } from "../lib/kube";
import { isUnknown } from "../lib/values";
import { podPolicy, securityContextOf } from "./pod-common";

/** Every container runs as a non-root user, required at pod or container level. */
export const podRunAsNonRoot = podPolicy({
    name: "pod-run-as-non-root",
    description:
        "Every container has runAsNonRoot: true (in its own securityContext or the pod's) and no runAsUser: 0.",
    remediationSteps:
        "Set spec.securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod (restrictedPodSecurityContext() does), or per container.",
    checkContainer: (ref, podSecurity, subject, report) => {
        const own = securityContextOf(ref);
        const nonRoot = own.runAsNonRoot ?? podSecurity.runAsNonRoot;
        const user = own.runAsUser ?? podSecurity.runAsUser;
        if (isUnknown(nonRoot) || isUnknown(user)) {
            return;
        }
        if (user === 0) {
            report(
                `${describe(subject)}: ${containerLabel(ref)} runs as uid 0 (runAsUser: 0 ${own.runAsUser === 0 ? "in its securityContext" : "in the pod's securityContext"}). ` +
                    "Fix: run as a non-root uid (e.g. runAsUser: 10001) with runAsNonRoot: true.",
            );
        } else if (nonRoot !== true) {
            report(
                `${describe(subject)}: ${containerLabel(ref)} may run as root: runAsNonRoot is ${nonRoot === false ? "false" : "set neither on the container nor on the pod"}. ` +
                    "Fix: set spec.securityContext.runAsNonRoot: true (pod) or securityContext.runAsNonRoot: true (container), with a non-root runAsUser.",
            );
        }
    },
});
