import type { AnalysisConfig } from "../config/schema";
import type { AppCanaryPlan, CanaryPlan, CanaryStep } from "./canary-plan";
import { code, formatCount, plural } from "./markdown";
import { section, type Section } from "./section";

/**
 * The canary plan of the stack config as the reviewer reads it: the analysis gate once, then per app
 * where it stands now and a table of its steps with the pods and nginx servers each one runs.
 */

const TITLE = "Canary plan";

function analysisRule(analysis: AnalysisConfig): string {
    return (
        `Each step runs for at least one ${formatCount(analysis.intervalSeconds)} s analysis window and passes with ≥ ${formatCount(analysis.minRequests)} canary requests, ` +
        `5xx ratio ≤ ${analysis.maxErrorRatio} (and ≤ ${analysis.maxRatioVsStable}× stable above ${analysis.ratioFloor}), p95 ≤ ${analysis.maxP95Seconds} s; ` +
        `more than ${plural(analysis.maxNoDataIntervals, "window")} without data roll back.`
    );
}

function whereNow(app: AppCanaryPlan, index: number): string {
    if (app.currentPercent === 0) {
        return "no canary traffic now (0%)";
    }
    return index >= 0
        ? `now at **${app.currentPercent}%** (step ${index + 1} of ${app.steps.length})`
        : `now at **${app.currentPercent}%** (between steps)`;
}

function stepRow(step: CanaryStep, i: number, current: number): string {
    const upstream = step.servers.map((s) => `${s.track} weight=${s.weight}`).join(", ");
    const left = step.servers.length < 2 ? ` (${step.weights.stable === 0 ? "stable" : "canary"} left out)` : "";
    return `| ${i + 1}${i === current ? " ◀ now" : ""} | ${step.percent}% | ${step.stableReplicas} | ${step.canaryReplicas} | ${upstream}${left} |`;
}

function appItem(app: AppCanaryPlan): string {
    const index = app.steps.findIndex((s) => s.percent === app.currentPercent);
    const versions = `stable ${code(app.stableVersion, 80)}${app.canaryVersion ? `, canary ${code(app.canaryVersion, 80)}` : ", no canary version set"}`;
    return [
        `**${app.app}**: ${versions}; ${whereNow(app, index)}`,
        "",
        "| step | canary traffic | stable pods | canary pods | nginx upstream |",
        "| --- | --- | --- | --- | --- |",
        ...app.steps.map((step, i) => stepRow(step, i, index)),
    ].join("\n");
}

/** Always present: when there is no plan, it says why. */
export function canaryPlanSection(plan: CanaryPlan | undefined, planError: string | undefined): Section {
    if (!plan) {
        return section("canary", 70, TITLE, [`_Not available: ${planError ?? "no stack config was given"}._`]);
    }
    if (plan.apps.length === 0) {
        return section("canary", 70, TITLE, ["_This stack has no canary apps._"]);
    }
    return section("canary", 70, TITLE, plan.apps.map(appItem), {
        intro: [analysisRule(plan.analysis)],
        unit: "app",
        separator: "\n\n",
    });
}
