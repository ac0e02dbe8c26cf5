/**
 * The SVG chart beside a canary report: the canary's and stable's 5xx ratios per analysis window and
 * the maximum, drawn by hand (no chart library).
 */
import { formatRatio } from "../shared/analysis";
import type { Decision } from "../shared/analysis";
import { type CanaryResult, OUTCOME_TITLE } from "./rollout-types";
import type { WindowRecord } from "../shared/window-loop";

const DECISION_MARK: Record<Decision, string> = { pass: "✓", fail: "✗", "no-data": "?", misrouted: "⇄" };

function escapeXml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function windowLabel(window: WindowRecord): string {
    const base = window.phase === "bake" ? "bake" : `${window.percent}%`;
    return window.attempt === 1 ? base : `${base} (${window.attempt})`;
}

export interface ChartOptions {
    readonly width?: number;
    readonly height?: number;
}

/** The chart's geometry: the plot area and the scales. */
interface Frame {
    readonly width: number;
    readonly height: number;
    readonly margin: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
    readonly plotW: number;
    readonly plotH: number;
    /** The top of the y axis. */
    readonly top: number;
    readonly windows: readonly WindowRecord[];
    /** `maxErrorRatio`, drawn dashed. */
    readonly limit: number | undefined;
    x(index: number): number;
    y(value: number): number;
}

const SERIES = [
    { name: "canary", color: "#ff7f0e", pick: (w: WindowRecord) => w.verdict.canaryRatio },
    { name: "stable", color: "#1f77b4", pick: (w: WindowRecord) => w.verdict.stableRatio },
];

/** An SVG line chart: canary and stable 5xx ratio per window, the maximum as a dashed line. */
export function renderChart(result: CanaryResult, options: ChartOptions = {}): string {
    const f = frame(result, options);
    const parts: string[] = [];
    parts.push(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" ` +
            `font-family="sans-serif" font-size="12">`,
    );
    parts.push(`<rect width="${f.width}" height="${f.height}" fill="#ffffff"/>`);
    parts.push(
        `<text x="${f.margin.left}" y="20" font-size="14" font-weight="bold">${escapeXml(
            `5xx ratio per analysis window: ${OUTCOME_TITLE[result.outcome]}`,
        )}</text>`,
    );
    parts.push(...axes(f), ...seriesLines(f), ...decisionMarks(f), ...legend(f));
    parts.push("</svg>");
    return parts.join("\n") + "\n";
}

function frame(result: CanaryResult, options: ChartOptions): Frame {
    const width = options.width ?? 720;
    const height = options.height ?? 320;
    const margin = { left: 64, right: 200, top: 52, bottom: 48 };
    const plotW = width - margin.left - margin.right;
    const plotH = height - margin.top - margin.bottom;
    const windows = result.windows;
    const limit = result.plan?.analysis.maxErrorRatio;
    const values = windows.flatMap((w) => [w.verdict.canaryRatio ?? 0, w.verdict.stableRatio ?? 0]);
    const top = niceMax(Math.max(limit ?? 0, ...values, 0.001) * 1.15);
    return {
        width,
        height,
        margin,
        plotW,
        plotH,
        top,
        windows,
        limit,
        x: (index) => margin.left + (windows.length <= 1 ? plotW / 2 : (plotW * index) / (windows.length - 1)),
        y: (value) => margin.top + plotH - (plotH * Math.min(value, top)) / top,
    };
}

/** The grid, the axes, the window labels and the dashed maximum. */
function axes(f: Frame): string[] {
    const { margin, plotW, plotH } = f;
    const parts: string[] = [];
    for (let tick = 0; tick <= 4; tick++) {
        const value = (f.top * tick) / 4;
        const ty = f.y(value);
        parts.push(
            `<line x1="${margin.left}" y1="${ty.toFixed(1)}" x2="${margin.left + plotW}" y2="${ty.toFixed(1)}" stroke="#e5e5e5"/>`,
        );
        parts.push(
            `<text x="${margin.left - 6}" y="${(ty + 4).toFixed(1)}" text-anchor="end">${escapeXml(formatRatio(value))}</text>`,
        );
    }
    parts.push(
        `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#333"/>`,
    );
    parts.push(
        `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#333"/>`,
    );
    f.windows.forEach((window, index) => {
        parts.push(
            `<text x="${f.x(index).toFixed(1)}" y="${margin.top + plotH + 18}" text-anchor="middle">${escapeXml(windowLabel(window))}</text>`,
        );
    });
    parts.push(
        `<text x="${margin.left + plotW / 2}" y="${f.height - 8}" text-anchor="middle">canary share of traffic (window)</text>`,
    );
    if (f.limit !== undefined) {
        parts.push(
            `<line x1="${margin.left}" y1="${f.y(f.limit).toFixed(1)}" x2="${margin.left + plotW}" y2="${f.y(f.limit).toFixed(1)}" ` +
                `stroke="#d62728" stroke-dasharray="6 4"/>`,
        );
    }
    return parts;
}

/** Each track's ratio per window: a line and a point per window with data. */
function seriesLines(f: Frame): string[] {
    const parts: string[] = [];
    for (const s of SERIES) {
        const points = f.windows
            .map((w, index) => ({ index, value: s.pick(w) }))
            .filter((p): p is { index: number; value: number } => p.value !== null);
        if (points.length > 1) {
            parts.push(
                `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points
                    .map((p) => `${f.x(p.index).toFixed(1)},${f.y(p.value).toFixed(1)}`)
                    .join(" ")}"/>`,
            );
        }
        for (const p of points) {
            parts.push(
                `<circle class="${s.name}" cx="${f.x(p.index).toFixed(1)}" cy="${f.y(p.value).toFixed(1)}" r="4" fill="${s.color}">` +
                    `<title>${escapeXml(`${s.name} ${formatRatio(p.value)}`)}</title></circle>`,
            );
        }
    }
    return parts;
}

/** Each window's decision above its points. */
function decisionMarks(f: Frame): string[] {
    return f.windows.map((window, index) => {
        const mark = DECISION_MARK[window.verdict.decision];
        return `<text x="${f.x(index).toFixed(1)}" y="${f.margin.top - 10}" text-anchor="middle" class="decision">${mark}</text>`;
    });
}

function legend(f: Frame): string[] {
    const legendX = f.margin.left + f.plotW + 16;
    const entries = [
        ...SERIES.map((s) => ({ label: `${s.name} 5xx ratio`, color: s.color, dashed: false })),
        ...(f.limit === undefined
            ? []
            : [{ label: `maximum ${formatRatio(f.limit)}`, color: "#d62728", dashed: true }]),
    ];
    const parts: string[] = [];
    entries.forEach((entry, index) => {
        const ly = f.margin.top + 12 + index * 20;
        parts.push(
            `<line x1="${legendX}" y1="${ly}" x2="${legendX + 20}" y2="${ly}" stroke="${entry.color}" stroke-width="2"` +
                `${entry.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
        );
        parts.push(`<text x="${legendX + 26}" y="${ly + 4}">${escapeXml(entry.label)}</text>`);
    });
    parts.push(
        `<text x="${legendX}" y="${f.margin.top + 12 + entries.length * 20 + 8}" fill="#555">✓ pass ✗ fail ? no data ⇄ split</text>`,
    );
    return parts;
}

function niceMax(value: number): number {
    const exponent = Math.floor(Math.log10(value));
    const base = 10 ** exponent;
    for (const step of [1, 2, 2.5, 5, 10]) {
        if (step * base >= value) {
            return step * base;
        }
    }
    return 10 * base;
}
