/**
 * The children every public component registers, as (type, name, parent), against a committed
 * snapshot. A child whose name, type or parent moves gets a new URN, and Pulumi deletes and recreates
 * the resource: reshaping a component must leave this list as it is (or add an alias on purpose and
 * a new snapshot with it). Regenerate after an intended change with
 * `UPDATE_COMPONENT_URNS=1 node --import tsx --test test/unit/component-urns.test.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { settle } from "../support/pulumi-mocks";
import { fakePrivateKeyBlock } from "../support/stack-secrets";

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import {
    ApplicationRepository,
    BlueGreenRelease,
    BuildSeccompDelivery,
    CanaryRelease,
    EnvironmentNamespace,
    GitHubRepositorySettings,
    GitLabRunner,
    HostUpstream,
    JenkinsAgentAccess,
    PodmanRunnerHost,
    PrivateRegistry,
    RegistryCredentials,
    RunnerNamespace,
    Tenant,
    WeightedUpstream,
} from "../../components";
import { base } from "./private-registry-fixture";

const SNAPSHOT = join(__dirname, "fixtures", "component-urns.json");
const UPDATE = process.env.UPDATE_COMPONENT_URNS === "1";

/** One registration as its URN sees it: the type, the name and the parent's type and name. */
interface Child {
    readonly type: string;
    readonly name: string;
    readonly parent: string;
}

/** `urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>` as `<type>/<name>`. */
function typeAndName(urn: string): string {
    const parts = urn.split("::");
    const chain = parts[2] ?? "";
    return `${chain.split("$").pop() ?? ""}/${parts.slice(3).join("::")}`;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
}
type Monitor = { registerResource(req: RegisterRequest, callback: unknown): unknown };

// Every registration passes the mocks' monitor; record each one's parent, which the mocks drop.
const seen: Child[] = [];
const monitor = (pulumi.runtime as unknown as { getMonitor(): Monitor }).getMonitor();
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => {
    const parent = req.getParent();
    seen.push({ type: req.getType(), name: req.getName(), parent: parent === "" ? "" : typeAndName(parent) });
    return register(req, callback);
};

const TOKEN = ["glrt", "component-urns-token"].join("-");
const KEY = fakePrivateKeyBlock("component-urns");

