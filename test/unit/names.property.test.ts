/**
 * Names of every length through the schema and the components under mocks: whatever is accepted
 * registers only names the API server accepts, and whatever would not fit is refused up front with
 * a message that says how long the name may be.
 */
import { ofType, registered, type Registered, reset, runProgram, settle } from "../support/pulumi-mocks";

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import { BlueGreenRelease, CanaryRelease, PrivateRegistry, WeightedUpstream } from "../../components";
import { DERIVED_NAMES, NAME_RULES, type NameRule, nameBound, satisfiesRule } from "../../components/shared/names";
import { parsePlainConfig } from "../../config/schema";
import { SECRET_KEYS, validConfig } from "./fixtures";

type Obj = Record<string, unknown>;

/** The rule the API server applies to the name of each kind the components create. */
function ruleOf(type: string): NameRule {
    if (type === "kubernetes:core/v1:Service") {
        return "dns1035Label";
    }
    if (type === "kubernetes:batch/v1:CronJob") {
        return "cronJobName";
    }
    if (type === "kubernetes:core/v1:Namespace") {
        return "dns1123Label";
    }
    return "dns1123Subdomain";
}

/** The name the provider gives an object: its own, or the resource name plus `-` and 8 hex digits. */
function objectName(resource: Registered): string {
    const name = (resource.inputs.metadata as Obj | undefined)?.name;
    return typeof name === "string" ? name : `${resource.name}-0123abcd`;
}

/** Every label map anywhere in an object's inputs: metadata.labels, selectors, pod templates. */
function labelMaps(value: unknown, key = ""): Record<string, unknown>[] {
    if (Array.isArray(value)) {
        return value.flatMap((item) => labelMaps(item));
    }
    if (typeof value !== "object" || value === null) {
        return [];
    }
    const here = ["labels", "matchLabels"].includes(key) ? [value as Record<string, unknown>] : [];
    return [...here, ...Object.entries(value).flatMap(([k, v]) => labelMaps(v, k))];
}

/** What the API server would refuse among the registered Kubernetes objects. */
function refusedNames(): string[] {
    const problems: string[] = [];
    for (const resource of registered.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.metadata)) {
        const name = objectName(resource);
        const rule = ruleOf(resource.type);
        if (!satisfiesRule(name, rule)) {
            problems.push(`${resource.type} "${name}" (${name.length}) is not a ${NAME_RULES[rule].description}`);
        }
        for (const labels of labelMaps(resource.inputs)) {
            for (const [key, value] of Object.entries(labels)) {
                if (typeof value !== "string" || !satisfiesRule(value, "labelValue")) {
                    problems.push(`${resource.type} "${name}": label ${key}=${String(value)} is not a label value`);
                }
            }
        }
    }
    return problems;
}

/** DNS-1123 labels (what the schema's first check lets through) of exactly `length` characters. */
function dnsLabelOfLength(length: number): fc.Arbitrary<string> {
    const alnum = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789".split(""));
    const inner = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-".split(""));
    if (length === 1) {
        return alnum;
    }
    return fc
        .tuple(alnum, fc.array(inner, { minLength: length - 2, maxLength: length - 2 }), alnum)
        .map(([first, middle, last]) => `${first}${middle.join("")}${last}`);
}
const anyDnsLabel = fc.integer({ min: 1, max: 70 }).chain(dnsLabelOfLength);

const CANARY_MAX = nameBound(DERIVED_NAMES.canaryRelease, "name").maxLength;
const BLUE_GREEN_MAX = nameBound(DERIVED_NAMES.blueGreenRelease, "app").maxLength;

function stackWith(appName: string, blueGreenName: string): Record<string, unknown> {
    const config = validConfig();
    (config.apps as Obj[])[0] = { ...(config.apps as Obj[])[0], name: appName };
    config.blueGreen = { ...(config.blueGreen as Obj), name: blueGreenName };
    config.github = { enabled: false };
    return config;
}

/** Runs the program on a config; returns the schema's problems, or the names the server would refuse. */
async function throughProgram(config: Record<string, unknown>): Promise<{ problems?: string[]; refused: string[] }> {
    reset();
    const parsed = parsePlainConfig(config);
    if (!parsed.ok) {
        return { problems: parsed.problems.map((p) => `${p.path}: ${p.message}`), refused: [] };
    }
    runProgram(config, SECRET_KEYS);
    await settle();
    return { refused: refusedNames() };
}

