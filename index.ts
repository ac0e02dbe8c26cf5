import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";

import {
    BlueGreenRelease,
    CanaryRelease,
    EnvironmentNamespace,
    GitHubRepositorySettings,
    PrivateRegistry,
    RegistryCredentials,
} from "./components";
import { loadStackConfig } from "./config/load";

// Wiring only: validated config in, components out, non-secret outputs exported.
const config = loadStackConfig();

const kubernetes = new k8s.Provider("kubernetes", { context: config.kubernetes.context });

const appsNamespace = new EnvironmentNamespace(
    "apps",
    {
        namespace: config.namespaces.apps,
        environment: config.environment,
        monitoringNamespace: config.namespaces.monitoring,
    },
    { provider: kubernetes },
);

const gh = config.github;
const githubProvider = gh.enabled
    ? new github.Provider("github", { owner: gh.owner, token: config.secrets.githubToken })
    : undefined;
const githubEnvironment = config.environment === "local" ? undefined : config.environment;
const githubSettings =
    githubProvider && gh.repository !== undefined && githubEnvironment !== undefined
        ? new GitHubRepositorySettings(
              "github",
              {
                  repository: gh.repository,
                  environments: [githubEnvironment],
                  protectBranch: gh.protectBranch,
                  branch: gh.branch,
                  previewCheck: gh.previewCheck,
                  requiredApprovals: gh.requiredApprovals,
                  productionReviewerUserIds: gh.productionReviewerUserIds,
                  productionReviewerTeamIds: gh.productionReviewerTeamIds,
                  productionWaitTimerMinutes: gh.productionWaitTimerMinutes,
                  variables: { [githubEnvironment]: gh.variables },
              },
              { provider: githubProvider },
          )
        : undefined;

const registry = new RegistryCredentials(
    "registry",
    {
        server: config.registry.server,
        username: config.registry.username,
        password: config.secrets.registryPassword,
        namespaces: [appsNamespace.namespaceName],
        secretName: config.registry.secretName,
        githubRepository: githubSettings ? gh.repository : undefined,
        githubEnvironments: githubSettings && githubEnvironment ? [githubEnvironment] : [],
    },
    {
        providers: githubProvider ? [kubernetes, githubProvider] : [kubernetes],
        dependsOn: githubSettings ? [githubSettings] : [],
    },
);

// The platform's own registry: its pull credential reaches the app namespace, its push credential CI.
const pr = config.privateRegistry;
const prSecrets = config.secrets.privateRegistry;
const registryNamespace = pr.enabled
    ? new EnvironmentNamespace(
          "registry-ns",
          {
              namespace: pr.namespace,
              environment: config.environment,
              monitoringNamespace: config.namespaces.monitoring,
          },
          { provider: kubernetes },
      )
    : undefined;
const privateRegistry =
    registryNamespace && prSecrets
        ? new PrivateRegistry(
              "private-registry",
              {
                  namespace: registryNamespace.namespaceName,
                  pushUsername: pr.pushUsername,
                  pushPassword: prSecrets.pushPassword,
                  pullUsername: pr.pullUsername,
                  pullPassword: prSecrets.pullPassword,
                  httpSecret: prSecrets.httpSecret,
                  pushNamespaces: pr.pushNamespaces,
                  pullNamespaces: [config.namespaces.apps, ...pr.pullNamespaces],
                  ingressNamespaces: pr.ingressNamespaces,
                  pullCidrs: pr.pullCidrs,
                  image: pr.image,
                  storageSize: pr.storageSize,
                  storageClassName: pr.storageClassName,
                  existingClaimName: pr.existingClaimName,
                  allowDataDeletion: pr.allowDataDeletion,
                  protectData: pr.protectData,
                  deleteEnabled: pr.deleteEnabled,
                  garbageCollectSchedule: pr.garbageCollectSchedule,
                  garbageCollectDeleteUntagged: pr.garbageCollectDeleteUntagged,
                  tlsSecretName: pr.tlsSecretName,
                  publicPullEndpoint: pr.publicPullEndpoint,
                  publicPushEndpoint: pr.publicPushEndpoint,
                  bcryptCost: pr.bcryptCost,
              },
              { provider: kubernetes },
          )
        : undefined;
