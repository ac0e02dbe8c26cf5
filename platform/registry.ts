import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

import {
    EnvironmentNamespace,
    PrivateRegistry,
    type PrivateRegistryArgs,
    RegistryCredentials,
    type RegistryCredentialsArgs,
} from "../components";
import type { StackConfig } from "../config/load";
import { resolveTenants } from "../config/schema";
import { argsOf } from "./args-of";
import type { GitHubTarget } from "./github";

export interface Registries {
    /** The external registry's pull credential in the apps namespace. */
    readonly credentials: RegistryCredentials;
    readonly privateRegistry?: PrivateRegistry;
    /** Names of the pull Secrets every app workload references. */
    readonly pullSecretNames: string[];
    /** The pull credentials behind those Secrets, in the same order, for namespaces created later. */
    readonly pullCredentials: RegistryCredentials[];
    /** host[:port] the cluster pulls from and CI pushes to. */
    readonly pullServer: pulumi.Input<string>;
    readonly pushServer: pulumi.Input<string>;
    /** What CI pushes with: the platform registry's push user, else the external registry's. */
    readonly pushCredential: {
        readonly server: pulumi.Input<string>;
        readonly username: pulumi.Input<string>;
        readonly password: pulumi.Input<string>;
    };
}

/** The tenants' namespaces other than the apps namespace (which is listed already). */
function tenantNamespaces(config: StackConfig): string[] {
    return resolveTenants(config.tenants, config.environment)
        .map((tenant) => tenant.namespace)
        .filter((namespace) => namespace !== config.namespaces.apps);
}

/** CI reads the credential from the stack's GitHub environment, when there is one. */
function githubFanOut(gh: GitHubTarget | undefined): Partial<RegistryCredentialsArgs> {
    return gh ? { githubRepository: gh.repository, githubEnvironments: [gh.environment] } : {};
}

function fanOutOptions(kubernetes: k8s.Provider, gh: GitHubTarget | undefined) {
    return gh
        ? { providers: [kubernetes, gh.provider], dependsOn: [gh.settings] }
        : { providers: [kubernetes], dependsOn: [] };
}

/**
 * The external registry's credential, and the platform's own registry when enabled: its pull
 * credential reaches the apps namespace, its push credential only CI.
 */
export function createRegistries(
    config: StackConfig,
    kubernetes: k8s.Provider,
    apps: EnvironmentNamespace,
    gh: GitHubTarget | undefined,
): Registries {
    const credentials = new RegistryCredentials(
        "registry",
        {
            ...argsOf<RegistryCredentialsArgs>()(config.registry),
            password: config.secrets.registryPassword,
            namespaces: [apps.namespaceName],
            ...githubFanOut(gh),
        },
        fanOutOptions(kubernetes, gh),
    );
    const { enabled, namespace, pullNamespaces, ...registryArgs } = config.privateRegistry;
    const secrets = config.secrets.privateRegistry;
    if (!enabled || secrets === undefined) {
        return {
            credentials,
            pullSecretNames: [credentials.secretName],
            pullCredentials: [credentials],
            pullServer: config.registry.server,
            pushServer: config.registry.server,
            pushCredential: {
                server: config.registry.server,
                username: config.registry.username,
                password: config.secrets.registryPassword,
            },
        };
    }

    const registryNamespace = new EnvironmentNamespace(
        "registry-ns",
        { namespace, environment: config.environment, monitoringNamespace: config.namespaces.monitoring },
        { provider: kubernetes },
    );
    const privateRegistry = new PrivateRegistry(
        "private-registry",
        {
            ...argsOf<PrivateRegistryArgs>()(registryArgs),
            namespace: registryNamespace.namespaceName,
            // Tenants' namespaces pull from it like the apps namespace.
            pullNamespaces: [config.namespaces.apps, ...tenantNamespaces(config), ...pullNamespaces],
            pushPassword: secrets.pushPassword,
            pullPassword: secrets.pullPassword,
            httpSecret: secrets.httpSecret,
        },
        { provider: kubernetes },
    );
    const pull = new RegistryCredentials(
        "private-registry-pull",
        {
            server: privateRegistry.endpoint,
            username: privateRegistry.pullUsername,
            password: privateRegistry.pullPassword,
            namespaces: [apps.namespaceName],
            secretName: "private-registry-pull",
        },
        { provider: kubernetes },
    );
    // CI pushes; the cluster never gets this credential.
    new RegistryCredentials(
        "private-registry-push",
        {
            server: privateRegistry.pushEndpoint,
            username: privateRegistry.pushUsername,
            password: privateRegistry.pushPassword,
            namespaces: [],
            githubSecretPrefix: "PRIVATE_REGISTRY",
            ...githubFanOut(gh),
        },
        fanOutOptions(kubernetes, gh),
    );
    return {
        credentials,
        privateRegistry,
        pullSecretNames: [credentials.secretName, pull.secretName],
        pullCredentials: [credentials, pull],
        pullServer: privateRegistry.endpoint,
        pushServer: privateRegistry.pushEndpoint,
        pushCredential: {
            server: privateRegistry.pushEndpoint,
            username: privateRegistry.pushUsername,
            password: privateRegistry.pushPassword,
        },
    };
}
