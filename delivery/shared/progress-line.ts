/** The one-line progress of a window, shared by the canary steps, the bake and the blue-green watch. */
import { formatRatio, formatSeconds } from "./analysis";
import { formatShare, formatTarget } from "./traffic-split";
import type { WindowRecord } from "./window-loop";

/** One progress line: the window's numbers, its decision, what comes next. */
export function progressLine(label: string, record: WindowRecord, next: string, left: string): string {
    const v = record.verdict;
    const share = v.split === undefined ? "" : ` | share ${formatShare(v.split.observed)} of ${formatTarget(v.split)}`;
    return (
        `${label} | canary 5xx ${formatRatio(v.canaryRatio)} ` +
        `(${v.canaryRequests === null ? "?" : v.canaryRequests.toFixed(0)} req) | ` +
        `stable 5xx ${formatRatio(v.stableRatio)} | p95 ${formatSeconds(v.p95Seconds)}${share} | ` +
        `${v.decision} -> ${next}${left === "" ? "" : ` | ~${left} left`}` +
        (v.decision === "pass" ? "" : ` | ${v.reasons.join("; ")}`)
    );
}
