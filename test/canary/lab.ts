/**
 * The canary lab: real nginx (Debian's, as NginxInstance runs it), real Prometheus scraping the two
 * track ports every second, backend processes started by the fixture's track scripts, and a load
 * generator. The engine tests deploy into it with `pulumi up` of test/canary/fixture; the test that
 * runs without the engine deploys with {@link directDeploy}, which runs the same scripts and the
 * same HostUpstream command text in the order the engine would.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { stringify } from "yaml";

import { hostUpstreamScript } from "../../components/traffic/host-upstream";
import { renderNginxConfig } from "../../components/traffic/nginx-config";
import { NginxInstance } from "../nginx/nginx-harness";
import { freePort } from "../support/free-port";
import type { VersionBehaviour } from "./fixture/track-scripts";
import { START_TRACK_SCRIPT, STOP_TRACK_SCRIPT, trackEnvironment } from "./fixture/track-scripts";
import { type FixtureSettings, fixtureConfig, routerArgs } from "./fixture/settings";
import { LoadGenerator, type LoadOptions, PrometheusInstance, readText } from "./processes";

export const APP = "shop";
export const STABLE = "1.0.0";

/** Versions the tests roll out, and how each behaves. */
export const VERSIONS: Readonly<Record<string, VersionBehaviour>> = {
    "1.0.0": {},
    "2.0.0": {},
    "2.0.1-bad": { errorRatio: 0.05 },
    "2.0.2-slow": { delayMs: 600 },
};

export interface LabAnalysis {
    readonly intervalSeconds: number;
    readonly minRequests: number;
    readonly maxNoDataIntervals: number;
    readonly maxP95Seconds: number;
}

export const DEFAULT_ANALYSIS: LabAnalysis = {
    intervalSeconds: 3,
    minRequests: 30,
    maxNoDataIntervals: 2,
    maxP95Seconds: 0.25,
};

/** The `cicd-platform:*` keys of a fixture stack (plain values; the secret is set separately). */
export function platformConfig(steps: readonly number[], analysis: LabAnalysis = DEFAULT_ANALYSIS) {
    return {
        environment: "local",
        namespaces: { apps: "canary-lab" },
        registry: { server: "registry.canary-lab.test", username: "ci-pull" },
        apps: [{ name: APP, image: "registry.canary-lab.test/shop/storefront", stableVersion: STABLE, replicas: 1 }],
        canary: {
            steps: [...steps],
            analysis: { ...analysis, maxErrorRatio: 0.01, maxRatioVsStable: 1.5, ratioFloor: 0.001 },
            // A short fail_timeout: a stopped canary is not avoided for 30s by a worker that saw it fail.
            failTimeoutSeconds: 5,
        },
    };
}

export class CanaryLab {
    private constructor(
        readonly settings: FixtureSettings,
        readonly nginx: NginxInstance,
        public prometheus: PrometheusInstance,
    ) {}

    static async create(): Promise<CanaryLab> {
        const stateDir = await mkdtemp(join(tmpdir(), "canary-lab-"));
        const nginx = await NginxInstance.create();
        const settings: FixtureSettings = {
            stateDir,
            nginxDir: nginx.dir,
            nginxPort: nginx.port,
            stablePort: await freePort(),
            canaryPort: await freePort(),
            versions: VERSIONS,
        };
        // nginx runs before the first deployment, as a host's nginx service would; at 0% it only
        // knows the stable backend, which the first `up` starts.
        await nginx.writeConfig(renderNginxConfig(renderOptions(settings, 0)));
        await nginx.start();
        let prometheus: PrometheusInstance;
        try {
            prometheus = await PrometheusInstance.start([
                `127.0.0.1:${settings.stablePort}`,
                `127.0.0.1:${settings.canaryPort}`,
            ]);
        } catch (error) {
            await nginx.dispose();
            throw error;
        }
        return new CanaryLab(settings, nginx, prometheus);
    }

    get fixtureConfig(): Record<string, unknown> {
        return fixtureConfig(this.settings);
    }

    startLoad(options: Omit<LoadOptions, "port">): LoadGenerator {
        return new LoadGenerator({ port: this.settings.nginxPort, ...options });
    }

    /** Restarts Prometheus (new port, empty storage) after a test stopped it. */
    async restartPrometheus(): Promise<void> {
        await this.prometheus.dispose();
        this.prometheus = await PrometheusInstance.start([
            `127.0.0.1:${this.settings.stablePort}`,
            `127.0.0.1:${this.settings.canaryPort}`,
        ]);
    }

    /** Stops whatever backends are still running (by their recorded, verified pids). */
    async stopBackends(): Promise<void> {
        for (const track of ["canary", "stable"] as const) {
            await runScript(
                STOP_TRACK_SCRIPT,
                trackEnvironment({ ...trackDefaults(this.settings, track), version: "-" }),
            );
        }
    }

    async dispose(): Promise<void> {
        await this.stopBackends().catch(() => undefined);
        await this.nginx.dispose();
        await this.prometheus.dispose();
        await rm(this.settings.stateDir, { recursive: true, force: true });
    }

