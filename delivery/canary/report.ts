/**
 * The report of one canary run: a Markdown file (steps table with target and observed share, the
 * outcome, the decision record, the stack-file lines that changed), an SVG chart beside it, and on
 * request the same as JSON. The Markdown's first line is a hidden marker, so `npm run
 * preview:comment` / `preview:note` post it to the pull/merge request as one comment per stack and
 * app, updated in place. CI also appends it to `$GITHUB_STEP_SUMMARY`.
 */
import { basename, dirname, extname, join, resolve } from "node:path";

import { markerLine } from "../../preview-summary/comment-marker";
import { formatRatio, formatSeconds } from "../shared/analysis";
import { writeJsonReport, writeReportFile } from "../shared/report-files";
import { decisionRecordLines, escapeMarkdown, seconds, windowTitle } from "../shared/decision-record";
import { renderChart } from "./report-chart";
import { type CanaryResult, OUTCOME_TITLE, type RolloutPlan } from "./rollout-types";
import { formatShare, formatTarget } from "../shared/traffic-split";
import type { WindowRecord } from "../shared/window-loop";

export { renderChart } from "./report-chart";

/** Prefix of the canary report's marker: `<!-- cicd-platform-canary:<stack>:<app> -->`. */
export const CANARY_MARKER_PREFIX = "cicd-platform-canary";

function stepCell(window: WindowRecord): string {
    const title = windowTitle(window);
    return window.phase === "bake" ? title : `${window.step}${window.attempt > 1 ? ` (window ${window.attempt})` : ""}`;
}

function shareCells(window: WindowRecord): string {
    const split = window.verdict.split;
    return split === undefined ? `${window.percent}% | n/a` : `${formatTarget(split)} | ${formatShare(split.observed)}`;
}

/** The Markdown text; `chartFile` is referenced relative to the Markdown file. */
export function renderMarkdown(result: CanaryResult, chartFile?: string): string {
    const plan = result.plan;
    const lines: string[] = [];
    if (plan) {
        lines.push(markerLine(CANARY_MARKER_PREFIX, plan.stack, plan.app));
    }
    lines.push(
        `# Canary ${plan ? `${plan.app} ${plan.stableVersion} → ${plan.canaryVersion}` : ""}: ${OUTCOME_TITLE[result.outcome]}`,
    );
    lines.push("");
    if (plan) {
        lines.push(planLine(plan));
        lines.push("");
    }
    lines.push(`**Outcome:** ${OUTCOME_TITLE[result.outcome]} (exit code ${result.exitCode}): ${result.message}`);
    lines.push("");
    lines.push(`**Now running:** ${result.state}`);
    lines.push("");
    lines.push(`Duration ${seconds(result.finishedAt - result.startedAt)}.`);
    lines.push("");
    if (result.windows.length > 0) {
        lines.push(...stepsSection(result.windows, chartFile));
    }
    lines.push(...configChangeSection(result));
    lines.push("");
    return lines.join("\n");
}

/** The steps, the window, the bake and every limit of the analysis, in one line. */
function planLine(plan: RolloutPlan): string {
    const bake = plan.bakeSeconds ?? 0;
    return (
        `Stack \`${plan.stack}\`, steps ${plan.allSteps.map((s) => `${s}%`).join(" → ")}, window ` +
        `${plan.analysis.intervalSeconds}s${bake > 0 ? `, bake ${bake}s at 100%` : ""}; limits: 5xx ratio ≤ ` +
        `${formatRatio(plan.analysis.maxErrorRatio)}, ≤ ${plan.analysis.maxRatioVsStable}× stable (floor ` +
        `${formatRatio(plan.analysis.ratioFloor)}), p95 ≤ ${formatSeconds(plan.analysis.maxP95Seconds)}, ` +
        `≥ ${plan.analysis.minRequests} canary requests, ≤ ${plan.analysis.maxNoDataIntervals} windows held ` +
        `(no data or a split outside its binomial 99.9% tolerance).`
    );
}

/** The steps table (a row per window), the chart and the decision record. */
function stepsSection(windows: readonly WindowRecord[], chartFile: string | undefined): string[] {
    const lines = ["## Steps", ""];
    lines.push(
        "| step | target share | observed share | canary requests | canary 5xx ratio | stable requests | stable 5xx ratio | canary p95 | decision | next | duration | queries |",
    );
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |");
    for (const window of windows) {
        const v = window.verdict;
        lines.push(
            `| ${stepCell(window)} | ${shareCells(window)} | ` +
                `${v.canaryRequests === null ? "n/a" : v.canaryRequests.toFixed(0)} | ${formatRatio(v.canaryRatio)} | ` +
                `${v.stableRequests === null ? "n/a" : v.stableRequests.toFixed(0)} | ${formatRatio(v.stableRatio)} | ` +
                `${formatSeconds(v.p95Seconds)} | ${v.decision}${v.decision === "pass" ? "" : `: ${escapeMarkdown(v.reasons.join("; "))}`} | ` +
                `${window.action} | ${seconds(window.finishedAt - window.startedAt)} | ${window.queryMs.toFixed(0)}ms |`,
        );
    }
    lines.push("");
    if (chartFile !== undefined) {
        lines.push(`![5xx ratio per analysis window](${chartFile})`);
        lines.push("");
    }
    lines.push(...decisionRecordLines(windows));
    return lines;
}

/** The stack-file lines the run changed, to be committed. */
function configChangeSection(result: CanaryResult): string[] {
    const lines = ["## Stack config changed", ""];
    const change = result.configChange;
    if (change === undefined || change.diff.length === 0) {
        lines.push(
            result.outcome === "interrupted" || result.outcome === "error"
                ? "No final config change was recorded; see the outcome above for what the stack file says."
                : "No lines changed.",
        );
        return lines;
    }
    lines.push(
        `\`${basename(change.file)}\` now describes exactly what runs. Commit it, or the next \`pulumi up\` ` +
            `from the repository would undo this ${result.outcome === "promoted" ? "promotion" : "rollback"}:`,
    );
    lines.push("");
    lines.push("```diff");
    lines.push(...change.diff);
    lines.push("```");
    return lines;
}

/** Writes `<report>.md` and `<report>.svg` beside it, and the JSON when asked; returns the paths. */
export async function writeReport(
    result: CanaryResult,
    reportPath: string,
    jsonOut?: string,
): Promise<{ markdown: string; chart: string; json?: string }> {
    const markdown = resolve(reportPath);
    const chart = join(dirname(markdown), `${basename(markdown, extname(markdown))}.svg`);
    await writeReportFile(chart, renderChart(result));
    await writeReportFile(markdown, renderMarkdown(result, basename(chart)));
    const json = await writeJsonReport("canary", result, jsonOut);
    return json === undefined ? { markdown, chart } : { markdown, chart, json };
}
