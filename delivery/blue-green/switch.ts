/**
 * The blue-green switch with a watch: one `up` moves the live Service to the new colour (its gate,
 * health check then smoke test, runs first), then the new colour is judged on Prometheus for
 * `blueGreen.watch.seconds`, by the same analysis as every canary window (no data holds, up to
 * `maxNoDataIntervals` windows). A pass waits `drainSeconds` and only then scales the idle colour
 * down; a fail, or no data for too long, switches back in one `up`.
 *
 * The seed's script slept 60 s and compared a raw 5xx *rate* of all apps against 0.01, with no rule
 * for a missing answer (an empty query passed). There is no split check here: after a Service
 * selector moves, keep-alive connections already open to the old colour's pods stay there until
 * they close, so the old colour legitimately serves a tail; that is what the drain is for.
 */
import type { AnalysisThresholds } from "../shared/analysis";
import { type Clock, realClock } from "../shared/clock";
import { describeError } from "../canary/controller";
import { progressLine } from "../shared/progress-line";
import type { CanaryMetrics } from "../shared/prometheus";
import type { ConfigChange, InterruptPolicy } from "../canary/rollout-types";
import {
    type ColourSwitch,
    SWITCH_EXIT_CODES,
    type SwitchEvent,
    type SwitchOutcome,
    type SwitchPlan,
    type SwitchResult,
} from "./types";
import { judgeWindows, type WindowRecord } from "../shared/window-loop";

export interface SwitchOptions {
    readonly target: ColourSwitch;
    /** Reads the new colour as "canary" and the old one as "stable". */
    readonly metrics: CanaryMetrics;
    readonly interrupt?: AbortSignal;
    /** What Ctrl-C during the watch leaves: `rollback` switches back (default), `hold` stays. */
    readonly onInterrupt?: InterruptPolicy;
    readonly log?: (line: string) => void;
    readonly clock?: Clock;
    /** Extra wait after each window so its last scrape is in Prometheus. @default 0 */
    readonly settleMs?: number;
}

/** `blueGreen.watch` as window thresholds; no stable comparison (the old colour gets no traffic). */
export function watchThresholds(plan: SwitchPlan): AnalysisThresholds {
    const { maxErrorRatio, maxP95Seconds, minRequests, maxNoDataIntervals } = plan.watch;
    return { maxErrorRatio, maxP95Seconds, minRequests, maxNoDataIntervals };
}

