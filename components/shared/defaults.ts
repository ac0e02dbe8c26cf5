/**
 * The one home of every default value. The config schema's `.default(...)` and the components' `??`
 * both read these constants, so a stack that omits a key and a program that omits an argument get the
 * same thing. Pulumi-free: the schema, the canary command and the preview summary import it too.
 */

/** A release's application workload (both canary and blue-green). */
export const WORKLOAD_DEFAULTS = {
    replicas: 2,
    containerPort: 8080,
    servicePort: 80,
    healthPath: "/healthz",
    metricsPath: "/metrics",
} as const;

/**
 * CPU, memory and ephemeral storage of an application container, and the size of its `/tmp`. The
 * ephemeral-storage limit covers `/tmp` and the container's logs (the kubelet keeps up to 50Mi).
 */
export const APP_RESOURCES = {
    cpuRequest: "100m",
    memoryRequest: "128Mi",
    cpuLimit: "500m",
    memoryLimit: "256Mi",
    ephemeralStorageRequest: "64Mi",
    ephemeralStorageLimit: "512Mi",
    tmpSizeLimit: "64Mi",
} as const;

/**
 * Readiness decides whether a pod gets traffic and reacts fast; liveness restarts a pod only when
 * its process stopped accepting connections for a minute, so an overloaded pod that is merely not
 * ready is left to recover instead of being killed.
 */
export const PROBE_DEFAULTS = {
    readinessPeriodSeconds: 5,
    readinessFailureThreshold: 3,
    livenessPeriodSeconds: 10,
    livenessFailureThreshold: 6,
    livenessTimeoutSeconds: 5,
    livenessInitialDelaySeconds: 10,
} as const;

/** How replicas of one workload are spread: at most one more per node than on any other. */
export const SPREAD_DEFAULTS = {
    topologyKey: "kubernetes.io/hostname",
    maxSkew: 1,
    whenUnsatisfiable: "ScheduleAnyway",
} as const;

/** The nginx weighted upstream's per-server tuning. */
export const UPSTREAM_TUNING_DEFAULTS = {
    maxFails: 3,
    failTimeoutSeconds: 30,
    keepalive: 32,
} as const;

/** The nginx router in front of a canary pair. */
export const ROUTER_DEFAULTS = {
    image: "nginxinc/nginx-unprivileged:1.27.5-alpine",
    replicas: 2,
    containerPort: 8080,
    /** nginx needs little: it only proxies. Ephemeral storage and `/tmp` are APP_RESOURCES'. */
    resources: { cpuRequest: "50m", memoryRequest: "64Mi", cpuLimit: "250m", memoryLimit: "128Mi" },
} as const;

export const CANARY_DEFAULTS = {
    canaryPercent: 0,
    steps: [10, 25, 50, 75, 100] as readonly number[],
    /** No bake window unless a stack asks for one: it lengthens every rollout by that much. */
    bakeSeconds: 0,
    /** With a sticky cookie: one client's requests in a window, as the split check assumes them. */
    stickyRequestsPerClient: 20,
} as const;

/** Thresholds of one canary analysis window. */
export const ANALYSIS_DEFAULTS = {
    maxErrorRatio: 0.01,
    maxRatioVsStable: 1.5,
    ratioFloor: 0.001,
    maxP95Seconds: 0.5,
    minRequests: 50,
    intervalSeconds: 60,
    maxNoDataIntervals: 3,
} as const;

export const BLUE_GREEN_DEFAULTS = {
    gateAttempts: 30,
    gateIntervalSeconds: 2,
    gateExecutor: "command",
} as const;

/**
 * The watch after a blue-green switch (`canary switch`): the seed watched for 60 s and switched back
 * above 1% errors, then waited 10 s for connections to finish before stopping the old colour.
 */
export const BLUE_GREEN_WATCH_DEFAULTS = {
    seconds: 60,
    maxErrorRatio: 0.01,
    maxP95Seconds: 0.5,
    minRequests: 50,
    maxNoDataIntervals: 1,
    drainSeconds: 10,
} as const;

export const NAMESPACE_DEFAULTS = {
    monitoring: "monitoring",
    podSecurityVersion: "latest",
} as const;

export const REGISTRY_CREDENTIAL_DEFAULTS = {
    secretName: "registry-credentials",
    githubSecretPrefix: "REGISTRY",
} as const;

