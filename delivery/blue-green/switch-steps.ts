/**
 * The named steps of one blue-green switch, each a small function of the run's {@link SwitchRun}:
 * `switchTo` (one `up` moves the Service; a refused gate puts the config back), `watch` (windows on
 * the new colour), `keep` (the watch passed: drain, then scale the old colour down), `switchBack`
 * (one `up` back, then drain and scale the bad colour down) and `finish`.
 */
import type { AnalysisThresholds } from "../shared/analysis";
import type { EngineRun } from "../shared/engine-run";
import { type Attempted, type ConfigChange, describeError } from "../shared/outcome";
import { progressLine } from "../shared/progress-line";
import { judgeWindows, type WindowLoopResult } from "../shared/window-loop";
import type { ColourSwitch, SwitchEvent, SwitchOutcome, SwitchPlan, SwitchResult } from "./types";

/** One switch's context: its ports, its plan and what it has done so far. */
export interface SwitchRun extends EngineRun<SwitchOutcome, SwitchPlan> {
    readonly target: ColourSwitch;
    readonly events: SwitchEvent[];
}

/** `blueGreen.watch` as window thresholds; no stable comparison (the old colour gets no traffic). */
function watchThresholds(plan: SwitchPlan): AnalysisThresholds {
    const { maxErrorRatio, maxP95Seconds, minRequests, maxNoDataIntervals } = plan.watch;
    return { maxErrorRatio, maxP95Seconds, minRequests, maxNoDataIntervals };
}

/** `blue (1.0.0)` for the colour switched from, `green (2.0.0)` for the one switched to. */
export function on(run: SwitchRun, colour: "from" | "to"): string {
    const p = run.plan;
    return colour === "from" ? `${p.from} (${p.fromVersion})` : `${p.to} (${p.toVersion})`;
}

export function event(run: SwitchRun, what: SwitchEvent["what"]): void {
    run.events.push({ at: run.clock.now() - run.outcome.startedAt, what });
}

function finish(
    run: SwitchRun,
    outcome: SwitchOutcome,
    state: string,
    message: string,
    configChange?: ConfigChange,
): SwitchResult {
    return run.outcome.end(
        { outcome, state, message, configChange },
        { plan: run.plan, windows: run.windows, events: run.events },
    );
}

/** One `up` to the new colour (its gate first); undefined when it moved, a result when it did not. */
export async function switchTo(run: SwitchRun): Promise<SwitchResult | undefined> {
    const p = run.plan;
    run.log(`[switch] active: ${p.to}, one up (health check and smoke test of ${p.to} first)`);
    try {
        await run.target.switchTo();
        event(run, "switch up");
        return undefined;
    } catch (error) {
        return restoreAfterRefusedSwitch(run, describeError(error));
    }
}

/** The gate refused or the up failed: the Service did not move; the config must say so again. */
async function restoreAfterRefusedSwitch(run: SwitchRun, failure: string): Promise<SwitchResult> {
    const p = run.plan;
    try {
        let change = await run.target.switchBack();
        event(run, "switch-back up");
        if (p.idleReplicasAfter !== undefined) {
            change = await run.target.scaleDownIdle();
            event(run, "scale-down up");
        }
        return finish(
            run,
            "error",
            on(run, "from"),
            `the switch up failed: ${failure}; config back on ${p.from}`,
            change,
        );
    } catch (again) {
        return finish(
            run,
            "error",
            "unknown: the switch and the restoring up failed; inspect the stack and run pulumi up",
            `the switch up failed: ${failure}; restoring ${p.from} failed too: ${describeError(again)}`,
        );
    }
}

/** Judges the new colour's windows until one passes, the watch fails, or an interrupt. */
export function watch(run: SwitchRun): Promise<WindowLoopResult> {
    const p = run.plan;
    return judgeWindows({
        metrics: run.metrics,
        thresholds: watchThresholds(p),
        windowSeconds: p.watch.seconds,
        clock: run.clock,
        ...(run.interrupt === undefined ? {} : { interrupt: run.interrupt }),
        settleMs: run.settleMs,
        phase: "watch",
        step: 1,
        percent: 100,
        upMs: 0,
        onWindow: (record, heldBefore) => {
            run.windows.push(record);
            const next =
                record.action === "advance"
                    ? "keep"
                    : record.action === "hold"
                      ? `hold (${heldBefore + 1}/${p.watch.maxNoDataIntervals} windows held)`
                      : "switch back";
            run.log(progressLine(`[switch] watch ${p.to}`, record, next, "").replace(" canary 5xx", ` ${p.to} 5xx`));
        },
    });
}

/** The watch passed: drain, then the old colour down to its idle replicas. */
export async function keep(run: SwitchRun): Promise<SwitchResult> {
    const p = run.plan;
    event(run, "watch passed");
    const scaled = await drainAndScaleDown(run, p.from);
    return scaled.ok
        ? finish(run, "switched", on(run, "to"), `${p.release} serves from ${p.to}; the watch passed`, scaled.change)
        : finish(run, "error", on(run, "to"), `the watch passed; ${scaled.error}`);
}

/** Ctrl-C during the watch: keep the new colour (`hold`) or switch back. */
export async function onInterrupted(run: SwitchRun): Promise<SwitchResult> {
    const p = run.plan;
    if (run.onInterrupt === "hold") {
        return finish(
            run,
            "interrupted",
            `${on(run, "to")}, ${p.from} still at full replicas`,
            "interrupted; kept on " + p.to,
        );
    }
    return switchBack(run, "interrupted", "interrupted");
}

/** One `up` back to the old colour, then the drain and the bad colour scaled down. */
export async function switchBack(
    run: SwitchRun,
    why: string,
    outcome: SwitchOutcome = "switched-back",
): Promise<SwitchResult> {
    const p = run.plan;
    run.log(`[switch] switching back to ${p.from} (${why}): one up`);
    try {
        await run.target.switchBack();
        event(run, "switch-back up");
    } catch (error) {
        return finish(
            run,
            "error",
            "unknown: the switch-back up failed; inspect the stack and run pulumi up",
            `${why}, and switching back failed: ${describeError(error)}`,
        );
    }
    const scaled = await drainAndScaleDown(run, `${p.to} after the switch back`);
    return scaled.ok
        ? finish(run, outcome, on(run, "from"), `switched back to ${p.from}: ${why}`, scaled.change)
        : finish(run, "error", on(run, "from"), `switched back to ${p.from}: ${why}; ${scaled.error}`);
}

/** Waits the drain, then one up scales the idle colour down (when the stack scales it at all). */
async function drainAndScaleDown(run: SwitchRun, idle: string): Promise<Attempted> {
    const p = run.plan;
    try {
        if (p.idleReplicasAfter === undefined) {
            return { ok: true, change: await run.target.change() };
        }
        run.log(`[switch] draining ${p.watch.drainSeconds}s, then ${idle} down to ${p.idleReplicasAfter} replicas`);
        await run.clock.sleep(p.watch.drainSeconds * 1000);
        event(run, "drained");
        const change = await run.target.scaleDownIdle();
        event(run, "scale-down up");
        return { ok: true, change };
    } catch (error) {
        return { ok: false, error: `scaling the idle colour down failed: ${describeError(error)}` };
    }
}