/** Each public component with arguments that bring out its optional children too. */
const CASES: Readonly<Record<string, () => unknown>> = {
    ApplicationRepository: () =>
        new ApplicationRepository("app-shop", {
            repository: "shop",
            apps: [{ app: "api", image: "team-a/api" }],
            platformRepository: "platform/cicd-platform",
            platformRef: "0123456789abcdef0123456789abcdef01234567",
            environments: ["staging", "production"],
            manageWorkflowFile: true,
            productionReviewerUserIds: [42],
            secrets: { production: { SIGNING_PASSPHRASE: "p" } },
        }),
    GitHubRepositorySettings: () =>
        new GitHubRepositorySettings("gh", {
            repository: "shop",
            protectBranch: true,
            productionReviewerUserIds: [42],
            productionReviewerTeamIds: [7],
            variables: { production: { DEPLOY_ENVIRONMENT: "production" } },
            secrets: { staging: { API_KEY: "k" } },
        }),
    EnvironmentNamespace: () =>
        new EnvironmentNamespace("apps", { namespace: "shop", environment: "staging", monitoringNamespace: "mon" }),
    PrivateRegistry: () =>
        new PrivateRegistry("reg", {
            ...base,
            deleteEnabled: true,
            garbageCollectSchedule: "0 3 * * 0",
            tlsSecretName: "registry-tls",
            publicPullEndpoint: "registry.example.com",
            ingressNamespaces: ["ingress-nginx"],
            pullCidrs: ["10.0.0.0/16"],
            bcryptCost: 4,
        }),
    RegistryCredentials: () =>
        new RegistryCredentials("registry", {
            server: "registry.example.com",
            username: "ci",
            password: "hunter2",
            namespaces: ["a", "b"],
            githubRepository: "shop",
            githubEnvironments: ["staging", "production"],
        }),
    CanaryRelease: () =>
        new CanaryRelease("shop", {
            namespace: "apps",
            image: "registry.example.com/shop",
            stableVersion: "1.0.0",
            canaryVersion: "1.1.0",
            canaryPercent: 25,
            replicas: 4,
            imagePullSecrets: ["registry-credentials"],
        }),
    BlueGreenRelease: () =>
        new BlueGreenRelease("checkout", {
            namespace: "apps",
            image: "registry.example.com/checkout",
            blueVersion: "2.0.0",
            greenVersion: "2.1.0",
            replicas: 2,
            activeColor: "green",
            idleReplicas: 1,
            healthCheck: "curl -fsS $TARGET_URL/healthz",
            smokeTest: "./smoke $TARGET_URL",
        }),
    BuildSeccompDelivery: () => new BuildSeccompDelivery("seccomp", { environment: "staging" }),
    "BuildSeccompDelivery (security-profiles-operator)": () =>
        new BuildSeccompDelivery("spo", { environment: "staging", delivery: "security-profiles-operator" }),
    GitLabRunner: () =>
        new GitLabRunner("runner", {
            namespace: "ci",
            gitlabUrl: "https://gitlab.example.com",
            runnerToken: TOKEN,
            cacheS3ServerAddress: "cache.example.com",
            cacheS3BucketName: "runner-cache",
            cacheS3AccessKey: "access",
            cacheS3SecretKey: "secret",
        }),
    JenkinsAgentAccess: () => new JenkinsAgentAccess("jenkins", { namespace: "ci-build", controllerPorts: [8443] }),
    PodmanRunnerHost: () =>
        new PodmanRunnerHost("vm", {
            host: "10.0.0.5",
            user: "runner",
            privateKey: KEY,
            gitlabUrl: "https://gitlab.example.com",
            runnerToken: TOKEN,
        }),
    RunnerNamespace: () =>
        new RunnerNamespace("ci", {
            namespace: "ci",
            environment: "staging",
            gitlabPort: 443,
            registryNamespace: "registry",
            registryPort: 5000,
            cachePort: 9000,
            role: "build",
        }),
    Tenant: () =>
        new Tenant("tenant-blog", {
            tenant: "blog",
            namespace: "blog-staging",
            environment: "staging",
            apiServer: "https://k8s.example.com:6443",
            settings: { tenant: "blog" },
        }),
    HostUpstream: () =>
        new HostUpstream("edge", {
            configPath: "/srv/nginx/conf/nginx.conf",
            prefix: "/srv/nginx/",
            stableBackend: "10.0.0.1:8080",
            canaryBackend: "10.0.0.2:8080",
            canaryPercent: 25,
        }),
    "HostUpstream (over SSH)": () =>
        new HostUpstream("edge-ssh", {
            configPath: "/etc/nginx/conf.d/edge.conf",
            stableBackend: "10.0.0.1:8080",
            canaryBackend: "10.0.0.2:8080",
            canaryPercent: 25,
            connection: { host: "10.0.0.9", user: "deploy", privateKey: KEY },
        }),
    WeightedUpstream: () =>
        new WeightedUpstream("edge", {
            namespace: "apps",
            stableBackend: "stable.apps.svc:80",
            canaryBackend: "canary.apps.svc:80",
            canaryPercent: 10,
        }),
};

function byUrn(a: Child, b: Child): number {
    const key = (c: Child): string => `${c.parent} ${c.type} ${c.name}`;
    return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

const expected = UPDATE ? {} : (JSON.parse(readFileSync(SNAPSHOT, "utf8")) as Record<string, Child[]>);
const actual: Record<string, Child[]> = {};

// One component at a time: each case reads only the registrations its own constructor caused.
describe("component URNs (type, name and parent of every child) are the committed ones", { concurrency: 1 }, () => {
    for (const [component, build] of Object.entries(CASES)) {
        it(component, async () => {
            await settle();
            seen.length = 0;
            build();
            await settle();
            actual[component] = [...seen].sort(byUrn);
            assert.ok(actual[component].length > 1, `${component} registered no children`);
            if (!UPDATE) {
                assert.deepEqual(actual[component], expected[component]);
            }
        });
    }

    it("the snapshot holds no component this test no longer builds", () => {
        if (!UPDATE) {
            assert.deepEqual(Object.keys(expected).sort(), Object.keys(CASES).sort());
        }
    });

    after(() => {
        if (UPDATE) {
            writeFileSync(SNAPSHOT, `${JSON.stringify(actual, null, 4)}\n`);
        }
    });
});
