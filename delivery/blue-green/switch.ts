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
import { type Begun, beginRun, type EngineOptions, engineRun, NOTHING_WRITTEN, readPlan } from "../shared/engine-run";
import { event, keep, on, onInterrupted, switchBack, type SwitchRun, switchTo, watch } from "./switch-steps";
import { type ColourSwitch, SWITCH_EXIT_CODES, type SwitchOutcome, type SwitchPlan, type SwitchResult } from "./types";

/**
 * `metrics` reads the new colour as "canary" and the old one as "stable"; `onInterrupt` is what
 * Ctrl-C during the watch leaves: `rollback` switches back (default), `hold` stays.
 */
export interface SwitchOptions extends EngineOptions {
    readonly target: ColourSwitch;
}

export async function runSwitch(options: SwitchOptions): Promise<SwitchResult> {
    const begun = beginRun<SwitchOutcome>(options, {
        tag: "switch",
        stateLabel: "now serving",
        exitCodes: SWITCH_EXIT_CODES,
    });
    const prepared = await readPlan(() => options.target.prepare());
    if (!prepared.ok) {
        const ending = { outcome: "error", state: NOTHING_WRITTEN, message: prepared.error } as const;
        return begun.outcome.end(ending, { windows: [], events: [] });
    }
    const run = startRun(options, prepared.plan, begun);
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
function startRun(options: SwitchOptions, plan: SwitchPlan, begun: Begun<SwitchOutcome>): SwitchRun {
    const run: SwitchRun = { ...engineRun(options, begun, plan), target: options.target, events: [] };
    run.log(
        `[switch] ${plan.stack}: ${plan.release} ${on(run, "from")} -> ${on(run, "to")}, watch ${plan.watch.seconds}s, ` +
            `drain ${plan.watch.drainSeconds}s` +
            (plan.idleReplicasAfter === undefined
                ? ""
                : `, then ${plan.from} down to ${plan.idleReplicasAfter} replicas`),
    );
    return run;
}
