/**
 * Blue-green on the canary lab's real processes: the lab's nginx serves the active colour (blue on
 * the lab's stable port, green on its canary port), Prometheus scrapes both, and each colour is a
 * backend process whose `track` label is its colour. {@link blueGreenDeploy} is `up` without the
 * engine for FileConfigStack, in the engine's order for BlueGreenRelease: the colours' Deployments
 * first (started, or stopped at 0 replicas, all before the gate), then the gate (the health check of
 * the target colour), then the live route. It records when each colour was stopped.
 */
import { chmod, writeFile } from "node:fs/promises";

import { stringify } from "yaml";

import { START_TRACK_SCRIPT, STOP_TRACK_SCRIPT, trackEnvironment } from "./fixture/track-scripts";
import { applyRouter, type CanaryLab, platformConfig, runScript } from "./lab";
import { httpGet, sleep } from "./processes";

export const RELEASE = "checkout";
export const BLUE = "1.0.0";

export type Colour = "blue" | "green";

export interface BlueGreenLabState {
    /** Version each running colour serves. */
    readonly running: Partial<Record<Colour, string>>;
    /** `Date.now()` when each colour's process was stopped, in order. */
    readonly stopped: { colour: Colour; at: number }[];
    /** `Date.now()` when the live route last moved, and to which colour. */
    readonly routed: { colour: Colour; at: number }[];
}

const port = (lab: CanaryLab, colour: Colour): number =>
    colour === "blue" ? lab.settings.stablePort : lab.settings.canaryPort;

function colourEnvironment(lab: CanaryLab, colour: Colour, version: string): Record<string, string> {
    const behaviour = lab.settings.versions[version] ?? {};
    return {
        ...trackEnvironment({
            stateDir: lab.settings.stateDir,
            app: RELEASE,
            track: "stable",
            version,
            port: port(lab, colour),
            errorRatio: behaviour.errorRatio ?? 0,
            delayMs: behaviour.delayMs ?? 0,
        }),
        TRACK: colour,
    };
}

async function healthCheck(lab: CanaryLab, colour: Colour): Promise<void> {
    for (let attempt = 1; attempt <= 30; attempt++) {
        if ((await httpGet(`http://127.0.0.1:${port(lab, colour)}/healthz`)).status === 200) {
            return;
        }
        await sleep(100);
    }
    throw new Error(`blue-green gate: health check of ${colour} failed 30 times; traffic stays where it was`);
}

export function blueGreenDeploy(lab: CanaryLab, state: BlueGreenLabState) {
    const running = state.running as Record<Colour, string | undefined>;
    let routedTo: Colour | undefined;
    return async (config: Record<string, unknown>, log: (text: string) => void): Promise<void> => {
        const bg = JSON.parse(JSON.stringify(config["cicd-platform:blueGreen"])) as {
            active: Colour;
            blueVersion: string;
            greenVersion: string;
            replicas?: number;
            idleReplicas?: number;
        };
        const replicas = bg.replicas ?? 1;
        for (const colour of ["blue", "green"] as const) {
            const wanted = colour === bg.active ? replicas : (bg.idleReplicas ?? replicas);
            const version = colour === "blue" ? bg.blueVersion : bg.greenVersion;
            if (wanted > 0 && running[colour] !== version) {
                log(await runScript(START_TRACK_SCRIPT, colourEnvironment(lab, colour, version)));
                running[colour] = version;
            } else if (wanted === 0 && running[colour] !== undefined) {
                log(await runScript(STOP_TRACK_SCRIPT, colourEnvironment(lab, colour, running[colour])));
                state.stopped.push({ colour, at: Date.now() });
                running[colour] = undefined;
            }
        }
        if (routedTo !== bg.active) {
            await healthCheck(lab, bg.active);
            await applyRouter(lab, bg.active === "green" ? 100 : 0);
            state.routed.push({ colour: bg.active, at: Date.now() });
            routedTo = bg.active;
        }
    };
}

/** Stops both colours' processes (by their recorded, verified pids). */
export async function stopColours(lab: CanaryLab): Promise<void> {
    for (const colour of ["blue", "green"] as const) {
        await runScript(STOP_TRACK_SCRIPT, colourEnvironment(lab, colour, "-")).catch(() => undefined);
    }
}

export interface WatchSettings {
    readonly seconds: number;
    readonly drainSeconds: number;
}

/** A stack file with the lab's config plus a blue-green release on blue, green idle at 0 replicas. */
export async function writeBlueGreenStackFile(file: string, greenVersion: string, watch: WatchSettings): Promise<void> {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(platformConfig([10, 100]))) {
        config[`cicd-platform:${key}`] = value;
    }
    config["cicd-platform:blueGreen"] = {
        name: RELEASE,
        image: "registry.canary-lab.test/shop/checkout",
        blueVersion: BLUE,
        greenVersion,
        active: "blue",
        replicas: 1,
        idleReplicas: 0,
        healthCheck: "true",
        smokeTest: "true",
        gateExecutor: "dynamic",
        watch: { ...watch, maxErrorRatio: 0.01, maxP95Seconds: 0.25, minRequests: 30, maxNoDataIntervals: 1 },
    };
    await writeFile(file, stringify({ config }, { lineWidth: 0 }));
    await chmod(file, 0o644);
}
