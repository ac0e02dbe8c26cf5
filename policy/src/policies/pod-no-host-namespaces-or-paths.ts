import { containerLabel, describe } from "../lib/kube";
import { dict, list, str } from "../lib/values";
import { podPolicy } from "./pod-common";

/** No pod shares the node's network, PID or IPC namespace, mounts a hostPath or binds a host port. */
export const podNoHostNamespacesOrPaths = podPolicy({
    name: "pod-no-host-namespaces-or-paths",
    description:
        "No pod sets hostNetwork, hostPID or hostIPC, mounts a hostPath volume, or binds a container port to a hostPort.",
    remediationSteps:
        "Remove hostNetwork/hostPID/hostIPC, replace hostPath volumes with emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret, and expose ports through a Service instead of hostPort.",
    checkPod: (pod, subject, report) => {
        for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
            if (pod.spec[field] === true) {
                report(
                    `${describe(subject)}: the pod shares the node's ${field.slice(4)} namespace (${pod.path}.${field}: true). ` +
                        `Fix: remove ${field} (or set it to false); reach other pods through Services.`,
                );
            }
        }
        list(pod.spec.volumes).forEach((entry, index) => {
            const volume = dict(entry);
            const hostPath = dict(volume?.hostPath);
            if (volume && hostPath) {
                report(
                    `${describe(subject)}: volume "${str(volume.name) ?? `#${index}`}" (${pod.path}.volumes[${index}]) mounts hostPath ${str(hostPath.path) ?? "(unknown path)"} from the node. ` +
                        "Fix: use an emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret instead of a hostPath volume.",
                );
            }
        });
    },
    checkContainer: (ref, _pod, subject, report) => {
        list(ref.container.ports).forEach((entry, index) => {
            const hostPort = dict(entry)?.hostPort;
            if (typeof hostPort === "number" && hostPort !== 0) {
                report(
                    `${describe(subject)}: ${containerLabel(ref)} binds host port ${hostPort} (ports[${index}].hostPort). ` +
                        "Fix: remove hostPort and expose the port through a ClusterIP Service.",
                );
            }
        });
    },
});