export const PRIVATE_REGISTRY_DEFAULTS = {
    enabled: false,
    namespace: "registry",
    pushNamespaces: ["ci"] as readonly string[],
    pushUsername: "ci-push",
    pullUsername: "cluster-pull",
    image: "registry:2.8.3",
    storageSize: "20Gi",
    servicePort: 5000,
    bcryptCost: 8,
    deleteEnabled: false,
    garbageCollectDeleteUntagged: false,
    allowDataDeletion: false,
    protectData: false,
    resources: { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" },
} as const;

/** One process's Distribution `config.yml`, as renderRegistryConfig writes it. */
export const REGISTRY_CONFIG_DEFAULTS = {
    realm: "cicd-platform-registry",
    deleteEnabled: false,
    readOnly: false,
    logLevel: "info",
    healthCheckIntervalSeconds: 10,
    healthCheckThreshold: 3,
    /** The writer purges uploads abandoned for a week, once a day. */
    uploadPurgeAge: "168h",
    uploadPurgeInterval: "24h",
} as const;

export const GITHUB_DEFAULTS = {
    enabled: false,
    /**
     * Off unless a stack asks: a branch has one protection rule, and two stacks of one repository
     * that both managed it would overwrite each other and delete it on either's destroy.
     */
    protectBranch: false,
    previewEnvironments: true,
    branch: "main",
    previewCheck: "preview",
    requiredApprovals: 1,
    productionWaitTimerMinutes: 0,
} as const;

export const RUNNER_DEFAULTS = {
    concurrent: 4,
    jobImage: "quay.io/buildah/stable:v1.38.1",
    runnerImage: "gitlab/gitlab-runner:alpine-v17.11.1",
    jobServiceAccount: "default",
    jobUid: 1000,
    podmanUid: 1000,
    podmanConfigPath: "~/.gitlab-runner/config.toml",
    sshPort: 22,
    jobResources: { cpuRequest: "250m", cpuLimit: "2", memoryRequest: "512Mi", memoryLimit: "4Gi" },
    /** The helper container beside each job's build container (git, artifacts, cache). */
    helperLimits: { cpu: "500m", memory: "256Mi" },
    /** The runner manager itself: it only polls GitLab and creates job pods. */
    managerResources: { cpuRequest: "50m", memoryRequest: "64Mi", cpuLimit: "500m", memoryLimit: "256Mi" },
    /** Off unless a stack asks: a runner needs a token the operator creates in GitLab first. */
    kubernetesEnabled: false,
    namespace: "ci-runners",
    tags: [] as readonly string[],
} as const;

/**
 * The build runner: job pods that can run rootless Buildah (their own user namespace, uid 0 in it,
 * SETUID/SETGID/SETFCAP, a Localhost seccomp profile), in a namespace of their own at Pod Security
 * `baseline`. Off unless a stack asks: it needs a token of its own and nodes with the profile.
 */
export const BUILD_RUNNER_DEFAULTS = {
    enabled: false,
    namespace: "ci-build",
    tags: [] as readonly string[],
    /** Under the kubelet's seccomp directory (`/var/lib/kubelet/seccomp/`). */
    seccompLocalhostProfile: "cicd-platform/rootless-buildah.json",
    /** Nodes the profile is installed on; the node installer and the build pods both select them. */
    nodeSelector: { "cicd.platform/rootless-build": "true" } as Readonly<Record<string, string>>,
    /** How the profile reaches the nodes: the node installer, or the Security Profiles Operator. */
    seccompDelivery: "node-installer" as "node-installer" | "security-profiles-operator",
    /** The node installer's own namespace: `privileged`, the only one the platform creates. */
    installerNamespace: "ci-seccomp-installer",
    /** Debian's busybox-static runs the installer; pinned by version. */
    installerImage: "busybox:1.36.1-glibc",
} as const;

/** The runner namespace: its ceiling, so one pipeline cannot starve the cluster. */
export const RUNNER_NAMESPACE_DEFAULTS = {
    quota: { cpu: "16", memory: "64Gi", pods: 20 },
    /** The API server as the runner manager reaches it: the Service port and the usual endpoint port. */
    apiServerPorts: [443, 6443] as readonly number[],
    podSecurityVersion: "latest",
} as const;

/** Application repositories the platform writes a deploy workflow and environments into. */
export const APPLICATION_DEFAULTS = {
    enabled: false,
    /** Off unless a stack asks: one stack per application repository owns its workflow file. */
    manageWorkflowFile: false,
    workflowPath: ".github/workflows/deploy.yml",
    branch: "main",
    /** GitHub-hosted; a stack names self-hosted labels only where it provides such runners. */
    runnerLabels: ["ubuntu-24.04"] as readonly string[],
    containerfile: "Containerfile",
    context: ".",
    testCommand: "npm test",
} as const;

/** Jenkins agents on the build runner's nodes: what the controller's Kubernetes cloud is given. */
export const JENKINS_AGENT_DEFAULTS = {
    /** The label agent pods carry (templates/jenkins/resources/cicd-platform/agent-pod.yaml). */
    podLabels: { "app.kubernetes.io/component": "jenkins-agent" } as Readonly<Record<string, string>>,
    /** The controller's agent port (JNLP over TCP); agents using WebSocket use the web port instead. */
    controllerPorts: [443, 50000] as readonly number[],
} as const;

/** A team's tenancy in an environment: its deploy identity, its credential and its production gate. */
export const GITLAB_DEFAULTS = {
    enabled: false,
    /** What the stacks may create: Free has no protected environments nor scoped group variables. */
    tier: "free",
    /**
     * Off unless a stack asks: a branch has one protection, and two stacks that both managed it
     * would overwrite each other and delete it on either's destroy.
     */
    protectBranch: false,
    /** Off for the same reason: the build jobs' variables are unscoped, one stack per project sets them. */
    buildVariables: false,
    defaultBranch: "main",
    runnerType: "project_type",
    /** A runner's generation; a new value replaces its UserRunner (and so its token) in one `up`. */
    runnerRotation: "initial",
    requiredApprovals: 1,
} as const;

export const TENANT_DEFAULTS = {
    /** ServiceAccount (and Role, RoleBinding) of the deploy identity in the tenant namespace. */
    deployServiceAccount: "release-deployer",
    /** A label of the credential's current generation; changing it replaces the token in one `up`. */
    credentialRotation: "initial",
    /** Days after the rotation date (when `rotation` is one) before `up` warns that it is due. */
    credentialMaxAgeDays: 90,
    productionGateMode: "manual",
    requiredApprovals: 1,
} as const;

/** A host nginx the HostUpstream command writes, checks and reloads. */
export const HOST_UPSTREAM_DEFAULTS = {
    nginxBinary: "nginx",
    /** How long the command waits for the old config's workers after the reload. */
    drainTimeoutSeconds: 30,
    sshPort: 22,
    sshUser: "root",
} as const;
