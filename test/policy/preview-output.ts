/**
 * Reading what `pulumi preview --policy-pack` and the API server say, for the policy pack's preview
 * tests: the pack's violations and the preview's steps from the engine's streamed JSON events, and
 * the API server's dry-run requests from its metrics. Also the small process runner those tests use
 * (stdout and stderr as one text, as a reader of the CLI sees them).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

import { PACK_NAME } from "../../policy/src/pack";

/** One preview can take long on a loaded machine; the runner stops a command after this. */
export const PREVIEW_TIMEOUT_MS = 15 * 60 * 1000;

export function onPath(binary: string, path: string | undefined): string | undefined {
    for (const dir of (path ?? "").split(delimiter)) {
        if (dir !== "" && existsSync(join(dir, binary))) {
            return join(dir, binary);
        }
    }
    return undefined;
}

export interface Run {
    readonly code: number | null;
    readonly output: string;
}

export function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
    return new Promise((resolveRun, reject) => {
        const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => child.kill("SIGTERM"), PREVIEW_TIMEOUT_MS);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolveRun({ code, output });
        });
    });
}

export interface PolicyHit {
    readonly policy: string;
    readonly level: string;
    readonly message: string;
}

/**
 * Policy violations from the engine events `preview --json` streams (one JSON object per line with
 * PULUMI_ENABLE_STREAMING_JSON_PREVIEW), or from the text output as a fallback.
 */
export function policyHits(output: string): PolicyHit[] {
    const hits: PolicyHit[] = [];
    for (const line of output.split("\n")) {
        if (!line.startsWith("{")) {
            continue;
        }
        let event: {
            policyEvent?: { policyName?: string; enforcementLevel?: string; message?: string; policyPackName?: string };
        };
        try {
            event = JSON.parse(line) as typeof event;
        } catch {
            continue;
        }
        const p = event.policyEvent;
        if (p?.policyName !== undefined && p.policyPackName === PACK_NAME) {
            hits.push({ policy: p.policyName, level: p.enforcementLevel ?? "", message: p.message ?? "" });
        }
    }
    if (hits.length === 0) {
        const line = new RegExp(`\\[(mandatory|advisory)\\]\\s+${PACK_NAME}\\S*\\s+v\\S+\\s+([a-z0-9-]+)`, "g");
        for (const match of output.matchAll(line)) {
            hits.push({ policy: match[2] ?? "", level: match[1] ?? "", message: "" });
        }
    }
    return hits;
}

export interface PreviewStep {
    readonly op: string;
    readonly urn: string;
}

/** The steps of the JSON document, or of the streamed events (`resourcePreEvent.metadata`). */
export function previewSteps(output: string): PreviewStep[] {
    const steps: PreviewStep[] = [];
    for (const line of output.split("\n")) {
        if (!line.startsWith("{")) {
            continue;
        }
        try {
            const event = JSON.parse(line) as { resourcePreEvent?: { metadata?: PreviewStep } };
            const step = event.resourcePreEvent?.metadata;
            if (step !== undefined) {
                steps.push({ op: step.op, urn: step.urn });
            }
        } catch {
            continue;
        }
    }
    return steps;
}

/** The type token of a URN: urn:pulumi:<stack>::<project>::<parent types $ joined>$<type>::<name>. */
export const typeOf = (urn: string): string => (urn.split("::")[2] ?? "").split("$").at(-1) ?? "";

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const item of items) {
        counts[key(item)] = (counts[key(item)] ?? 0) + 1;
    }
    return counts;
}

/** The API server's resource name of a kubernetes type token (NetworkPolicy → networkpolicies). */
export function resourceOf(type: string): string {
    const kind = (type.split(":").at(-1) ?? "").toLowerCase();
    return kind.endsWith("y") ? `${kind.slice(0, -1)}ies` : kind.endsWith("s") ? `${kind}es` : `${kind}s`;
}

/** The API server's count of dry-run requests, `<resource> <code>` → requests, from /metrics. */
export function dryRuns(metrics: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const line of metrics.split("\n")) {
        if (!line.startsWith("apiserver_request_total{") || !line.includes('dry_run="All"')) {
            continue;
        }
        const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? "";
        const code = /code="([^"]*)"/.exec(line)?.[1] ?? "";
        const key = `${resource} ${code}`;
        counts[key] = (counts[key] ?? 0) + Number(line.split(" ").at(-1));
    }
    return counts;
}
