/**
 * Pure renderer of GitLab Runner's `config.toml`, for the Kubernetes executor (job pods in the
 * cluster) and for a Podman host (the docker executor talking to rootless Podman's socket). Both
 * render `privileged = false`: no runner of this platform can start a privileged container.
 */

import { BUILD_RUNNER_DEFAULTS, RUNNER_DEFAULTS } from "../shared/defaults";
import { runnerTokenProblem } from "../shared/validators";

import { BUILD_CAPABILITIES } from "./build-capabilities";

/**
 * A TOML basic string; JSON's escapes are a subset TOML accepts.
 * @internal
 */
export function tomlString(value: string): string {
    return JSON.stringify(value);
}

function tomlStrings(values: readonly string[]): string {
    return `[${values.map(tomlString).join(", ")}]`;
}

/** S3-compatible distributed cache; omit for none. */
export interface RunnerCacheOptions {
    readonly serverAddress: string;
    readonly bucketName: string;
    readonly accessKey: string;
    readonly secretKey: string;
    /** @default true */
    readonly shared?: boolean;
}

interface CommonRunnerOptions {
    /** Name shown in GitLab. */
    readonly name: string;
    /** GitLab base URL, e.g. `https://gitlab.example.com`. */
    readonly url: string;
    /** Runner authentication token (`glrt-…`) created by `gitlab.UserRunner`. */
    readonly token: string;
    /** Jobs this runner process runs at once. @default {@link RUNNER_DEFAULTS}.concurrent */
    readonly concurrent?: number;
    /** Default job image. */
    readonly image: string;
    readonly cache?: RunnerCacheOptions;
}

export interface KubernetesRunnerOptions extends CommonRunnerOptions {
    /** Namespace the job pods are created in. */
    readonly namespace: string;
    /** Service account of the job pods (not the runner's own). @default {@link RUNNER_DEFAULTS}.jobServiceAccount */
    readonly jobServiceAccount?: string;
    /** Non-root uid the job containers run as. @default {@link RUNNER_DEFAULTS}.jobUid */
    readonly jobUid?: number;
    readonly cpuRequest?: string;
    readonly cpuLimit?: string;
    readonly memoryRequest?: string;
    readonly memoryLimit?: string;
    /**
     * `general`: every container restricted (Pod Security `restricted`). `build`: the build
     * container runs as uid 0 of the pod's own user namespace with SETUID, SETGID and SETFCAP and
     * the Localhost seccomp profile, so rootless Buildah can build (Pod Security `baseline`).
     * @default "general"
     */
    readonly role?: "general" | "build";
    /** Build role: the Localhost seccomp profile's path under the kubelet's seccomp directory. @default {@link BUILD_RUNNER_DEFAULTS}.seccompLocalhostProfile */
    readonly seccompLocalhostProfile?: string;
    /** Build role: the AppArmor profile loaded on the nodes that lets the build mount; none when unset. */
    readonly appArmorLocalhostProfile?: string;
    /** Build role: node labels of the nodes that have the seccomp profile. @default {@link BUILD_RUNNER_DEFAULTS}.nodeSelector */
    readonly nodeSelector?: Readonly<Record<string, string>>;
}

export interface PodmanRunnerOptions extends CommonRunnerOptions {
    /** Uid of the rootless user whose Podman socket the runner talks to. @default {@link RUNNER_DEFAULTS}.podmanUid */
    readonly podmanUid?: number;
}

