/**
 * The decision record of a run in Markdown: for every window, every check with its window, sample
 * size, value, threshold and verdict, and the PromQL each came from. Query texts repeat from window
 * to window, so each distinct text is listed once and the tables refer to it (`Q1`, `Q2`, …); the
 * JSON report (`--json-out`) keeps the full text in every check.
 */
import type { CheckRecord } from "./analysis";
import type { WindowRecord } from "./window-loop";

export function escapeMarkdown(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)}s`;
}

/** `step 2 25%`, `bake 100%`, `watch`, plus the window number after holds. */
export function windowTitle(window: WindowRecord): string {
    const base =
        window.phase === "bake"
            ? "bake at 100%"
            : window.phase === "watch"
              ? "watch"
              : `step ${window.step} ${window.percent}%`;
    return window.attempt > 1 ? `${base} (window ${window.attempt})` : base;
}

function sample(check: CheckRecord): string {
    return check.sampleSize === null ? "n/a" : check.sampleSize.toFixed(0);
}

/** The record's lines; `budget` caps its characters (comments have a size limit). */
export function decisionRecordLines(windows: readonly WindowRecord[], budget = 40_000): string[] {
    const queryIds = new Map<string, string>();
    const idOf = (query: string): string => {
        const texts = query.split("\n").filter((line) => line !== "");
        return (
            texts
                .map((text) => {
                    let id = queryIds.get(text);
                    if (id === undefined) {
                        id = `Q${queryIds.size + 1}`;
                        queryIds.set(text, id);
                    }
                    return id;
                })
                .join(", ") || "-"
        );
    };
    const lines: string[] = [
        "## Decision record",
        "",
        "Every check of every window: the query it read (below), the window, the requests it rests on " +
            "(sample), the measured value, the threshold and the verdict.",
        "",
    ];
    let size = 0;
    let shown = 0;
    for (const window of windows) {
        const block = [
            `**${windowTitle(window)}**: ${window.verdict.decision} → ${window.action}`,
            "",
            "| check | query | window | sample | value | threshold | verdict |",
            "| --- | --- | ---: | ---: | ---: | --- | --- |",
            ...window.verdict.checks.map(
                (check) =>
                    `| ${escapeMarkdown(check.name)} | ${idOf(check.query)} | ` +
                    `${check.windowSeconds === null ? "n/a" : `${check.windowSeconds}s`} | ${sample(check)} | ` +
                    `${escapeMarkdown(check.valueText)} | ${escapeMarkdown(check.thresholdText)} | ${check.verdict} |`,
            ),
            "",
        ];
        size += block.join("\n").length;
        if (size > budget) {
            lines.push(
                `_${windows.length - shown} more windows are left out to keep this under the comment size limit; ` +
                    `the JSON report has all of them._`,
                "",
            );
            break;
        }
        lines.push(...block);
        shown++;
    }
    if (queryIds.size > 0) {
        lines.push("Queries:", "");
        for (const [text, id] of queryIds) {
            lines.push(`- ${id}: \`${text.replace(/`/g, "'")}\``);
        }
        lines.push("");
    }
    return lines;
}
