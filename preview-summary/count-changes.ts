import { emptyCounts, OP_KINDS, type OpCounts, opKind } from "./op-kind";
import type { ResourceChange } from "./resource-changes";

export interface ChangeCounts {
    /** Count per operation (from the engine's changeSummary where it has one). */
    readonly counts: OpCounts;
    /** Per resource type, count per operation, from the steps. */
    readonly byType: Map<string, OpCounts>;
}

/** The engine's counts, folded onto OpKind; a replacement counted under several ops counts once. */
function countsFromSummary(summary: Readonly<Record<string, number>>): OpCounts {
    const counts = emptyCounts();
    let replace = 0;
    for (const [op, count] of Object.entries(summary)) {
        const kind = opKind(op);
        if (kind === "replace") {
            replace = Math.max(replace, count);
        } else {
            counts[kind] += count;
        }
    }
    counts.replace = replace;
    return counts;
}

export function countChanges(
    changes: readonly ResourceChange[],
    changeSummary: Readonly<Record<string, number>> | undefined,
): ChangeCounts {
    const stepCounts = emptyCounts();
    const byType = new Map<string, OpCounts>();
    for (const change of changes) {
        stepCounts[change.kind] += 1;
        const row = byType.get(change.type) ?? emptyCounts();
        row[change.kind] += 1;
        byType.set(change.type, row);
    }
    const counts = changeSummary ? countsFromSummary(changeSummary) : stepCounts;
    for (const kind of OP_KINDS) {
        // Steps the engine did not count (e.g. a failed preview has no changeSummary): take the larger.
        counts[kind] = Math.max(counts[kind], kind === "same" ? 0 : stepCounts[kind]);
    }
    if (!changeSummary) {
        counts.same = stepCounts.same;
    }
    return { counts, byType };
}