const privatePull = privateRegistry
    ? new RegistryCredentials(
          "private-registry-pull",
          {
              server: privateRegistry.endpoint,
              username: privateRegistry.pullUsername,
              password: privateRegistry.pullPassword,
              namespaces: [appsNamespace.namespaceName],
              secretName: "private-registry-pull",
          },
          { provider: kubernetes },
      )
    : undefined;
// CI pushes; the cluster never gets this credential.
if (privateRegistry) {
    new RegistryCredentials(
        "private-registry-push",
        {
            server: privateRegistry.pushEndpoint,
            username: privateRegistry.pushUsername,
            password: privateRegistry.pushPassword,
            namespaces: [],
            githubRepository: githubSettings ? gh.repository : undefined,
            githubEnvironments: githubSettings && githubEnvironment ? [githubEnvironment] : [],
            githubSecretPrefix: "PRIVATE_REGISTRY",
        },
        {
            providers: githubProvider ? [kubernetes, githubProvider] : [kubernetes],
            dependsOn: githubSettings ? [githubSettings] : [],
        },
    );
}
const pullSecrets = privatePull ? [registry.secretName, privatePull.secretName] : [registry.secretName];

const canaries = config.apps.map(
    (app) =>
        new CanaryRelease(
            app.name,
            {
                namespace: appsNamespace.namespaceName,
                image: app.image,
                stableVersion: app.stableVersion,
                canaryVersion: app.canaryVersion,
                canaryPercent: app.canaryPercent,
                replicas: app.replicas,
                containerPort: app.port,
                healthPath: app.healthPath,
                metricsPath: app.metricsPath,
                resources: app.resources,
                imagePullSecrets: pullSecrets,
                routerImage: config.canary.routerImage,
                routerReplicas: config.canary.routerReplicas,
                maxFails: config.canary.maxFails,
                failTimeoutSeconds: config.canary.failTimeoutSeconds,
                keepalive: config.canary.keepalive,
            },
            { provider: kubernetes, dependsOn: [registry] },
        ),
);

const bg = config.blueGreen;
const blueGreen = bg
    ? new BlueGreenRelease(
          bg.name,
          {
              namespace: appsNamespace.namespaceName,
              image: bg.image,
              blueVersion: bg.blueVersion,
              greenVersion: bg.greenVersion,
              activeColor: bg.active,
              replicas: bg.replicas,
              idleReplicas: bg.idleReplicas,
              containerPort: bg.port,
              healthPath: bg.healthPath,
              healthCheck: bg.healthCheck,
              smokeTest: bg.smokeTest,
              gateAttempts: bg.gateAttempts,
              gateIntervalSeconds: bg.gateIntervalSeconds,
              gateExecutor: bg.gateExecutor,
              resources: bg.resources,
              imagePullSecrets: pullSecrets,
          },
          { provider: kubernetes, dependsOn: [registry] },
      )
    : undefined;

export const environment = config.environment;
export const namespace = appsNamespace.namespaceName;
export const registryPullSecret = registry.secretName;
export const canaryReleases = Object.fromEntries(
    canaries.map((release, index) => [
        config.apps[index]?.name ?? String(index),
        {
            routerService: release.router.serviceName,
            upstreamConfigMap: release.router.configMapName,
            weights: release.router.weights,
            replicas: release.replicas,
        },
    ]),
);
export const blueGreenRelease = blueGreen && {
    activeColor: blueGreen.activeColor,
    service: blueGreen.service.metadata.name,
};
export const privateRegistryEndpoints = privateRegistry && {
    pull: privateRegistry.endpoint,
    push: privateRegistry.pushEndpoint,
};
export const githubEnvironments = githubSettings
    ? Object.values(githubSettings.environments).map((e) => e.environment)
    : [];