    async logs(): Promise<string> {
        return [
            `--- nginx error.log\n${await this.nginx.errorLogText()}`,
            `--- stable.log\n${await readText(join(this.settings.stateDir, "stable.log"))}`,
            `--- canary.log\n${await readText(join(this.settings.stateDir, "canary.log"))}`,
            `--- prometheus\n${this.prometheus.stderr()}`,
        ].join("\n");
    }
}

function trackDefaults(settings: FixtureSettings, track: "stable" | "canary") {
    return {
        stateDir: settings.stateDir,
        app: APP,
        track,
        port: track === "stable" ? settings.stablePort : settings.canaryPort,
        errorRatio: 0,
        delayMs: 0,
    };
}

const ROUTER_TUNING = { maxFails: 3, failTimeoutSeconds: 5, keepalive: 32 };

function renderOptions(settings: FixtureSettings, canaryPercent: number) {
    const args = routerArgs(settings, canaryPercent, ROUTER_TUNING);
    return {
        name: args.upstreamName ?? "app",
        stable: args.stableBackend as string,
        canary: args.canaryBackend as string,
        canaryPercent,
        listen: args.listen as string,
        pidFile: args.pidFile as string,
        tempDir: args.tempDir as string,
        accessLog: args.accessLog as string,
        errorLog: args.errorLog as string,
        maxFails: ROUTER_TUNING.maxFails,
        failTimeoutSeconds: ROUTER_TUNING.failTimeoutSeconds,
        keepalive: ROUTER_TUNING.keepalive,
    };
}

/** Puts the router at `percent` with HostUpstream's command text (as its command would); returns when live. */
export async function applyRouter(lab: CanaryLab, percent: number): Promise<void> {
    const script = hostUpstreamScript(routerArgs(lab.settings, percent, ROUTER_TUNING));
    await runScript(script, {}, renderNginxConfig(renderOptions(lab.settings, percent)));
}

/** Runs a script text as the command provider would (`/bin/sh -c`), with env and stdin; throws on failure. */
export function runScript(script: string, env: Record<string, string>, stdin = ""): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("/bin/sh", ["-c", script], {
            env: { ...process.env, ...env },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            if (code === 0) {
                resolve(out);
            } else {
                reject(new Error(`script exited with ${String(code)}:\n${out}`));
            }
        });
        // A script that exits without reading stdin closes the pipe: that is its exit code's business.
        child.stdin.on("error", () => undefined);
        child.stdin.end(stdin);
    });
}

interface Deployed {
    stable?: string;
    canary?: string;
    routerHash?: string;
}

/**
 * `up` without the engine, for FileConfigStack: reads the app from the stack config and converges
 * the lab in the engine's order (backends created or updated, then the router, then a canary that
 * left the program deleted), with the fixture's scripts and HostUpstream's command text.
 */
export function directDeploy(lab: CanaryLab) {
    const deployed: Deployed = {};
    const settings = lab.settings;
    const routerScript = hostUpstreamScript(routerArgs(settings, 0, ROUTER_TUNING));
    return async (config: Record<string, unknown>, log: (text: string) => void): Promise<void> => {
        const apps = JSON.parse(JSON.stringify(config["cicd-platform:apps"])) as {
            stableVersion: string;
            canaryVersion?: string;
            canaryPercent?: number;
        }[];
        const app = apps[0];
        if (app === undefined) {
            throw new Error("no app");
        }
        const percent = app.canaryPercent ?? 0;
        const start = async (track: "stable" | "canary", version: string): Promise<void> => {
            const behaviour = settings.versions[version] ?? {};
            log(
                await runScript(
                    START_TRACK_SCRIPT,
                    trackEnvironment({
                        ...trackDefaults(settings, track),
                        version,
                        errorRatio: behaviour.errorRatio ?? 0,
                        delayMs: behaviour.delayMs ?? 0,
                    }),
                ),
            );
            deployed[track] = version;
        };
        if (deployed.stable !== app.stableVersion) {
            await start("stable", app.stableVersion);
        }
        const wantCanary = percent > 0 && app.canaryVersion !== undefined ? app.canaryVersion : undefined;
        if (wantCanary !== undefined && deployed.canary !== wantCanary) {
            await start("canary", wantCanary);
        }
        const content = renderNginxConfig(renderOptions(settings, percent));
        const hash = createHash("sha256").update(content).digest("hex");
        if (hash !== deployed.routerHash) {
            log(await runScript(routerScript, {}, content));
            deployed.routerHash = hash;
        }
        if (wantCanary === undefined && deployed.canary !== undefined) {
            log(
                await runScript(
                    STOP_TRACK_SCRIPT,
                    trackEnvironment({ ...trackDefaults(settings, "canary"), version: deployed.canary }),
                ),
            );
            delete deployed.canary;
        }
    };
}

/** A fresh `Pulumi.<stack>.yaml` with the lab's config, for FileConfigStack. */
export async function writeStackFile(file: string, lab: CanaryLab, steps: readonly number[]): Promise<void> {
    const platform = platformConfig(steps);
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(platform)) {
        config[`cicd-platform:${key}`] = value;
    }
    for (const [key, value] of Object.entries(lab.fixtureConfig)) {
        config[`fixture:${key}`] = value;
    }
    await writeFile(file, stringify({ config }, { lineWidth: 0 }));
    await chmod(file, 0o644);
}
