/**
 * Keys whose values are secrets; they must be stored encrypted (`pulumi config set --secret`).
 * Apart from the schema: reading a stack's values (stack-values.ts) needs only these, and the
 * release program, which reads its config that way, then loads none of the environment's sections.
 */
export const SECRET_KEYS = {
    registryPassword: "password of registry.username",
    githubToken: "GitHub token for the github provider (otherwise GITHUB_TOKEN from the environment)",
    gitlabToken: "GitLab token for the gitlab provider (otherwise GITLAB_TOKEN from the environment)",
    registryPushPassword: "password of privateRegistry.pushUsername (16+ random characters)",
    registryPullPassword: "password of privateRegistry.pullUsername (16+ random characters)",
    registryHttpSecret: "http.secret and htpasswd salt key of the private registry (32+ random characters)",
    runnerToken: "runner authentication token (glrt-…) of runners.kubernetes, created in GitLab",
    buildRunnerToken:
        "runner authentication token (glrt-…) of runners.build, created in GitLab with the build runner's tags",
    runnerCacheAccessKey: "S3 access key of runners.kubernetes.cache",
    runnerCacheSecretKey: "S3 secret key of runners.kubernetes.cache",
    podmanRunnerTokens:
        'JSON object of runners.podmanHosts[].name to that host\'s runner authentication token, {"<name>": "glrt-…"}',
    podmanSshPrivateKey: "SSH private key (OpenSSH or PEM) of the runners.podmanHosts users",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;
