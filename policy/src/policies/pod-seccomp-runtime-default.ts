import { containerLabel, describe } from "../lib/kube";
import { at, isUnknown, shown } from "../lib/values";
import { podPolicy, securityContextOf } from "./pod-common";

/** Every container runs under the RuntimeDefault seccomp profile (its own or the pod's). */
export const podSeccompRuntimeDefault = podPolicy({
    name: "pod-seccomp-runtime-default",
    description:
        "Every container runs with seccompProfile.type RuntimeDefault, set on the pod (spec.securityContext) or on the container.",
    remediationSteps:
        'Set spec.securityContext.seccompProfile: { type: "RuntimeDefault" } on the pod and no other profile on its containers.',
    checkContainer: (ref, podSecurity, subject, report) => {
        const own = at(securityContextOf(ref), "seccompProfile", "type");
        const pod = at(podSecurity, "seccompProfile", "type");
        const effective = own ?? pod;
        if (isUnknown(effective) || effective === "RuntimeDefault") {
            return;
        }
        const where =
            own !== undefined
                ? `its securityContext.seccompProfile.type is "${shown(own)}"`
                : pod !== undefined
                  ? `the pod's spec.securityContext.seccompProfile.type is "${shown(pod)}"`
                  : "no seccompProfile is set on the container or the pod (the runtime may run it Unconfined)";
        report(
            `${describe(subject)}: ${containerLabel(ref)} is not confined by RuntimeDefault seccomp: ${where}. ` +
                'Fix: set seccompProfile: { type: "RuntimeDefault" } in the pod\'s securityContext and remove other profiles from the container.',
        );
    },
});
