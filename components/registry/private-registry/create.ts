import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../../shared/component";
import { PRIVATE_REGISTRY_DEFAULTS as DEFAULTS } from "../../shared/defaults";
import { NAME_SUFFIXES } from "../../shared/names";
import { commonLabels, resourceRequirements } from "../../shared/workload";
import type { PrivateRegistryArgs } from "./args";
import { garbageCollectionCronJobArgs } from "./gc";
import { writerSupervisorCommand } from "./gc-scripts";
import { registryEndpoint, registryNetworkPolicyArgs, registryServiceArgs } from "./network";
import { htpasswdFile, REGISTRY_PATHS, registryConfigs, registryDeploymentArgs, type RegistrySpecContext } from "./pod";

/** What a PrivateRegistry registers, and the credentials, configs and endpoints they make. */
export interface PrivateRegistryChildren {
    readonly pushUsername: pulumi.Output<string>;
    readonly pullUsername: pulumi.Output<string>;
    readonly pushPassword: pulumi.Output<string>;
    readonly pullPassword: pulumi.Output<string>;
    readonly pushConfig: string;
    readonly pullConfig: string;
    readonly configMap: k8s.core.v1.ConfigMap;
    readonly secret: k8s.core.v1.Secret;
    readonly claim?: k8s.core.v1.PersistentVolumeClaim;
    readonly claimName: pulumi.Output<string>;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly pullService: k8s.core.v1.Service;
    readonly pushService: k8s.core.v1.Service;
    readonly pullEndpoint: pulumi.Output<string>;
    readonly pushEndpoint: pulumi.Output<string>;
    readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
    readonly garbageCollection?: k8s.batch.v1.CronJob;
}

/**
 * The registry's children, parented to `parent`: its configs, the htpasswd Secret, the claim
 * (unless an existing one is reused), the Deployment, the pull and push Services, the
 * NetworkPolicy and, when scheduled, the garbage collection CronJob.
 * @internal
 */