function validateCommon(options: CommonRunnerOptions): void {
    if (!/^https?:\/\/[^\s"]+$/.test(options.url)) {
        throw new Error(`url: "${options.url}" is not an http(s) URL`);
    }
    // Registration tokens (GitLab < 16) are gone; only runner authentication tokens work now.
    const tokenProblem = runnerTokenProblem(options.token);
    if (tokenProblem !== undefined) {
        throw new Error(`token: ${tokenProblem}`);
    }
    const concurrent = options.concurrent ?? RUNNER_DEFAULTS.concurrent;
    if (!Number.isInteger(concurrent) || concurrent < 1) {
        throw new Error(`concurrent: ${concurrent} must be a positive integer`);
    }
    if (/(^|[:/])latest$/.test(options.image) || !/[:@]/.test(options.image.split("/").at(-1) ?? "")) {
        throw new Error(`image: "${options.image}" must be pinned to a tag or digest other than latest`);
    }
}

function header(options: CommonRunnerOptions): string[] {
    return [
        `concurrent = ${options.concurrent ?? RUNNER_DEFAULTS.concurrent}`,
        "check_interval = 3",
        "shutdown_timeout = 30",
        "",
        "[[runners]]",
        `  name = ${tomlString(options.name)}`,
        `  url = ${tomlString(options.url)}`,
        `  token = ${tomlString(options.token)}`,
    ];
}

function cacheSection(cache: RunnerCacheOptions | undefined): string[] {
    if (cache === undefined) {
        return [];
    }
    return [
        "  [runners.cache]",
        '    Type = "s3"',
        `    Shared = ${String(cache.shared ?? true)}`,
        "    [runners.cache.s3]",
        `      ServerAddress = ${tomlString(cache.serverAddress)}`,
        `      BucketName = ${tomlString(cache.bucketName)}`,
        `      AccessKey = ${tomlString(cache.accessKey)}`,
        `      SecretKey = ${tomlString(cache.secretKey)}`,
    ];
}

/** Build container settings for rootless Buildah/Podman without privileges (as the seed intends). */
const ROOTLESS_BUILD_ENV = ["BUILDAH_ISOLATION=chroot", "STORAGE_DRIVER=vfs"];

const PROFILE_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\.json$/;

/** The pod_spec patch: a user namespace per job pod, no API token, and the pod's seccomp profile. */
function podSpecPatch(role: "general" | "build", options: KubernetesRunnerOptions): string[] {
    const seccomp =
        role === "general"
            ? ["          seccompProfile:", "            type: RuntimeDefault"]
            : [
                  "          seccompProfile:",
                  "            type: Localhost",
                  `            localhostProfile: ${tomlString(
                      options.seccompLocalhostProfile ?? BUILD_RUNNER_DEFAULTS.seccompLocalhostProfile,
                  )}`,
                  ...(options.appArmorLocalhostProfile === undefined
                      ? []
                      : [
                            "          appArmorProfile:",
                            "            type: Localhost",
                            `            localhostProfile: ${tomlString(options.appArmorLocalhostProfile)}`,
                        ]),
              ];
    return [
        "    [[runners.kubernetes.pod_spec]]",
        `      name = ${tomlString(role === "general" ? "restricted-userns" : "rootless-build-userns")}`,
        '      patch_type = "strategic"',
        "      patch = '''",
        "        hostUsers: false",
        "        automountServiceAccountToken: false",
        "        securityContext:",
        ...seccomp,
        "      '''",
    ];
}

function validateBuildOptions(options: KubernetesRunnerOptions): void {
    const profile = options.seccompLocalhostProfile ?? BUILD_RUNNER_DEFAULTS.seccompLocalhostProfile;
    if (!PROFILE_PATH.test(profile) || profile.split("/").some((segment) => /^\.+$/.test(segment))) {
        throw new Error(
            `seccompLocalhostProfile: "${profile}" must be a relative path of a .json file under the kubelet's seccomp directory`,
        );
    }
    const appArmor = options.appArmorLocalhostProfile;
    if (appArmor !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(appArmor)) {
        throw new Error(`appArmorLocalhostProfile: "${appArmor}" must be the name of a loaded AppArmor profile`);
    }
    for (const [key, value] of Object.entries(options.nodeSelector ?? {})) {
        if (!/^([a-z0-9.-]+\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(key) || !/^[A-Za-z0-9._-]{0,63}$/.test(value)) {
            throw new Error(`nodeSelector: "${key}=${value}" is not a node label`);
        }
    }
}

export function renderKubernetesRunnerConfig(options: KubernetesRunnerOptions): string {
    validateCommon(options);
    const uid = options.jobUid ?? RUNNER_DEFAULTS.jobUid;
    if (!Number.isInteger(uid) || uid < 1) {
        throw new Error(`jobUid: ${uid} must be a non-root uid`);
    }
    const role: string = options.role ?? "general";
    if (role !== "general" && role !== "build") {
        throw new Error(`role: "${role}" must be "general" or "build"`);
    }
    if (role === "build") {
        validateBuildOptions(options);
    }
    const dropAll = (section: string): string[] => [
        `    [runners.kubernetes.${section}]`,
        `      run_as_non_root = true`,
        `      run_as_user = ${uid}`,
        `      [runners.kubernetes.${section}.capabilities]`,
        '        drop = ["ALL"]',
    ];
    // uid 0 of the pod's own user namespace (an unprivileged uid on the node): Buildah maps the
    // image's owners and calls setgroups, which only a uid with SETUID/SETGID in that namespace can.
    const buildContainer =
        role === "general"
            ? dropAll("build_container_security_context")
            : [
                  "    [runners.kubernetes.build_container_security_context]",
                  "      run_as_non_root = false",
                  "      run_as_user = 0",
                  "      run_as_group = 0",
                  "      privileged = false",
                  "      allow_privilege_escalation = false",
                  "      [runners.kubernetes.build_container_security_context.capabilities]",
                  '        drop = ["ALL"]',
                  `        add = ${tomlStrings(BUILD_CAPABILITIES)}`,
              ];
    const nodeSelector =
        role === "build" ? Object.entries(options.nodeSelector ?? BUILD_RUNNER_DEFAULTS.nodeSelector) : [];
    return [
        ...header(options),
        '  executor = "kubernetes"',
        `  environment = ${tomlStrings(ROOTLESS_BUILD_ENV)}`,
        ...cacheSection(options.cache),
        // The pod_spec patch below (user namespace, seccomp) applies only with this flag. Set here
        // rather than in the environment, a job's own variables cannot switch it off.
        "  [runners.feature_flags]",
        "    FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = true",
        "  [runners.kubernetes]",
        `    namespace = ${tomlString(options.namespace)}`,
        `    image = ${tomlString(options.image)}`,
        "    privileged = false",
        "    allow_privilege_escalation = false",
        '    cap_drop = ["ALL"]',
        `    service_account = ${tomlString(options.jobServiceAccount ?? RUNNER_DEFAULTS.jobServiceAccount)}`,
        `    cpu_request = ${tomlString(options.cpuRequest ?? RUNNER_DEFAULTS.jobResources.cpuRequest)}`,
        `    cpu_limit = ${tomlString(options.cpuLimit ?? RUNNER_DEFAULTS.jobResources.cpuLimit)}`,
        `    memory_request = ${tomlString(options.memoryRequest ?? RUNNER_DEFAULTS.jobResources.memoryRequest)}`,
        `    memory_limit = ${tomlString(options.memoryLimit ?? RUNNER_DEFAULTS.jobResources.memoryLimit)}`,
        `    helper_cpu_limit = ${tomlString(RUNNER_DEFAULTS.helperLimits.cpu)}`,
        `    helper_memory_limit = ${tomlString(RUNNER_DEFAULTS.helperLimits.memory)}`,
        "    poll_timeout = 180",
        // Only nodes with the seccomp profile installed can start a build pod.
        ...(nodeSelector.length === 0
            ? []
            : [
                  "    [runners.kubernetes.node_selector]",
                  ...nodeSelector.map(([key, value]) => `      ${tomlString(key)} = ${tomlString(value)}`),
              ]),
        "    [runners.kubernetes.pod_security_context]",
        // The build role's build container runs as uid 0 of the pod's user namespace, so the pod as a
        // whole cannot promise non-root; every other container still does, in its own section.
        ...(role === "general" ? ["      run_as_non_root = true"] : []),
        `      run_as_user = ${uid}`,
        `      run_as_group = ${uid}`,
        `      fs_group = ${uid}`,
        // The executor also starts an `init-permissions` container (helper image) in every job
        // pod. Without its own section it gets only the executor's default `drop = ["NET_RAW"]`,
        // and Pod Security `restricted` refuses the whole pod; `cap_drop` covers any container
        // kind a later gitlab-runner adds before it has a section here.
        ...dropAll("init_permissions_container_security_context"),
        ...buildContainer,
        ...dropAll("helper_container_security_context"),
        ...dropAll("service_container_security_context"),
        // A user namespace per job pod: uid 0 and the capabilities inside it are not the node's.
        // Jobs get no API token: the manager talks to the API server, a job's script has no
        // business there.
        ...podSpecPatch(role, options),
        "",
    ].join("\n");
}

/**
 * Where rootless Podman's API socket (`systemctl --user enable --now podman.socket`) listens for the
 * user with this uid.
 * @internal
 */
export function podmanSocketPath(uid: number): string {
    return `/run/user/${uid}/podman/podman.sock`;
}

/**
 * The seed's host runner, corrected: it set `runtime = "podman"`, but `runtime` names an OCI
 * runtime (runc, crun) for the Docker daemon. The docker executor reaches rootless Podman through
 * its Docker-compatible socket instead.
 */
export function renderPodmanRunnerConfig(options: PodmanRunnerOptions): string {
    validateCommon(options);
    const uid = options.podmanUid ?? RUNNER_DEFAULTS.podmanUid;
    if (!Number.isInteger(uid) || uid < 1) {
        throw new Error(`podmanUid: ${uid} must be the uid of a rootless user`);
    }
    return [
        ...header(options),
        '  executor = "docker"',
        `  environment = ${tomlStrings(ROOTLESS_BUILD_ENV)}`,
        ...cacheSection(options.cache),
        "  [runners.docker]",
        `    host = ${tomlString(`unix://${podmanSocketPath(uid)}`)}`,
        "    tls_verify = false",
        `    image = ${tomlString(options.image)}`,
        "    privileged = false",
        '    cap_drop = ["ALL"]',
        '    security_opt = ["no-new-privileges"]',
        "    disable_cache = false",
        '    volumes = ["/cache"]',
        '    pull_policy = ["if-not-present"]',
        "",
    ].join("\n");
}
