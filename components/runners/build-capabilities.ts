/**
 * The only capabilities a build container gets, all namespaced (the pod has its own user
 * namespace): SETUID and SETGID let Buildah map the image's owners and call setgroups for RUN
 * steps; SETFCAP is needed to map uid 0 into a nested user namespace on kernels from 5.12 on.
 * Pulumi-free: the policy pack checks runner configs against the same list.
 */
export const BUILD_CAPABILITIES: readonly string[] = ["SETUID", "SETGID", "SETFCAP"];
