import { renderUpstream } from "../components/traffic/nginx-config";
import { canaryReplicas, trackWeights } from "../components/traffic/traffic-split";
import type { AnalysisConfig, PlainStackConfig } from "../config/schema";

/**
 * What each canary step of each app will run, computed by the same functions the components use:
 * replicas from `canaryReplicas`, weights from `trackWeights`, and the upstream servers from the one
 * nginx renderer, so the plan a reviewer reads is what the router will be given.
 */

export interface UpstreamServer {
    readonly track: "stable" | "canary";
    readonly weight: number;
}

export interface CanaryStep {
    readonly percent: number;
    readonly stableReplicas: number;
    readonly canaryReplicas: number;
    readonly weights: { readonly stable: number; readonly canary: number };
    /** The `server` lines the renderer writes at this step (a track at weight 0 is left out). */
    readonly servers: readonly UpstreamServer[];
}

export interface AppCanaryPlan {
    readonly app: string;
    readonly stableVersion: string;
    readonly canaryVersion?: string;
    readonly replicas: number;
    /** The percentage the stack config sets now. */
    readonly currentPercent: number;
    readonly steps: readonly CanaryStep[];
}

export interface CanaryPlan {
    readonly apps: readonly AppCanaryPlan[];
    readonly analysis: AnalysisConfig;
}

const SERVER_LINE = /^\s*server \S+ weight=(\d+) .*# (stable|canary)$/;

/** Reads the servers back out of the rendered upstream block. */
export function upstreamServers(canaryPercent: number): UpstreamServer[] {
    const text = renderUpstream({
        name: "plan",
        stable: "stable.invalid:80",
        canary: "canary.invalid:80",
        canaryPercent,
    });
    const servers: UpstreamServer[] = [];
    for (const line of text.split("\n")) {
        const match = SERVER_LINE.exec(line);
        if (match) {
            servers.push({ track: match[2] as "stable" | "canary", weight: Number(match[1]) });
        }
    }
    return servers;
}

export function canaryPlan(config: PlainStackConfig): CanaryPlan {
    return {
        analysis: config.canary.analysis,
        apps: config.apps.map((app) => ({
            app: app.name,
            stableVersion: app.stableVersion,
            canaryVersion: app.canaryVersion,
            replicas: app.replicas,
            currentPercent: app.canaryPercent,
            steps: config.canary.steps.map((percent) => ({
                percent,
                // The stable track keeps its full size until promotion (see CanaryRelease).
                stableReplicas: app.replicas,
                canaryReplicas: canaryReplicas(app.replicas, percent),
                weights: trackWeights(percent),
                servers: upstreamServers(percent),
            })),
        })),
    };
}
