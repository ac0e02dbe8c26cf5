import { containerLabel, describe } from "../lib/kube";
import { podPolicy, securityContextOf } from "./pod-common";

/** No container runs privileged: a privileged container is root on the node. */
export const podNoPrivilegedContainers = podPolicy({
    name: "pod-no-privileged-containers",
    description: "No container (regular, init or ephemeral) of any workload runs with securityContext.privileged.",
    remediationSteps:
        "Set securityContext.privileged: false (or leave it out). Rootless Buildah/Podman builds need no privileges; use restrictedContainerSecurityContext() from components/workload.ts.",
    checkContainer: (ref, _pod, subject, report) => {
        if (securityContextOf(ref).privileged === true) {
            report(
                `${describe(subject)}: ${containerLabel(ref)} sets securityContext.privileged: true, which gives it every device and capability of the node. ` +
                    "Fix: set securityContext.privileged to false; build images rootless (Buildah with BUILDAH_ISOLATION=chroot) instead of with a privileged container.",
            );
        }
    },
});
