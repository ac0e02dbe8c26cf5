import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

import { EnvironmentNamespace } from "../components";
import type { StackConfig } from "../config/load";
import { createApplications } from "./applications";
import { createGitHub } from "./github";
import { createGitLab } from "./gitlab";
import { createGitLabGate } from "./gitlab-production";
import { createRegistries } from "./registry";
import { createBlueGreenRelease, createCanaryReleases } from "./releases";
import { createRunners, type RunnerOutputs } from "./runners";
import { createTenants } from "./tenants";
import type { ReleaseSettings } from "../config/tenant-contract";

/** What a stack exports: names and endpoints, never a secret. */
export interface PlatformOutputs {
    readonly environment: StackConfig["environment"];
    readonly namespace: pulumi.Output<string>;
    readonly registryPullSecret: string;
    readonly canaryReleases: Record<string, CanaryReleaseOutputs>;
    readonly blueGreenRelease?: { readonly activeColor: string; readonly service: pulumi.Output<string> };
    readonly privateRegistryEndpoints?: { readonly pull: pulumi.Output<string>; readonly push: pulumi.Output<string> };
    readonly githubEnvironments: pulumi.Output<string>[];
    readonly runners: RunnerOutputs;
    /** Plain: what the tenants' release stacks read (config/tenant-contract.ts). */
    readonly releaseSettings: pulumi.Output<ReleaseSettings>;
    /** Secret: each tenant's deploy kubeconfig by tenant name. */
    readonly tenantKubeconfigs: pulumi.Output<Record<string, string>>;
}

export interface CanaryReleaseOutputs {
    readonly routerService: pulumi.Output<string>;
    readonly upstreamConfigMap: pulumi.Output<string>;
    readonly weights: pulumi.Output<{ stable: number; canary: number }>;
    readonly replicas: { readonly stable: number; readonly canary: number };
}

/**
 * The whole platform of one stack from its validated config. A plain function rather than a parent
 * component, so every resource keeps the URN it had when the program created them at the top level.
 */
export function createPlatform(config: StackConfig): PlatformOutputs {
    const kubernetes = new k8s.Provider("kubernetes", { context: config.kubernetes.context });
    const apps = new EnvironmentNamespace(
        "apps",
        {
            namespace: config.namespaces.apps,
            environment: config.environment,
            monitoringNamespace: config.namespaces.monitoring,
        },
        { provider: kubernetes },
    );
    const gh = createGitHub(config);
    const gl = createGitLab(config);
    const registries = createRegistries(config, kubernetes, apps, gh);
    createApplications(config, gh, registries);
    const tenants = createTenants(config, kubernetes, apps, gh, registries, gl);
    const target = {
        kubernetes,
        namespace: apps,
        imagePullSecrets: registries.pullSecretNames,
        dependsOn: [registries.credentials],
    };
    const canaries = createCanaryReleases(config, target);
    const blueGreen = createBlueGreenRelease(config, target);
    const runners = createRunners(config, kubernetes, gl);
    createGitLabGate(gl, config.tenants);

    return {
        environment: config.environment,
        namespace: apps.namespaceName,
        registryPullSecret: registries.credentials.secretName,
        canaryReleases: Object.fromEntries(
            [...canaries].map(([name, release]) => [
                name,
                {
                    routerService: release.router.serviceName,
                    upstreamConfigMap: release.router.configMapName,
                    weights: release.router.weights,
                    replicas: release.replicas,
                },
            ]),
        ),
        blueGreenRelease: blueGreen && {
            activeColor: blueGreen.activeColor,
            service: blueGreen.service.metadata.name,
        },
        privateRegistryEndpoints: registries.privateRegistry && {
            pull: registries.privateRegistry.endpoint,
            push: registries.privateRegistry.pushEndpoint,
        },
        githubEnvironments: gh ? Object.values(gh.settings.environments).map((e) => e.environment) : [],
        runners,
        releaseSettings: tenants.releaseSettings,
        tenantKubeconfigs: tenants.kubeconfigs,
    };
}
