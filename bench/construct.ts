/**
 * Child process of the `construction` section: constructs the canary part of the program under
 * Pulumi mocks for N apps, waits until every registration has reached the (mock) engine, and prints
 * one JSON line. One process per run, so module caches and memory peaks never carry over.
 *
 * Usage: node --import tsx bench/construct.ts <apps>
 */
import { performance } from "node:perf_hooks";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { CanaryRelease, EnvironmentNamespace, RegistryCredentials } from "../components";

export interface ConstructResult {
    readonly apps: number;
    /** Module loading (tsx compile, Pulumi SDKs): paid once per program, whatever N is. */
    readonly loadMs: number;
    /** From the first constructor call until the last registration was acknowledged. */
    readonly constructMs: number;
    /** CPU time (user + system) of the same span: tells slow code from a busy machine. */
    readonly constructCpuMs: number;
    readonly resources: number;
    readonly customResources: number;
    readonly componentResources: number;
    /** Peak resident set size of the process, MiB. */
    readonly maxRssMb: number;
}

const counts = { custom: 0, component: 0 };

// Counting only: recording inputs (as the unit-test harness does) would add its own cost per resource.
pulumi.runtime.setMocks(
    {
        newResource(args) {
            if (args.custom === true) {
                counts.custom++;
            } else {
                counts.component++;
            }
            return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
        },
        call(args) {
            return args.inputs as Record<string, unknown>;
        },
    },
    "cicd-platform",
    "bench",
    false,
);

/** The canary part of index.ts: provider, namespace, registry credential, N canary releases. */
function construct(apps: number): void {
    const kubernetes = new k8s.Provider("kubernetes", { context: "bench" });
    const namespace = new EnvironmentNamespace(
        "apps",
        { namespace: "apps", environment: "staging" },
        { provider: kubernetes },
    );
    const registry = new RegistryCredentials(
        "registry",
        {
            server: "registry.example.com",
            username: "ci",
            password: pulumi.secret("bench-password"),
            namespaces: [namespace.namespaceName],
            githubRepository: "example/app",
            githubEnvironments: ["staging"],
        },
        { providers: [kubernetes] },
    );
    for (let index = 0; index < apps; index++) {
        new CanaryRelease(
            `app-${index}`,
            {
                namespace: namespace.namespaceName,
                image: "registry.example.com/app",
                stableVersion: "1.0.0",
                canaryVersion: "1.1.0",
                canaryPercent: 25,
                replicas: 3,
                imagePullSecrets: [registry.secretName],
            },
            { provider: kubernetes, dependsOn: [registry] },
        );
    }
}

async function main(): Promise<void> {
    const apps = Number(process.argv[2]);
    if (!Number.isInteger(apps) || apps < 1) {
        throw new RangeError(`apps: ${String(process.argv[2])} must be a positive integer`);
    }
    const loadMs = performance.now();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    construct(apps);
    // Resolves once the SDK's RPC queue (every registerResource and registerResourceOutputs) is empty.
    await pulumi.runtime.disconnect();
    const constructMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const result: ConstructResult = {
        apps,
        loadMs,
        constructMs,
        constructCpuMs: (cpu.user + cpu.system) / 1000,
        resources: counts.custom + counts.component,
        customResources: counts.custom,
        componentResources: counts.component,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
    console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