export function createPrivateRegistry(
    name: string,
    parent: pulumi.Resource,
    args: PrivateRegistryArgs,
    opts?: ChildOptions,
): PrivateRegistryChildren {
    const child = childOf(parent, opts);
    const pushUsername = args.pushUsername ?? DEFAULTS.pushUsername;
    const pullUsername = args.pullUsername ?? DEFAULTS.pullUsername;
    const cost = args.bcryptCost ?? DEFAULTS.bcryptCost;
    const servicePort = args.servicePort ?? DEFAULTS.servicePort;
    const labels = commonLabels(name, "registry");

    const pushUsernameOutput = pulumi.output(pushUsername);
    const pullUsernameOutput = pulumi.output(pullUsername);
    const pushPassword = pulumi.secret(args.pushPassword);
    const pullPassword = pulumi.secret(args.pullPassword);

    const garbageCollection = args.garbageCollectSchedule !== undefined;
    const configs = registryConfigs({
        deleteEnabled: args.deleteEnabled ?? DEFAULTS.deleteEnabled,
        garbageCollection,
        tls: args.tlsSecretName !== undefined,
    });

    // No metadata.name: new config means a new ConfigMap, a new pod template and a restart.
    const configMap = new k8s.core.v1.ConfigMap(
        `${name}${NAME_SUFFIXES.registryConfig}`,
        {
            metadata: { namespace: args.namespace, labels },
            data: {
                "config.yml": configs.push,
                "pull.yml": configs.pull,
                ...(garbageCollection ? { "push-read-only.yml": configs.pushReadOnly } : {}),
            },
        },
        child,
    );

    // Auto-named too: Distribution 2.8 reads htpasswd once at start, so a rotated password must
    // roll the pod; a changed Secret is replaced under a new name, which does exactly that.
    const secret = new k8s.core.v1.Secret(
        `${name}${NAME_SUFFIXES.registryAuth}`,
        {
            metadata: { namespace: args.namespace, labels },
            type: "Opaque",
            stringData: {
                "push.htpasswd": htpasswdFile(pushUsername, args.pushPassword, args.httpSecret, cost),
                "pull.htpasswd": htpasswdFile(pullUsername, args.pullPassword, args.httpSecret, cost),
                "http-secret": pulumi.secret(args.httpSecret),
            },
        },
        child,
    );

    // A fixed name, unlike the ConfigMap: after a `destroy` kept it, an operator finds it by name
    // and passes it back as existingClaimName.
    const claim =
        args.existingClaimName === undefined
            ? new k8s.core.v1.PersistentVolumeClaim(
                  `${name}${NAME_SUFFIXES.registryData}`,
                  {
                      metadata: { name: `${name}${NAME_SUFFIXES.registryData}`, namespace: args.namespace, labels },
                      spec: {
                          accessModes: ["ReadWriteOnce"],
                          storageClassName: args.storageClassName,
                          resources: { requests: { storage: args.storageSize ?? DEFAULTS.storageSize } },
                      },
                  },
                  {
                      ...child,
                      retainOnDelete: !(args.allowDataDeletion ?? DEFAULTS.allowDataDeletion),
                      protect: args.protectData ?? DEFAULTS.protectData,
                  },
              )
            : undefined;
    const claimName = claim?.metadata.name ?? pulumi.output(args.existingClaimName as string);

    const ctx: RegistrySpecContext = {
        name,
        namespace: args.namespace,
        image: args.image ?? DEFAULTS.image,
        labels,
        selector: { app: name, "app.kubernetes.io/component": "registry" },
        resources: resourceRequirements({ ...DEFAULTS.resources, ...args.resources }),
        imagePullSecrets: args.imagePullSecrets,
        tlsSecretName: args.tlsSecretName,
        configMapName: configMap.metadata.name,
        authSecretName: secret.metadata.name,
        claimName,
        garbageCollection,
        // The collector never runs while the writer accepts pushes: see gc.ts.
        writerCommand: garbageCollection
            ? writerSupervisorCommand("registry", REGISTRY_PATHS.pushConfig, REGISTRY_PATHS.pushReadOnlyConfig)
            : undefined,
    };
    const deployment = new k8s.apps.v1.Deployment(name, registryDeploymentArgs(ctx), child);

    const pushServiceName = `${name}${NAME_SUFFIXES.registryPush}`;
    const pullService = new k8s.core.v1.Service(name, registryServiceArgs(ctx, name, "pull", servicePort), child);
    const pushService = new k8s.core.v1.Service(
        pushServiceName,
        registryServiceArgs(ctx, pushServiceName, "push", servicePort),
        child,
    );
    const pullEndpoint = registryEndpoint(args.publicPullEndpoint, pullService, servicePort);
    const pushEndpoint = registryEndpoint(args.publicPushEndpoint, pushService, servicePort);

    const peers = {
        pushNamespaces: args.pushNamespaces,
        pullNamespaces: args.pullNamespaces,
        ingressNamespaces: args.ingressNamespaces ?? [],
        pullCidrs: args.pullCidrs ?? [],
    };
    const networkPolicy = new k8s.networking.v1.NetworkPolicy(name, registryNetworkPolicyArgs(ctx, peers), child);

    const garbageCollectionJob =
        args.garbageCollectSchedule === undefined
            ? undefined
            : new k8s.batch.v1.CronJob(
                  `${name}${NAME_SUFFIXES.registryGarbageCollection}`,
                  garbageCollectionCronJobArgs(ctx, {
                      schedule: args.garbageCollectSchedule,
                      deleteUntagged: args.garbageCollectDeleteUntagged ?? DEFAULTS.garbageCollectDeleteUntagged,
                  }),
                  child,
              );
    return {
        pushUsername: pushUsernameOutput,
        pullUsername: pullUsernameOutput,
        pushPassword,
        pullPassword,
        pushConfig: configs.push,
        pullConfig: configs.pull,
        configMap,
        secret,
        claim,
        claimName,
        deployment,
        pullService,
        pushService,
        pullEndpoint,
        pushEndpoint,
        networkPolicy,
        garbageCollection: garbageCollectionJob,
    };
}
