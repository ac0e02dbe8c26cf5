/**
 * The blue-green switch with fakes behind its ports (ColourSwitch, CanaryMetrics, Clock), and its
 * stack driver on a real stack file. GIVEN what the watch measures WHEN the switch runs THEN the
 * stack sees exactly the ups it should, in order, the idle colour is scaled down only after a passing
 * watch and the drain, and the exit code says what happened.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import { parse } from "yaml";

import { BlueGreenStackDriver } from "../../delivery/blue-green/driver";
import { runSwitch } from "../../delivery/blue-green/switch";
import type { Clock } from "../../delivery/shared/clock";
import { main } from "../../delivery/cli";
import { UsageError } from "../../delivery/shared/command";
import type { CanaryMetrics, Measurement } from "../../delivery/shared/prometheus";
import type { ConfigChange } from "../../delivery/canary/rollout-types";
import { parseSwitchCommandLine } from "../../delivery/blue-green/switch-args";
import { renderSwitchMarkdown } from "../../delivery/blue-green/report";
import type { ColourSwitch, SwitchPlan } from "../../delivery/blue-green/types";
import { blueGreenWatchSchema } from "../../config/schema";
import { FileConfigStack } from "../canary/file-config-stack";

const CHANGE: ConfigChange = { file: "Pulumi.staging.yaml", diff: ["-    active: blue", "+    active: green"] };

function plan(overrides: Partial<SwitchPlan> = {}): SwitchPlan {
    return {
        stack: "staging",
        release: "checkout",
        from: "blue",
        to: "green",
        fromVersion: "2.0.1",
        toVersion: "2.1.0",
        watch: { ...blueGreenWatchSchema.parse({}), seconds: 20, drainSeconds: 7, maxNoDataIntervals: 1 },
        replicas: 2,
        idleReplicasAfter: 0,
        ...overrides,
    };
}

class FakeSwitch implements ColourSwitch {
    readonly calls: string[] = [];
    constructor(
        private readonly switchPlan: SwitchPlan = plan(),
        private readonly failSwitch = false,
    ) {}
    prepare(): Promise<SwitchPlan> {
        this.calls.push("prepare");
        return Promise.resolve(this.switchPlan);
    }
    switchTo(): Promise<void> {
        this.calls.push("up: active green, idle kept");
        return this.failSwitch ? Promise.reject(new Error("health check of green failed 30 times")) : Promise.resolve();
    }
    switchBack(): Promise<ConfigChange> {
        this.calls.push("up: active blue");
        return Promise.resolve(CHANGE);
    }
    scaleDownIdle(): Promise<ConfigChange> {
        this.calls.push("up: idle scaled down");
        return Promise.resolve(CHANGE);
    }
    change(): Promise<ConfigChange> {
        return Promise.resolve(CHANGE);
    }
}

type Kind = "healthy" | "bad" | "no-data";

function measurement(kind: Kind): Measurement {
    if (kind === "no-data") {
        return { noData: "Prometheus at http://127.0.0.1:9 unreachable: ECONNREFUSED", queryMs: 1 };
    }
    return {
        canary: { requests: 4000, errors: kind === "bad" ? 200 : 0, p95Seconds: 0.03 },
        stable: { requests: 0, errors: 0 },
        queryMs: 2,
    };
}

class FakeMetrics implements CanaryMetrics {
    readonly windows: number[] = [];
    constructor(
        private readonly kinds: readonly Kind[],
        private readonly calls: string[],
    ) {}
    measure(windowSeconds: number): Promise<Measurement> {
        this.calls.push(`watch ${windowSeconds}s`);
        const kind = this.kinds[Math.min(this.windows.length, this.kinds.length - 1)] ?? "healthy";
        this.windows.push(windowSeconds);
        return Promise.resolve(measurement(kind));
    }
}

function fakeClock(calls: string[]): Clock {
    let now = 0;
    return {
        now: () => now,
        sleep: (ms) => {
            calls.push(`sleep ${ms}ms`);
            now += ms;
            return Promise.resolve();
        },
    };
}

async function run(kinds: readonly Kind[], target = new FakeSwitch()) {
    const metrics = new FakeMetrics(kinds, target.calls);
    const lines: string[] = [];
    const result = await runSwitch({ target, metrics, clock: fakeClock(target.calls), log: (l) => lines.push(l) });
    return { result, calls: target.calls, lines };
}

describe("blue-green switch", () => {
    it("GIVEN a healthy green THEN one switch up, the watch passes, the drain, and only then the idle colour goes down (exit 0)", async () => {
        const { result, calls } = await run(["healthy"]);
        assert.equal(result.outcome, "switched");
        assert.equal(result.exitCode, 0);
        assert.deepEqual(calls, [
            "prepare",
            "up: active green, idle kept",
            "sleep 20000ms",
            "watch 20s",
            "sleep 7000ms",
            "up: idle scaled down",
        ]);
        assert.deepEqual(
            result.events.map((e) => e.what),
            ["switch up", "watch passed", "drained", "scale-down up"],
        );
        assert.equal(result.windows[0]?.phase, "watch");
        assert.equal(result.state, "green (2.1.0)");
    });

    it("GIVEN green answers 5% with 5xx THEN it switches back in one up, and the idle colour is never scaled down before that (exit 3)", async () => {
        const { result, calls } = await run(["bad"]);
        assert.equal(result.outcome, "switched-back");
        assert.equal(result.exitCode, 3);
        assert.deepEqual(calls, [
            "prepare",
            "up: active green, idle kept",
            "sleep 20000ms",
            "watch 20s",
            "up: active blue",
            "sleep 7000ms",
            "up: idle scaled down",
        ]);
        assert.match(result.message, /switched back to blue: canary 5xx ratio 5\.00% is above the maximum 1\.00%/);
        assert.equal(result.state, "blue (2.0.1)");
    });

    it("GIVEN Prometheus down during the watch THEN it holds maxNoDataIntervals windows, then switches back", async () => {
        const { result, calls } = await run(["no-data"]);
        assert.equal(result.outcome, "switched-back");
        assert.deepEqual(
            result.windows.map((w) => w.action),
            ["hold", "rollback"],
        );
        assert.equal(calls.filter((c) => c === "up: active blue").length, 1);
        assert.ok(calls.indexOf("up: active blue") < calls.indexOf("up: idle scaled down"));
    });

    it("GIVEN idleReplicas unset THEN no scale-down up and no drain wait", async () => {
        const { result, calls } = await run(["healthy"], new FakeSwitch(plan({ idleReplicasAfter: undefined })));
        assert.equal(result.outcome, "switched");
        assert.ok(!calls.includes("up: idle scaled down"));
        assert.ok(!calls.includes("sleep 7000ms"));
    });

    it("GIVEN the gate refuses green THEN the config goes back to blue and the exit code is 1", async () => {
        const { result, calls } = await run(["healthy"], new FakeSwitch(plan(), true));
        assert.equal(result.outcome, "error");
        assert.equal(result.exitCode, 1);
        assert.match(
            result.message,
            /the switch up failed: health check of green failed 30 times; config back on blue/,
        );
        assert.ok(!calls.some((c) => c.startsWith("watch")));
    });

    it("reports with its marker, the timeline and the decision record", async () => {
        const { result } = await run(["bad"]);
        const md = renderSwitchMarkdown(result);
        assert.equal(md.split("\n")[0], "<!-- cicd-platform-switch:staging:checkout -->");
        assert.match(md, /^# Blue-green checkout blue \(2\.0\.1\) → green \(2\.1\.0\): switched back$/m);
        assert.match(md, /^\| 20\.0s \| watch failed \|$/m);
        assert.match(md, /^\| canary 5xx ratio \| - \| n\/a \| 4000 \| 5\.00% \| ≤ 1\.00% \| fail \|$/m);
    });
});

const STACK_FILE = `config:
  cicd-platform:environment: staging
  cicd-platform:namespaces:
    apps: shop-staging
  cicd-platform:registry:
    server: registry.example.com
    username: ci-pull
  cicd-platform:blueGreen:
    name: checkout
    image: registry.example.com/shop/checkout
    blueVersion: 2.0.1
    greenVersion: 2.1.0
    active: blue
    replicas: 3
    idleReplicas: 0
    healthCheck: "true"
    smokeTest: "true"
`;

describe("blue-green stack driver", () => {
    let dir: string;
    let file: string;
    let stack: FileConfigStack;
    const blueGreen = async () =>
        (parse(await readFile(file, "utf8")) as { config: Record<string, { active: string; idleReplicas?: number }> })
            .config["cicd-platform:blueGreen"];

    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "bg-driver-"));
        file = join(dir, "Pulumi.staging.yaml");
        await writeFile(file, STACK_FILE);
        stack = new FileConfigStack("staging", file);
    });
    afterEach(async () => {
        await rm(dir, { recursive: true, force: true });
    });

    it("switches with the old colour at full replicas, scales it down in a later up, one up each", async () => {
        const driver = new BlueGreenStackDriver(stack, { release: "checkout", to: "green", stackFile: file });
        const p = await driver.prepare();
        assert.deepEqual(
            [p.from, p.to, p.fromVersion, p.toVersion, p.idleReplicasAfter],
            ["blue", "green", "2.0.1", "2.1.0", 0],
        );
        await driver.switchTo();
        assert.deepEqual(await blueGreen(), { ...(await blueGreen()), active: "green", idleReplicas: 3 });
        await driver.scaleDownIdle();
        assert.equal((await blueGreen())?.idleReplicas, 0);
        assert.equal(stack.ups.length, 2);
        const diff = (await driver.change()).diff;
        assert.ok(diff.includes("-    active: blue") && diff.includes("+    active: green"), diff.join("\n"));
    });

    it("switches back to the old colour", async () => {
        const driver = new BlueGreenStackDriver(stack, { release: "checkout", to: "green", stackFile: file });
        await driver.prepare();
        await driver.switchTo();
        await driver.switchBack();
        assert.equal((await blueGreen())?.active, "blue");
        assert.equal(stack.ups.at(-1)?.config["cicd-platform:blueGreen"] !== undefined, true);
    });

    for (const [options, message] of [
        [
            { release: "payments", to: "green" },
            /--release: stack staging's blue-green release is "checkout", not "payments"/,
        ],
        [{ release: "checkout", to: "blue" }, /--to: checkout already serves from blue; nothing to switch/],
    ] as const) {
        it(`refuses ${JSON.stringify(options)} before writing anything`, async () => {
            const driver = new BlueGreenStackDriver(stack, { ...options, stackFile: file });
            await assert.rejects(driver.prepare(), message);
            assert.equal(await readFile(file, "utf8"), STACK_FILE);
        });
    }
});

describe("canary switch command line", () => {
    const BASE = ["switch", "--stack", "staging", "--release", "checkout", "--to", "green"];

    it("parses switch with defaults", () => {
        const args = parseSwitchCommandLine(BASE, {});
        assert.equal(args.to, "green");
        assert.equal(args.trackLabel, "track");
        assert.equal(args.onInterrupt, "rollback");
        assert.equal(args.prometheus, "http://127.0.0.1:9090");
    });

    for (const [argv, message] of [
        [["switch", "--stack", "s", "--to", "green"], /--release is required/],
        [[...BASE.slice(0, 5), "--to", "purple"], /--to: "purple" is not blue or green/],
        [[...BASE, "--watch-seconds", "0"], /--watch-seconds: "0" is not a positive integer/],
        [[...BASE, "--track-label", "a-b"], /--track-label: "a-b" is not a Prometheus label name/],
        [[...BASE, "--app", "x"], /Unknown option '--app'/],
    ] as const) {
        it(`rejects ${JSON.stringify(argv.slice(5))} naming the flag`, () => {
            assert.throws(
                () => parseSwitchCommandLine(argv, {}),
                (error: unknown) => error instanceof UsageError && message.test(error.message),
            );
        });
    }

    it("exits 2 with the switch usage on a usage error", async () => {
        const err: string[] = [];
        const io = { out: () => undefined, err: (l: string) => err.push(l), env: {} };
        assert.equal(await main(["switch", "--stack", "s"], io), 2);
        assert.match(err.join("\n"), /canary: --release is required\n\nusage: canary switch/);
    });
});
