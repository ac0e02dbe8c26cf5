/**
 * The containers.conf this machine's podman and buildah need, for tests only and never in what
 * users run: runc (crun fails on setrlimit here and refuses the hybrid cgroups), and ulimits root
 * may set (it lacks CAP_SYS_RESOURCE for podman's defaults).
 */
export const TEST_CONTAINERS_CONF = [
    "[containers]",
    'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
    "[engine]",
    'runtime = "runc"',
    "",
].join("\n");