describe("names of every length", { timeout: 300_000 }, () => {
    it("bounds derive from the components' own suffixes: 47 for a canary app, 57 for a blue-green release", () => {
        // `<name>-router-<8 hex>` is the router Service: 63 - 7 - 9.
        assert.equal(CANARY_MAX, 47);
        // `<name>-green`: 63 - 6.
        assert.equal(BLUE_GREEN_MAX, 57);
    });

    it("the stack config accepts exactly the names whose every derived name the API server accepts", async () => {
        await fc.assert(
            fc.asyncProperty(anyDnsLabel, anyDnsLabel, async (appName, blueGreenName) => {
                const { problems, refused } = await throughProgram(stackWith(appName, blueGreenName));
                if (problems === undefined) {
                    assert.deepEqual(refused, [], `${appName} / ${blueGreenName}`);
                    assert.ok(appName.length <= CANARY_MAX && blueGreenName.length <= BLUE_GREEN_MAX);
                    return;
                }
                // Refused: only for the names, and each message gives the bound or the rule broken.
                for (const problem of problems) {
                    assert.match(problem, /^(apps\[0\]|blueGreen)\.name: /, problem);
                    assert.match(problem, /may be at most (47|57)|must start with a lowercase letter/, problem);
                }
                const appTooLong = appName.length > CANARY_MAX || !/^[a-z]/.test(appName);
                const blueGreenTooLong = blueGreenName.length > BLUE_GREEN_MAX || !/^[a-z]/.test(blueGreenName);
                assert.equal(
                    problems.some((p) => p.startsWith("apps[0]")),
                    appTooLong,
                );
                assert.equal(
                    problems.some((p) => p.startsWith("blueGreen")),
                    blueGreenTooLong,
                );
            }),
            {
                numRuns: 60,
                // Every length once, so the boundaries are always tried, whatever the seed.
                examples: Array.from(
                    { length: 66 },
                    (_, i) => ["a".repeat(i + 1), "b".repeat(i + 1)] as [string, string],
                ),
            },
        );
    });

    it("the longest accepted names register only valid names; one more character is refused with the bound", async () => {
        const longest = await throughProgram(stackWith("a".repeat(CANARY_MAX), "b".repeat(BLUE_GREEN_MAX)));
        assert.equal(longest.problems, undefined);
        assert.deepEqual(longest.refused, []);
        // At the bound, the router Service is exactly 63 characters: the bound is not loose.
        const routerService = ofType("kubernetes:core/v1:Service")
            .map(objectName)
            .find((n) => n.includes("-router"));
        assert.equal(routerService?.length, 63);

        const tooLong = await throughProgram(stackWith("a".repeat(CANARY_MAX + 1), "b".repeat(BLUE_GREEN_MAX + 1)));
        assert.deepEqual(tooLong.problems, [
            `apps[0].name: "${"a".repeat(48)}" is 48 characters; it may be at most 47, so that the router Service ` +
                `"${"a".repeat(47)}-router-xxxxxxxx" fits a 63-character DNS-1035 label`,
            `blueGreen.name: "${"b".repeat(58)}" is 58 characters; it may be at most 57, so that the green Service ` +
                `"${"b".repeat(57)}-green" fits a 63-character DNS-1035 label`,
        ]);
    });

    it("the issue's 62-character name, a valid DNS label, is refused before anything is registered", async () => {
        const name = "a-very-long-application-name-that-is-too-long-for-k8s-objects";
        const result = await throughProgram(stackWith(name, "checkout"));
        assert.equal(result.problems?.length, 1);
        assert.match(result.problems[0] ?? "", /apps\[0\]\.name: .* may be at most 47/);
        assert.equal(registered.length, 0);
    });

    /** Builds a component under mocks; its refusal message, or the names the server would refuse. */
    async function throughComponent(build: () => void): Promise<{ error?: string; refused: string[] }> {
        reset();
        try {
            build();
        } catch (error) {
            return { error: String(error), refused: [] };
        }
        await settle();
        return { refused: refusedNames() };
    }

    const componentCases: [string, (name: string) => void, number][] = [
        [
            "CanaryRelease",
            (name) =>
                new CanaryRelease(name, {
                    namespace: "ns",
                    image: "registry.example.com/a",
                    stableVersion: "1.0.0",
                    canaryVersion: "1.1.0",
                    canaryPercent: 10,
                    replicas: 2,
                }),
            CANARY_MAX,
        ],
        [
            "BlueGreenRelease",
            (name) =>
                new BlueGreenRelease(name, {
                    namespace: "ns",
                    image: "registry.example.com/a",
                    blueVersion: "1.0.0",
                    greenVersion: "1.1.0",
                    activeColor: "blue",
                    replicas: 2,
                    healthCheck: "true",
                    smokeTest: "true",
                    gateExecutor: "dynamic",
                }),
            BLUE_GREEN_MAX,
        ],
        [
            "WeightedUpstream",
            (name) =>
                new WeightedUpstream(name, {
                    namespace: "ns",
                    stableBackend: "a:80",
                    canaryBackend: "b:80",
                    canaryPercent: 10,
                }),
            54,
        ],
        [
            "PrivateRegistry with garbage collection",
            (name) =>
                new PrivateRegistry(name, {
                    namespace: "registry",
                    pushPassword: "push-password-0123456789",
                    pullPassword: "pull-password-0123456789",
                    httpSecret: "http-secret-0123456789abcdef0123456789",
                    pushNamespaces: ["ci"],
                    pullNamespaces: ["apps"],
                    garbageCollectSchedule: "0 3 * * 0",
                }),
            40,
        ],
    ];

    for (const [component, build, max] of componentCases) {
        it(`${component}: a name of any length either registers valid names only or is refused with the bound ${max}`, async () => {
            await fc.assert(
                fc.asyncProperty(anyDnsLabel, async (name) => {
                    const { error, refused } = await throughComponent(() => {
                        build(name);
                    });
                    if (error === undefined) {
                        assert.deepEqual(refused, [], name);
                        assert.ok(name.length <= max, `${name} (${name.length}) accepted above ${max}`);
                        return;
                    }
                    assert.ok(registered.length === 0, "nothing registered before the refusal");
                    assert.match(error, new RegExp(`may be at most ${max}|must start with a lowercase letter`));
                }),
                {
                    numRuns: 40,
                    examples: [[`x${"a".repeat(max - 1)}`], [`x${"a".repeat(max)}`], ["1abc"]],
                },
            );
        });
    }
});
