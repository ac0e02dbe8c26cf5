import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { analyseWindow } from "../../delivery/shared/analysis";
import type { CanaryResult, WindowRecord } from "../../delivery/canary/controller";
import { lineDiff } from "../../delivery/shared/line-diff";
import { renderChart, renderMarkdown, writeReport } from "../../delivery/canary/report";
import { MARKER_LINE } from "../../preview-summary/comment-marker";
import { analysisSchema } from "../../config/schema";

const analysis = { ...analysisSchema.parse({}), intervalSeconds: 5 };

function record(percent: number, requests: number, errors: number, stableErrors: number): WindowRecord {
    const verdict = analyseWindow(
        {
            canary: { requests, errors, p95Seconds: 0.04 },
            stable: { requests: requests * 9, errors: stableErrors },
            queries: { requests: 'sum by (track) (increase(http_requests_total{app="shop"}[5s]))' },
            windowSeconds: 5,
        },
        analysis,
        // The second window's router sent 10% where the step asked 25%.
        { targetShare: percent / 100 },
    );
    return {
        step: percent === 10 ? 1 : 2,
        percent,
        attempt: 1,
        verdict,
        action: verdict.decision === "pass" ? "advance" : "rollback",
        upMs: 4000,
        waitMs: 5000,
        queryMs: 12,
        startedAt: 0,
        finishedAt: 9100,
    };
}

const RESULT: CanaryResult = {
    outcome: "rolled-back",
    exitCode: 3,
    state: "stable 1.0.0 only, no canary",
    message: "rolled back at 25%: canary 5xx ratio 5.00% is above the maximum 1.00%",
    plan: {
        stack: "staging",
        app: "shop",
        stableVersion: "1.0.0",
        canaryVersion: "2.0.0",
        steps: [10, 25, 100],
        allSteps: [10, 25, 100],
        analysis,
    },
    windows: [record(10, 400, 0, 2), record(25, 1000, 50, 3)],
    configChange: {
        file: "/repo/Pulumi.staging.yaml",
        diff: ["@@ -10,2 +10,2 @@", "-      canaryPercent: 25", "+      canaryPercent: 0"],
    },
    startedAt: 0,
    finishedAt: 20_000,
};

describe("canary report", () => {
    it("has the steps table, the outcome and the changed lines", () => {
        const md = renderMarkdown(RESULT, "report.svg");
        assert.match(md, /^# Canary shop 1\.0\.0 → 2\.0\.0: rolled back$/m);
        assert.match(md, /\*\*Outcome:\*\* rolled back \(exit code 3\): rolled back at 25%/);
        assert.match(
            md,
            /^\| 1 \| 10\.0% ± 1\.6 pp \| 10\.0% \| 400 \| 0\.00% \| 3600 \| 0\.06% \| 40ms \| pass \| advance \| 9\.1s \| 12ms \|$/m,
        );
        assert.match(
            md,
            /^\| 2 \| 25\.0% ± 1\.4 pp \| 10\.0% \| 1000 \| 5\.00% \| 9000 \| 0\.03% \| 40ms \| fail: canary 5xx ratio 5\.00% is above/m,
        );
        assert.match(md, /!\[5xx ratio per analysis window\]\(report\.svg\)/);
        assert.match(md, /```diff\n@@ -10,2 \+10,2 @@\n-      canaryPercent: 25\n\+      canaryPercent: 0\n```/);
        assert.match(md, /`Pulumi\.staging\.yaml` now describes exactly what runs\. Commit it/);
    });

    it("starts with the marker the comment scripts update in place, one per stack and app", () => {
        const md = renderMarkdown(RESULT);
        assert.equal(md.split("\n")[0], "<!-- cicd-platform-canary:staging:shop -->");
        assert.match(md.split("\n")[0] ?? "", MARKER_LINE);
    });

    it("keeps the decision record: every check with query, window, sample, value, threshold and verdict", () => {
        const md = renderMarkdown(RESULT);
        assert.match(md, /^## Decision record$/m);
        assert.match(md, /^\| canary requests \| Q1 \| 5s \| 400 \| 400 \| ≥ 50 \| pass \|$/m);
        assert.match(md, /^\| canary 5xx ratio \| Q1 \| 5s \| 1000 \| 5\.00% \| ≤ 1\.00% \| fail \|$/m);
        assert.match(
            md,
            /^\| traffic split \| Q1 \| 5s \| 10000 \| canary 10\.0% \| 25\.0% ± 1\.4 pp \(binomial, 99\.9%\) \| misrouted \|$/m,
        );
        assert.match(md, /^- Q1: `sum by \(track\) \(increase\(http_requests_total\{app="shop"\}\[5s\]\)\)`$/m);
    });

    it("charts both ratios per window and the maximum", () => {
        const svg = renderChart(RESULT);
        assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
        assert.equal((svg.match(/<circle class="canary"/g) ?? []).length, 2);
        assert.equal((svg.match(/<circle class="stable"/g) ?? []).length, 2);
        assert.match(svg, /maximum 1\.00%/);
        // The failing window's point sits higher (smaller y) than the passing one's.
        const ys = [...svg.matchAll(/<circle class="canary" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
        assert.ok((ys[1] as number) < (ys[0] as number), ys.join(","));
        assert.equal((svg.match(/<svg/g) ?? []).length, (svg.match(/<\/svg>/g) ?? []).length);
        assert.doesNotMatch(svg, /NaN|undefined/);
    });

    it("writes the Markdown and the SVG beside it", async () => {
        const dir = await mkdtemp(join(tmpdir(), "canary-report-"));
        try {
            const written = await writeReport(RESULT, join(dir, "out", "canary.md"));
            assert.equal(written.chart, join(dir, "out", "canary.svg"));
            assert.match(await readFile(written.markdown, "utf8"), /\(canary\.svg\)/);
            assert.match(await readFile(written.chart, "utf8"), /<\/svg>\n$/);
            const withJson = await writeReport(RESULT, join(dir, "out", "canary.md"), join(dir, "out", "canary.json"));
            const json = JSON.parse(await readFile(withJson.json ?? "", "utf8")) as typeof RESULT & { kind: string };
            assert.equal(json.kind, "canary");
            assert.equal(json.windows[1]?.verdict.checks.find((c) => c.name === "traffic split")?.verdict, "misrouted");
            assert.match(json.windows[0]?.verdict.checks[0]?.query ?? "", /^sum by \(track\)/);
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });
});

describe("line diff", () => {
    it("shows the changed lines with a line of context, removed before added", () => {
        const before = "a\nb\nc\nd\ne\nf\ng\n";
        const after = "a\nb\nC\nd\ne\nf\ng\nh\n";
        assert.deepEqual(lineDiff(before, after), [
            "@@ -2,3 +2,3 @@",
            " b",
            "-c",
            "+C",
            " d",
            "@@ -7,1 +7,2 @@",
            " g",
            "+h",
        ]);
    });

    it("is empty for equal texts and complete for a new file", () => {
        assert.deepEqual(lineDiff("x\n", "x\n"), []);
        assert.deepEqual(lineDiff("", "x\ny\n"), ["@@ -1,0 +1,2 @@", "+x", "+y"]);
    });
});
