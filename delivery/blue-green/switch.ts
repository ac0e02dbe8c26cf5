/**
 * The blue-green switch with a watch: one `up` moves the live Service to the new colour (its gate,
 * health check then smoke test, runs first), then the new colour is judged on Prometheus for
 * `blueGreen.watch.seconds`, by the same analysis as every canary window (no data holds, up to
 * `maxNoDataIntervals` windows). A pass waits `drainSeconds` and only then scales the idle colour
 * down; a fail, or no data for too long, switches back in one `up`. Each of these is a named step
 * in switch-steps.ts.
 *
 * The seed's script slept 60 s and compared a raw 5xx *rate* of all apps against 0.01, with no rule
 * for a missing answer (an empty query passed). There is no split check here: after a Service
 * selector moves, keep-alive connections already open to the old colour's pods stay there until
 * they close, so the old colour legitimately serves a tail; that is what the drain is for.
 */
import { type Clock, realClock } from "../shared/clock";
import { describeError, type InterruptPolicy, logOrConsole, RunOutcome } from "../shared/outcome";
import type { CanaryMetrics } from "../shared/prometheus";
import { event, keep, on, onInterrupted, switchBack, type SwitchRun, switchTo, watch } from "./switch-steps";
import { type ColourSwitch, SWITCH_EXIT_CODES, type SwitchOutcome, type SwitchPlan, type SwitchResult } from "./types";

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

export async function runSwitch(options: SwitchOptions): Promise<SwitchResult> {
    const log = logOrConsole(options.log);
    const clock = options.clock ?? realClock;
    const outcome = new RunOutcome<SwitchOutcome>({
        tag: "switch",
        stateLabel: "now serving",
        exitCodes: SWITCH_EXIT_CODES,
        log,
        clock,
    });
    let plan: SwitchPlan;
    try {
        plan = await options.target.prepare();
    } catch (error) {
        return outcome.end(
            { outcome: "error", state: "unchanged (nothing was written)", message: describeError(error) },
            { windows: [], events: [] },
        );
    }
    const run = startRun(options, plan, { outcome, log, clock });
    const refused = await switchTo(run);
    if (refused !== undefined) {
        return refused;
    }
    const judged = await watch(run);
    if (judged.kind === "interrupted") {
        return onInterrupted(run);
    }
    if (judged.kind === "rollback") {
        event(run, "watch failed");
        return switchBack(run, judged.last.verdict.reasons.join("; "));
    }
    return keep(run);
}

/** The run's context, and its first line: which release goes from which colour to which. */
function startRun(
    options: SwitchOptions,
    plan: SwitchPlan,
    { outcome, log, clock }: Pick<SwitchRun, "outcome" | "log" | "clock">,
): SwitchRun {
    const run: SwitchRun = {
        target: options.target,
        metrics: options.metrics,
        interrupt: options.interrupt,
        onInterrupt: options.onInterrupt,
        settleMs: options.settleMs ?? 0,
        log,
        clock,
        outcome,
        plan,
        windows: [],
        events: [],
    };
    log(
        `[switch] ${plan.stack}: ${plan.release} ${on(run, "from")} -> ${on(run, "to")}, watch ${plan.watch.seconds}s, ` +
            `drain ${plan.watch.drainSeconds}s` +
            (plan.idleReplicasAfter === undefined
                ? ""
                : `, then ${plan.from} down to ${plan.idleReplicasAfter} replicas`),
    );
    return run;
}
