import { markerLine } from "./comment-marker";
import { code, formatCount, plural } from "./markdown";
import { changedCount, type OpCounts, type OpKind } from "./op-kind";

export const MARKER_PREFIX = "cicd-platform-preview";

/** The hidden first line the pipelines find the previous comment by. */
export function commentMarker(stack: string): string {
    return markerLine(MARKER_PREFIX, stack);
}

const OP_SYMBOL: Record<OpKind, string> = {
    create: "+",
    update: "~",
    replace: "+-",
    delete: "-",
    same: "=",
    read: ">",
    import: "=>",
    refresh: "~",
    other: "?",
};

export interface HeaderFacts {
    readonly stack: string;
    /** Extra context for the heading, e.g. a commit SHA. */
    readonly context?: string;
    readonly counts: Readonly<OpCounts>;
    /** Exit status of a preview that failed; absent when it did not. */
    readonly failedExitCode?: number;
    readonly maybeCorrupt?: boolean;
}

function status(facts: HeaderFacts): string {
    if (facts.failedExitCode !== undefined) {
        return `❌ **preview failed** (exit ${facts.failedExitCode})`;
    }
    const changed = changedCount(facts.counts);
    return changed === 0 ? "✅ no changes" : `${plural(changed, "resource")} to change`;
}

/** The marker, the heading and the count table: never cut, whatever the size limit. */
export function headerLines(facts: HeaderFacts): string[] {
    const { counts, context } = facts;
    const header = [
        commentMarker(facts.stack),
        `### Pulumi preview: ${code(facts.stack, 80)} · ${status(facts)}${context ? ` · ${code(context, 80)}` : ""}`,
        "",
        `| ${OP_SYMBOL.create} create | ${OP_SYMBOL.update} update | ${OP_SYMBOL.replace} replace | ${OP_SYMBOL.delete} delete | ${OP_SYMBOL.same} unchanged |`,
        "| ---: | ---: | ---: | ---: | ---: |",
        `| ${formatCount(counts.create)} | ${formatCount(counts.update)} | ${formatCount(counts.replace)} | ${formatCount(counts.delete)} | ${formatCount(counts.same)} |`,
    ];
    const extraOps = (["read", "import", "refresh", "other"] as const).filter((k) => counts[k] > 0);
    if (extraOps.length > 0) {
        header.push("", `Also: ${extraOps.map((k) => `${formatCount(counts[k])} ${k}`).join(", ")}.`);
    }
    if (facts.maybeCorrupt) {
        header.push("", "⚠️ The engine reports that one or more resources **may be corrupt**.");
    }
    return header;
}
