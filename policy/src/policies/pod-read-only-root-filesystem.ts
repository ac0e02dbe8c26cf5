import { containerLabel, describe } from "../lib/kube";
import { isUnknown } from "../lib/values";
import { podPolicy, securityContextOf } from "./pod-common";

/** Every container's root filesystem is read-only; writable paths are explicit volumes. */
export const podReadOnlyRootFilesystem = podPolicy({
    name: "pod-read-only-root-filesystem",
    description: "Every container sets securityContext.readOnlyRootFilesystem: true.",
    remediationSteps:
        "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes (e.g. /tmp), as the platform's components do.",
    checkContainer: (ref, _pod, subject, report) => {
        const value = securityContextOf(ref).readOnlyRootFilesystem;
        if (value !== true && !isUnknown(value)) {
            report(
                `${describe(subject)}: ${containerLabel(ref)} has a writable root filesystem (securityContext.readOnlyRootFilesystem is ${value === false ? "false" : "not set"}). ` +
                    "Fix: set securityContext.readOnlyRootFilesystem: true and mount an emptyDir volume on the paths it writes to (e.g. /tmp).",
            );
        }
    },
});