export async function runSwitch(options: SwitchOptions): Promise<SwitchResult> {
    const log =
        options.log ??
        ((line: string) => {
            console.log(line);
        });
    const clock = options.clock ?? realClock;
    const startedAt = clock.now();
    const windows: WindowRecord[] = [];
    const events: SwitchEvent[] = [];
    const event = (what: SwitchEvent["what"]): void => {
        events.push({ at: clock.now() - startedAt, what });
    };
    let plan: SwitchPlan | undefined;
    const finish = (
        outcome: SwitchOutcome,
        state: string,
        message: string,
        configChange?: ConfigChange,
    ): SwitchResult => {
        log(`[switch] ${outcome}: ${message}`);
        log(`[switch] now serving: ${state}`);
        return {
            outcome,
            exitCode: SWITCH_EXIT_CODES[outcome],
            state,
            message,
            ...(plan === undefined ? {} : { plan }),
            windows,
            events,
            ...(configChange === undefined ? {} : { configChange }),
            startedAt,
            finishedAt: clock.now(),
        };
    };

    try {
        plan = await options.target.prepare();
    } catch (error) {
        return finish("error", "unchanged (nothing was written)", describeError(error));
    }
    const p = plan;
    const on = (colour: "from" | "to"): string =>
        colour === "from" ? `${p.from} (${p.fromVersion})` : `${p.to} (${p.toVersion})`;
    log(
        `[switch] ${p.stack}: ${p.release} ${on("from")} -> ${on("to")}, watch ${p.watch.seconds}s, ` +
            `drain ${p.watch.drainSeconds}s` +
            (p.idleReplicasAfter === undefined ? "" : `, then ${p.from} down to ${p.idleReplicasAfter} replicas`),
    );

    log(`[switch] active: ${p.to}, one up (health check and smoke test of ${p.to} first)`);
    try {
        await options.target.switchTo();
        event("switch up");
    } catch (error) {
        const failure = describeError(error);
        // The gate refused or the up failed: the Service did not move; the config must say so again.
        try {
            let change = await options.target.switchBack();
            event("switch-back up");
            if (p.idleReplicasAfter !== undefined) {
                change = await options.target.scaleDownIdle();
                event("scale-down up");
            }
            return finish("error", on("from"), `the switch up failed: ${failure}; config back on ${p.from}`, change);
        } catch (again) {
            return finish(
                "error",
                "unknown: the switch and the restoring up failed; inspect the stack and run pulumi up",
                `the switch up failed: ${failure}; restoring ${p.from} failed too: ${describeError(again)}`,
            );
        }
    }

    const switchBack = async (why: string, outcome: SwitchOutcome = "switched-back"): Promise<SwitchResult> => {
        log(`[switch] switching back to ${p.from} (${why}): one up`);
        try {
            await options.target.switchBack();
            event("switch-back up");
        } catch (error) {
            return finish(
                "error",
                "unknown: the switch-back up failed; inspect the stack and run pulumi up",
                `${why}, and switching back failed: ${describeError(error)}`,
            );
        }
        const change = await drainAndScaleDown(`${p.to} after the switch back`);
        return change.ok
            ? finish(outcome, on("from"), `switched back to ${p.from}: ${why}`, change.change)
            : finish("error", on("from"), `switched back to ${p.from}: ${why}; ${change.error}`);
    };

    /** Waits the drain, then one up scales the idle colour down (when the stack scales it at all). */
    const drainAndScaleDown = async (
        idle: string,
    ): Promise<{ ok: true; change: ConfigChange } | { ok: false; error: string }> => {
        try {
            if (p.idleReplicasAfter === undefined) {
                return { ok: true, change: await options.target.change() };
            }
            log(`[switch] draining ${p.watch.drainSeconds}s, then ${idle} down to ${p.idleReplicasAfter} replicas`);
            await clock.sleep(p.watch.drainSeconds * 1000);
            event("drained");
            const change = await options.target.scaleDownIdle();
            event("scale-down up");
            return { ok: true, change };
        } catch (error) {
            return { ok: false, error: `scaling the idle colour down failed: ${describeError(error)}` };
        }
    };

    const judged = await judgeWindows({
        metrics: options.metrics,
        thresholds: watchThresholds(p),
        windowSeconds: p.watch.seconds,
        clock,
        ...(options.interrupt === undefined ? {} : { interrupt: options.interrupt }),
        settleMs: options.settleMs ?? 0,
        phase: "watch",
        step: 1,
        percent: 100,
        upMs: 0,
        onWindow: (record, heldBefore) => {
            windows.push(record);
            const next =
                record.action === "advance"
                    ? "keep"
                    : record.action === "hold"
                      ? `hold (${heldBefore + 1}/${p.watch.maxNoDataIntervals} windows held)`
                      : "switch back";
            log(progressLine(`[switch] watch ${p.to}`, record, next, "").replace(" canary 5xx", ` ${p.to} 5xx`));
        },
    });
    if (judged.kind === "interrupted") {
        if (options.onInterrupt === "hold") {
            return finish(
                "interrupted",
                `${on("to")}, ${p.from} still at full replicas`,
                "interrupted; kept on " + p.to,
            );
        }
        return switchBack("interrupted", "interrupted");
    }
    if (judged.kind === "rollback") {
        event("watch failed");
        return switchBack(judged.last.verdict.reasons.join("; "));
    }
    event("watch passed");
    const scaled = await drainAndScaleDown(p.from);
    return scaled.ok
        ? finish("switched", on("to"), `${p.release} serves from ${p.to}; the watch passed`, scaled.change)
        : finish("error", on("to"), `the watch passed; ${scaled.error}`);
}
