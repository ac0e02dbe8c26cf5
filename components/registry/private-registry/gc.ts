import type * as k8s from "@pulumi/kubernetes";

import { garbageCollectPrepareCommand } from "../registry-config";
import { commonLabels, pullSecretRefs, restrictedContainerSecurityContext } from "../../shared/workload";
import { pullPolicyFor } from "../../shared/placement";
import { collectorCommand, MAINTENANCE_DIR } from "./gc-scripts";
import {
    configVolume,
    dataVolume,
    REGISTRY_PATHS,
    registryPodSecurityContext,
    type RegistrySpecContext,
    tmpVolume,
} from "./pod";

type Container = k8s.types.input.core.v1.Container;

/** The collector's schedule and sweep. */
interface GarbageCollection {
    readonly schedule: string;
    readonly deleteUntagged: boolean;
}

/** Not the registry's labels: neither its Services nor its NetworkPolicy may select the collector. */
function collectorLabels(ctx: RegistrySpecContext): Record<string, string> {
    return { ...commonLabels(ctx.name, "registry-gc"), app: ctx.name };
}

/** Storage that never held a blob makes Distribution's collector fail; this makes the run a no-op. */
function prepareContainer(ctx: RegistrySpecContext): Container {
    return {
        name: "prepare",
        image: ctx.image,
        imagePullPolicy: pullPolicyFor(ctx.image),
        command: [...garbageCollectPrepareCommand(REGISTRY_PATHS.data), MAINTENANCE_DIR],
        securityContext: restrictedContainerSecurityContext(),
        resources: ctx.resources,
        volumeMounts: [{ name: "data", mountPath: REGISTRY_PATHS.data }],
    };
}

function collectorContainer(ctx: RegistrySpecContext, deleteUntagged: boolean): Container {
    return {
        name: "garbage-collect",
        image: ctx.image,
        imagePullPolicy: pullPolicyFor(ctx.image),
        command: collectorCommand("registry", REGISTRY_PATHS.pushConfig, deleteUntagged),
        securityContext: restrictedContainerSecurityContext(),
        resources: ctx.resources,
        volumeMounts: [
            { name: "config", mountPath: REGISTRY_PATHS.configDir, readOnly: true },
            // Read-write: the sweep deletes blobs.
            { name: "data", mountPath: REGISTRY_PATHS.data },
            { name: "tmp", mountPath: "/tmp" },
        ],
    };
}

/** ReadWriteOnce: only pods on the node the registry runs on can mount the claim. */
function onRegistryNode(ctx: RegistrySpecContext): k8s.types.input.core.v1.Affinity {
    const term = { labelSelector: { matchLabels: ctx.selector }, topologyKey: "kubernetes.io/hostname" };
    return { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
}

function collectorPodSpec(ctx: RegistrySpecContext, deleteUntagged: boolean): k8s.types.input.core.v1.PodSpec {
    return {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: registryPodSecurityContext(),
        imagePullSecrets: pullSecretRefs(ctx.imagePullSecrets),
        affinity: onRegistryNode(ctx),
        initContainers: [prepareContainer(ctx)],
        containers: [collectorContainer(ctx, deleteUntagged)],
        volumes: [configVolume(ctx), dataVolume(ctx), tmpVolume()],
    };
}

/** One run: a single retry, an hour at most, kept a day for its logs. */
function collectorJobSpec(ctx: RegistrySpecContext, deleteUntagged: boolean): k8s.types.input.batch.v1.JobSpec {
    return {
        backoffLimit: 1,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 86400,
        template: { metadata: { labels: collectorLabels(ctx) }, spec: collectorPodSpec(ctx, deleteUntagged) },
    };
}

/**
 * `registry garbage-collect` against the writer's config on a schedule. Runs never overlap
 * (`Forbid`); a run that cannot start within ten minutes is skipped.
 * @internal
 */
export function garbageCollectionCronJobArgs(
    ctx: RegistrySpecContext,
    gc: GarbageCollection,
): k8s.batch.v1.CronJobArgs {
    return {
        metadata: { namespace: ctx.namespace, labels: collectorLabels(ctx) },
        spec: {
            schedule: gc.schedule,
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 600,
            successfulJobsHistoryLimit: 1,
            failedJobsHistoryLimit: 3,
            jobTemplate: { spec: collectorJobSpec(ctx, gc.deleteUntagged) },
        },
    };
}
