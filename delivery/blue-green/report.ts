/**
 * The report of one blue-green switch: Markdown (outcome, the watch windows, the timeline of ups,
 * the decision record, the stack-file lines that changed) and optionally JSON. Its first line is the
 * hidden marker by which `npm run preview:comment` / `preview:note` update one comment per stack and
 * release in place.
 */
import { basename } from "node:path";

import { markerLine } from "../../preview-summary/comment-marker";
import { formatRatio, formatSeconds } from "../shared/analysis";
import { decisionRecordLines, escapeMarkdown, seconds } from "../shared/decision-record";
import { writeJsonReport, writeReportFile } from "../shared/report-files";
import type { ConfigChange } from "../shared/outcome";
import type { WindowRecord } from "../shared/window-loop";
import type { SwitchPlan, SwitchResult } from "./types";

export const SWITCH_MARKER_PREFIX = "cicd-platform-switch";

const TITLE: Record<SwitchResult["outcome"], string> = {
    switched: "switched",
    "switched-back": "switched back",
    error: "error",
    interrupted: "interrupted",
};

export function renderSwitchMarkdown(result: SwitchResult): string {
    const plan = result.plan;
    const lines: string[] = [];
    if (plan) {
        lines.push(markerLine(SWITCH_MARKER_PREFIX, plan.stack, plan.release));
        lines.push(
            `# Blue-green ${plan.release} ${plan.from} (${plan.fromVersion}) → ${plan.to} (${plan.toVersion}): ${TITLE[result.outcome]}`,
            "",
            planLine(plan),
        );
    } else {
        lines.push(`# Blue-green switch: ${TITLE[result.outcome]}`);
    }
    lines.push(
        "",
        `**Outcome:** ${TITLE[result.outcome]} (exit code ${result.exitCode}): ${escapeMarkdown(result.message)}`,
        "",
        `**Now serving:** ${result.state}`,
        "",
        `Duration ${seconds(result.finishedAt - result.startedAt)}.`,
        "",
    );
    if (result.events.length > 0) {
        lines.push("## Timeline", "", "| at | what |", "| ---: | --- |");
        lines.push(...result.events.map((e) => `| ${seconds(e.at)} | ${e.what} |`), "");
    }
    if (result.windows.length > 0) {
        lines.push(...watchSection(result.windows));
    }
    lines.push(...configChangeSection(result.configChange));
    lines.push("");
    return lines.join("\n");
}

/** The watch's limits and the drain, in one line. */
function planLine(plan: SwitchPlan): string {
    return (
        `Stack \`${plan.stack}\`; watch ${plan.watch.seconds}s: 5xx ratio ≤ ${formatRatio(plan.watch.maxErrorRatio)}, ` +
        `p95 ≤ ${formatSeconds(plan.watch.maxP95Seconds)}, ≥ ${plan.watch.minRequests} requests, ` +
        `≤ ${plan.watch.maxNoDataIntervals} windows without data; drain ${plan.watch.drainSeconds}s` +
        (plan.idleReplicasAfter === undefined
            ? "; the idle colour keeps its replicas (idleReplicas unset)."
            : `, then the idle colour down to ${plan.idleReplicasAfter} replicas.`)
    );
}

/** The watch table (a row per window) and the decision record. */
function watchSection(windows: readonly WindowRecord[]): string[] {
    const lines = [
        "## Watch",
        "",
        "| window | requests | 5xx ratio | p95 | decision | next |",
        "| ---: | ---: | ---: | ---: | --- | --- |",
    ];
    for (const w of windows) {
        const v = w.verdict;
        lines.push(
            `| ${w.attempt} | ${v.canaryRequests === null ? "n/a" : v.canaryRequests.toFixed(0)} | ` +
                `${formatRatio(v.canaryRatio)} | ${formatSeconds(v.p95Seconds)} | ` +
                `${v.decision}${v.decision === "pass" ? "" : `: ${escapeMarkdown(v.reasons.join("; "))}`} | ${w.action} |`,
        );
    }
    lines.push("", ...decisionRecordLines(windows));
    return lines;
}

function configChangeSection(change: ConfigChange | undefined): string[] {
    const lines = ["## Stack config changed", ""];
    if (change === undefined || change.diff.length === 0) {
        lines.push("No lines changed.");
    } else {
        lines.push(
            `\`${basename(change.file)}\` now describes exactly what runs. Commit it, or the next \`pulumi up\` ` +
                "from the repository would undo it:",
            "",
            "```diff",
            ...change.diff,
            "```",
        );
    }
    return lines;
}

export async function writeSwitchReport(
    result: SwitchResult,
    reportPath: string,
    jsonOut?: string,
): Promise<{ markdown: string; json?: string }> {
    const markdown = await writeReportFile(reportPath, renderSwitchMarkdown(result));
    const json = await writeJsonReport("switch", result, jsonOut);
    return json === undefined ? { markdown } : { markdown, json };
}
