import { registered, reset, runProgram, setStackConfig, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { parse as parseYaml } from "yaml";

import * as pulumi from "@pulumi/pulumi";

import { loadStackConfig, StackConfigRunError } from "../../config/load";
import { parsePlainConfig, PLAIN_KEYS, SECRET_KEYS as SCHEMA_SECRET_KEYS } from "../../config/schema";
import { SECRET_KEYS, validConfig } from "./fixtures";

const ROOT = join(__dirname, "..", "..");

type Mutation = (config: Record<string, unknown>) => void;
const app = (config: Record<string, unknown>): Record<string, unknown> =>
    (config.apps as Record<string, unknown>[])[0] as Record<string, unknown>;
const section = (config: Record<string, unknown>, key: string): Record<string, unknown> =>
    config[key] as Record<string, unknown>;

/** Each case: what is wrong, how to make it wrong, and what the message must say. */
const BAD_INPUTS: [string, Mutation, RegExp][] = [
    [
        "environment missing",
        (c) => delete c.environment,
        /^ {2}- environment: is required \(one of local, staging, production\)$/m,
    ],
    [
        "unknown environment",
        (c) => (c.environment = "prod"),
        /environment: "prod" is not one of local, staging, production/,
    ],
    [
        "step above 100",
        (c) => (section(c, "canary").steps = [10, 25, 120, 100]),
        /canary\.steps\[2\]: 120 is not a percentage \(0-100\)/,
    ],
    [
        "falling steps",
        (c) => (section(c, "canary").steps = [10, 50, 25, 100]),
        /canary\.steps: must rise: step 2 \(25\) is not above step 1 \(50\)/,
    ],
    ["steps not ending at 100", (c) => (section(c, "canary").steps = [10, 25, 50]), /canary\.steps: must end at 100/],
    [
        "fractional step",
        (c) => (section(c, "canary").steps = [10, 12.5, 100]),
        /canary\.steps\[1\]: 12\.5 is not a percentage/,
    ],
    [
        "canary percent above 100",
        (c) => (app(c).canaryPercent = 101),
        /apps\[0\]\.canaryPercent: 101 is not a percentage/,
    ],
    ["negative canary percent", (c) => (app(c).canaryPercent = -5), /apps\[0\]\.canaryPercent: -5 is not a percentage/],
    [
        "canary traffic without canary version",
        (c) => delete app(c).canaryVersion,
        /apps\[0\]\.canaryVersion: is required while canaryPercent is 25/,
    ],
    [
        "single replica in production",
        (c) => {
            c.environment = "production";
            app(c).replicas = 1;
            section(c, "github").productionReviewerUserIds = [1];
        },
        /apps\[0\]\.replicas: production needs at least 2 replicas, got 1/,
    ],
    [
        "production without reviewer",
        (c) => (c.environment = "production"),
        /github\.productionReviewerUserIds: production needs at least one reviewer/,
    ],
    [
        "app name not DNS",
        (c) => (app(c).name = "Store_Front"),
        /apps\[0\]\.name: "Store_Front" is not a DNS-1123 label/,
    ],
    ["latest tag", (c) => (app(c).stableVersion = "latest"), /apps\[0\]\.stableVersion: "latest" is not allowed/],
    [
        "tag inside the image",
        (c) => (app(c).image = "registry.example.com/shop/storefront:1.4.2"),
        /apps\[0\]\.image: .* is not an image repository without tag/,
    ],
    [
        "bad digest",
        (c) => (app(c).canaryVersion = "sha256:xyz"),
        /apps\[0\]\.canaryVersion: "sha256:xyz" is not an image tag/,
    ],
    ["duplicate app names", (c) => (c.apps = [app(c), { ...app(c) }]), /apps\[1\]\.name: "storefront" is used twice/],
    ["unknown app field", (c) => (app(c).replica = 3), /apps\[0\]: unknown field "replica" \(allowed: name, image/],
    ["unknown top-level key", (c) => (c.canaryStep = 10), /canaryStep: unknown key \(allowed: /],
    [
        "registry with scheme",
        (c) => (section(c, "registry").server = "https://registry.example.com"),
        /registry\.server: "https:\/\/registry\.example\.com" is not a registry host/,
    ],
    [
        "router image on latest",
        (c) => (section(c, "canary").routerImage = "nginx:latest"),
        /canary\.routerImage: "latest" is not allowed/,
    ],
    [
        "untagged router image",
        (c) => (section(c, "canary").routerImage = "nginx"),
        /canary\.routerImage: "nginx" is not an image reference pinned/,
    ],
    ["port out of range", (c) => (app(c).port = 70000), /apps\[0\]\.port: 70000 is not a port \(1-65535\)/],
    [
        "error ratio above 1",
        (c) => (section(c, "canary").analysis = { maxErrorRatio: 5 }),
        /canary\.analysis\.maxErrorRatio: 5 is not a ratio/,
    ],
    ["replicas as string", (c) => (app(c).replicas = "three"), /apps\[0\]\.replicas: "three" is not a number/],
    [
        "blue-green colour",
        (c) => (section(c, "blueGreen").active = "purple"),
        /blueGreen\.active: "purple" is not "blue" or "green"/,
    ],
    [
        "blue-green without smoke test",
        (c) => delete section(c, "blueGreen").smokeTest,
        /blueGreen\.smokeTest: is required \(string\)/,
    ],
    [
        "github without owner",
        (c) => delete section(c, "github").owner,
        /github\.owner: is required when github\.enabled/,
    ],
    [
        "private registry without its secrets",
        (c) => (c.privateRegistry = { enabled: true }),
        /registryPushPassword: required secret is missing/,
    ],
    [
        "private registry with one user for push and pull",
        (c) => (c.privateRegistry = { enabled: true, pushUsername: "ci", pullUsername: "ci" }),
        /privateRegistry\.pullUsername: must differ from pushUsername/,
    ],
    ["missing registry password", (c) => delete c.registryPassword, /registryPassword: required secret is missing/],
    [
        "bad resource quantity",
        (c) => (app(c).resources = { cpuLimit: "lots" }),
        /apps\[0\]\.resources\.cpuLimit: "lots" is not a Kubernetes quantity/,
    ],
    [
        "cpu request above its limit",
        (c) => (app(c).resources = { cpuRequest: "1500m", cpuLimit: "1" }),
        /apps\[0\]\.resources\.cpuRequest: cpuRequest "1500m" exceeds cpuLimit "1": raise cpuLimit or lower cpuRequest/,
    ],
    [
        "memory request above the default limit",
        (c) => (app(c).resources = { memoryRequest: "1Gi" }),
        /apps\[0\]\.resources\.memoryRequest: memoryRequest "1Gi" exceeds memoryLimit "256Mi" \(the default\)/,
    ],
    [
        "blue-green /tmp above the disk limit",
        (c) => (section(c, "blueGreen").resources = { tmpSizeLimit: "1Gi" }),
        /blueGreen\.resources\.tmpSizeLimit: tmpSizeLimit "1Gi" exceeds ephemeralStorageLimit "512Mi" \(the default\)/,
    ],
    [
        "sticky cookie nginx cannot read",
        (c) => (section(c, "canary").stickyCookie = "user-id"),
        /canary\.stickyCookie: "user-id" is not a cookie name nginx can read/,
    ],
    [
        "namespace not DNS",
        (c) => (section(c, "namespaces").apps = "Shop Staging"),
        /namespaces\.apps: "Shop Staging" is not a DNS-1123 label/,
    ],
];

describe("stack config", () => {
    it("accepts the config every case below starts from, and each case is refused for its own reason", async () => {
        reset();
        runProgram(validConfig(), SECRET_KEYS);
        await settle();
        assert.ok(registered.length > 0, "the valid config registers the platform");
        // Without this, two cases could pass on one and the same message while a rule goes untested.
        const messages = BAD_INPUTS.map(([name, mutate]) => {
            reset();
            const config = validConfig();
            mutate(config);
            try {
                runProgram(config, SECRET_KEYS);
            } catch (error) {
                return [name, String(error)] as const;
            }
            return assert.fail(`${name}: accepted`);
        });
        for (const [name, , expected] of BAD_INPUTS) {
            const alsoIn = messages.filter(([other, message]) => other !== name && expected.test(message));
            assert.deepEqual(
                alsoIn.map(([other]) => other),
                [],
                `the message expected for "${name}" also comes for other cases`,
            );
        }
        await settle();
    });

    for (const [name, mutate, expected] of BAD_INPUTS) {
        it(`rejects ${name} before registering anything`, async () => {
            reset();
            const config = validConfig();
            mutate(config);
            assert.throws(
                () => runProgram(config, SECRET_KEYS),
                (error: unknown) => {
                    assert.ok(
                        error instanceof StackConfigRunError,
                        `expected StackConfigRunError, got ${String(error)}`,
                    );
                    // The SDK prints a RunError's message alone: no stack trace, no object dump.
                    assert.ok(pulumi.RunError.isInstance(error));
                    assert.match(error.message, expected);
                    assert.match(error.message, /^invalid stack config for cicd-platform \(\d+ problems?\):/);
                    return true;
                },
            );
            await settle();
            assert.deepEqual(
                registered.map((r) => r.type),
                [],
            );
        });
    }

    it("lists every problem in one message", () => {
        const config = validConfig();
        app(config).canaryPercent = 150;
        app(config).name = "BAD";
        section(config, "registry").server = "http://x";
        setStackConfig(config, SECRET_KEYS);
        assert.throws(
            () => loadStackConfig(),
            (error: unknown) => {
                assert.ok(error instanceof StackConfigRunError);
                assert.equal(error.problems.length, 3, error.message);
                assert.deepEqual(error.problems.map((p) => p.path).sort(), [
                    "apps[0].canaryPercent",
                    "apps[0].name",
                    "registry.server",
                ]);
                return true;
            },
        );
    });

    it("refuses a secret stored in plaintext, without echoing it", () => {
        setStackConfig(validConfig(), []);
        assert.throws(
            () => loadStackConfig(),
            (error: unknown) => {
                assert.ok(error instanceof Error);
                assert.match(error.message, /registryPassword: is stored in plaintext; .*--secret registryPassword/);
                assert.doesNotMatch(error.message, /s3cr3t-registry-pw/);
                return true;
            },
        );
    });

    it("hands secrets on as secret outputs and fills defaults", async () => {
        setStackConfig(validConfig(), SECRET_KEYS);
        const config = loadStackConfig();
        const password = config.secrets.registryPassword as unknown as { isSecret: Promise<boolean> };
        assert.equal(await password.isSecret, true);
        assert.equal(config.canary.analysis.maxErrorRatio, 0.01);
        assert.equal(config.canary.routerReplicas, 2);
        assert.equal(config.apps[0]?.port, 8080);
        assert.equal(config.github.branch, "main");
        assert.equal(config.kubernetes.context, undefined);
    });

    it("treats an empty blueGreen object (the Pulumi.yaml default) as no blue-green release", () => {
        const result = parsePlainConfig({ ...validConfig(), blueGreen: {} });
        assert.ok(result.ok);
        assert.equal(result.config.blueGreen, undefined);
    });

    it("accepts the committed staging and production stacks", () => {
        for (const stack of ["local", "staging", "production"]) {
            const text = readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            const values = parseStackYaml(text);
            delete values.registryPassword;
            const result = parsePlainConfig(values);
            assert.ok(result.ok, `${stack}: ${result.ok ? "" : JSON.stringify(result.problems)}`);
            assert.equal(result.config.environment, stack);
        }
    });

    it("declares every schema key in Pulumi.yaml, with a default where the key is optional", () => {
        const project = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");
        const declared = [...project.matchAll(/^ {2}cicd-platform:(\w+):$/gm)].map((m) => m[1]);
        // The schema is the source of truth: a new key must be declared, and optional ones defaulted.
        const expected = [...PLAIN_KEYS, ...Object.keys(SCHEMA_SECRET_KEYS)];
        assert.deepEqual([...declared].sort(), [...expected].sort());
        const required = new Set(["environment", "namespaces", "registry", "registryPassword"]);
        for (const optional of expected.filter((key) => !required.has(key))) {
            const block = project.split(`  cicd-platform:${optional}:\n`)[1]?.split(/\n {2}\S/)[0] ?? "";
            assert.match(block, /\n {4}default: /, `${optional} needs a default in Pulumi.yaml`);
        }
    });
});

function parseStackYaml(text: string): Record<string, unknown> {
    const { config } = parseYaml(text) as { config: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(config).map(([key, value]) => [key.replace(/^cicd-platform:/, ""), value]),
    );
}
