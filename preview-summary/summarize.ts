import type { CanaryPlan } from "./canary-plan";
import { parseUrn, type PreviewDigest, type PreviewDiagnostic, type PreviewStep } from "./preview-json";
import { SecretGuard, type SecretValue, secretsInPreview } from "./secrets";

/**
 * Turns a `pulumi preview --json` document into a compact Markdown summary for a reviewer. Pure: the
 * CLI reads the files and the environment, this module only computes.
 *
 * Never prints a property value from the preview (only resource names, types and the keys of the
 * properties that differ), blanks known secret values out of the engine's free text, and checks the
 * finished text for them last. Stays within `maxChars` by cutting the least important sections first.
 */

/** GitHub's limit for an issue or pull-request comment body. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export const MARKER_PREFIX = "cicd-platform-preview";

/** The hidden first line the pipelines find the previous comment by. */
export function commentMarker(stack: string): string {
    return `<!-- ${MARKER_PREFIX}:${stack} -->`;
}

export interface PreviewFailure {
    /** Exit status of `pulumi preview`. */
    readonly exitCode: number;
    /** What it wrote to stderr (config errors land here). */
    readonly stderr: string;
}

export interface SummaryInput {
    readonly stack: string;
    /** The parsed preview; absent when the preview failed before printing one. */
    readonly preview?: PreviewDigest;
    readonly failure?: PreviewFailure;
    /** From the stack config; absent when the config could not be read. */
    readonly canaryPlan?: CanaryPlan;
    /** Why there is no canary plan (e.g. the stack config is invalid). */
    readonly canaryPlanError?: string;
    /** Link to the full preview log, printed in the footer. */
    readonly logUrl?: string;
    /** Values that must not appear (e.g. from `--secret-values-from-env`). */
    readonly secretValues?: readonly SecretValue[];
    /** Full config keys (`project:key`) declared secret; their plaintext in `preview.config` is unprintable. */
    readonly secretConfigKeys?: ReadonlySet<string>;
    /** @default GITHUB_COMMENT_LIMIT */
    readonly maxChars?: number;
    /** Extra context for the heading, e.g. a commit SHA. */
    readonly context?: string;
}

export type OpKind = "create" | "update" | "replace" | "delete" | "same" | "read" | "import" | "refresh" | "other";

export const OP_KINDS: readonly OpKind[] = [
    "create",
    "update",
    "replace",
    "delete",
    "same",
    "read",
    "import",
    "refresh",
    "other",
];

export interface SummaryResult {
    readonly markdown: string;
    /** Count per operation (from the engine's changeSummary where it has one). */
    readonly counts: Readonly<Record<OpKind, number>>;
    /** Per resource type, count per operation, from the steps. */
    readonly byType: ReadonlyMap<string, Readonly<Record<OpKind, number>>>;
    /** Human descriptions of what was cut to fit; empty when nothing was. */
    readonly truncated: readonly string[];
    /** Secret sources that were too short to scan for. */
    readonly unscannedSecrets: readonly string[];
}

/** Maps the engine's step ops (deploy.StepOp) onto the five a reviewer cares about, plus a few. */
export function opKind(op: string): OpKind {
    switch (op) {
        case "create":
        case "update":
        case "delete":
        case "same":
        case "read":
        case "import":
        case "refresh":
            return op;
        case "replace":
        case "create-replacement":
        case "delete-replaced":
        case "discard-replaced":
        case "remove-pending-replace":
            return "replace";
        case "read-replacement":
            return "read";
        case "import-replacement":
            return "import";
        case "discard":
            return "delete";
        default:
            return "other";
    }
}

/** When one URN has several steps (a replacement is create-replacement + replace + delete-replaced). */
const STRENGTH: Record<OpKind, number> = {
    replace: 8,
    delete: 7,
    create: 6,
    update: 5,
    import: 4,
    read: 3,
    refresh: 2,
    other: 1,
    same: 0,
};

const emptyCounts = (): Record<OpKind, number> => ({
    create: 0,
    update: 0,
    replace: 0,
    delete: 0,
    same: 0,
    read: 0,
    import: 0,
    refresh: 0,
    other: 0,
});

interface ResourceChange {
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    readonly kind: OpKind;
    readonly replaceReasons: readonly string[];
    readonly diffKeys: readonly string[];
    /** detailedDiff entries: key -> kind (e.g. "update-replace"). */
    readonly detailed: ReadonlyMap<string, string>;
}

function changesByUrn(steps: readonly PreviewStep[]): ResourceChange[] {
    const byUrn = new Map<string, ResourceChange>();
    for (const step of steps) {
        const kind = opKind(step.op);
        const previous = byUrn.get(step.urn);
        const { name, type: urnType } = parseUrn(step.urn);
        const type = step.newState?.type ?? step.oldState?.type ?? urnType;
        const detailed = new Map<string, string>(previous?.detailed ?? []);
        for (const [key, diff] of Object.entries(step.detailedDiff ?? {})) {
            detailed.set(key, diff.kind);
        }
        const merged: ResourceChange = {
            urn: step.urn,
            name,
            type,
            kind: previous && STRENGTH[previous.kind] > STRENGTH[kind] ? previous.kind : kind,
            replaceReasons: unique([...(previous?.replaceReasons ?? []), ...(step.replaceReasons ?? [])]),
            diffKeys: unique([...(previous?.diffKeys ?? []), ...(step.diffReasons ?? [])]),
            detailed,
        };
        byUrn.set(step.urn, merged);
    }
    return [...byUrn.values()];
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/** The engine's counts, folded onto OpKind; a replacement counted under several ops counts once. */
function countsFromSummary(summary: Readonly<Record<string, number>>): Record<OpKind, number> {
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

// ---- Markdown helpers -----------------------------------------------------------------------------

/** Inline code that cannot be broken out of: no backticks, no newlines, bounded length. */
function code(text: string, max = 200): string {
    const clean = text.replace(/[`\r\n]+/g, " ").replace(/\|/g, "\\|");
    return `\`${clean.length > max ? clean.slice(0, max - 1) + "…" : clean}\``;
}

/** A fenced block whose fence is longer than any backtick run inside. */
function fenced(text: string, info = "text"): string {
    const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
    const fence = "`".repeat(longest + 1);
    return `${fence}${info}\n${text.replace(/\s+$/, "")}\n${fence}`;
}

function clip(text: string, max: number, what = "characters"): string {
    if (text.length <= max) {
        return text;
    }
    return `${text.slice(0, max)}\n… (${(text.length - max).toLocaleString("en-US")} more ${what} in the full log)`;
}

/** The last lines of a long text (a failed command's reason is at its end). */
function tail(text: string, maxChars: number): string {
    if (text.length <= maxChars) {
        return text;
    }
    const cut = text.slice(text.length - maxChars);
    const firstNewline = cut.indexOf("\n");
    const kept = firstNewline >= 0 ? cut.slice(firstNewline + 1) : cut;
    return `… (${(text.length - kept.length).toLocaleString("en-US")} earlier characters in the full log)\n${kept}`;
}

const n = (value: number): string => value.toLocaleString("en-US");

function plural(count: number, one: string, many = `${one}s`): string {
    return `${n(count)} ${count === 1 ? one : many}`;
}

// ---- Sections ------------------------------------------------------------------------------------

/**
 * A part of the summary. Items are cut from the end when the text is too long, lowest `keep` first;
 * `intro` and `outro` stay while any item does, and a section with no items left is replaced by one
 * line saying it was cut.
 */
interface Section {
    readonly id: string;
    /** Higher is kept longer. */
    readonly keep: number;
    readonly title: string;
    readonly intro: readonly string[];
    items: string[];
    readonly outro: readonly string[];
    /** What one item is, for the cut note ("create", "row"). */
    readonly unit: string;
    omitted: number;
    readonly total: number;
    /** Items are one block each (tables need their rows joined by single newlines). */
    readonly separator: "\n" | "\n\n";
}

function section(
    id: string,
    keep: number,
    title: string,
    items: string[],
    options: { intro?: string[]; outro?: string[]; unit?: string; separator?: "\n" | "\n\n" } = {},
): Section {
    return {
        id,
        keep,
        title,
        intro: options.intro ?? [],
        items,
        outro: options.outro ?? [],
        unit: options.unit ?? "item",
        omitted: 0,
        total: items.length,
        separator: options.separator ?? "\n",
    };
}

function renderSection(s: Section): string {
    if (s.items.length === 0 && s.omitted > 0) {
        return `#### ${s.title}\n_Cut to fit: ${plural(s.omitted, s.unit)} (see the full log)._`;
    }
    const parts = [`#### ${s.title}`];
    if (s.intro.length > 0) {
        // Block items (paragraphs, tables) need a blank line after the intro; list or table rows none.
        parts.push(s.intro.join("\n") + (s.separator === "\n\n" ? "\n" : ""));
    }
    let body = s.items.join(s.separator);
    if (s.omitted > 0) {
        body += `${s.separator === "\n" && s.intro.some((l) => l.startsWith("|")) ? "\n\n" : "\n"}_… and ${plural(s.omitted, `more ${s.unit}`, `more ${s.unit}s`)} (cut to fit; see the full log)._`;
    }
    parts.push(body);
    if (s.outro.length > 0) {
        parts.push(s.outro.join("\n"));
    }
    return parts.join("\n");
}

function diagnosticText(d: PreviewDiagnostic): string {
    return `${d.prefix ?? ""}${d.message ?? ""}`.trim();
}

const POLICY_TEXT = /\b(policy|policies|mandatory|advisory)\b/i;

function severityOf(d: PreviewDiagnostic): "error" | "warning" | "info" {
    const s = (d.severity ?? "info").toLowerCase();
    if (s.startsWith("error")) {
        return "error";
    }
    if (s.startsWith("warn")) {
        return "warning";
    }
    return "info";
}

function resourceLine(change: ResourceChange): string {
    return `${code(change.name, 120)} ${code(change.type, 120)}`;
}

function diffKeyList(keys: readonly string[], detailed: ReadonlyMap<string, string>, max = 12): string {
    const shown = keys.slice(0, max).map((key) => {
        const kind = detailed.get(key);
        return kind ? `${code(key, 100)} (${kind})` : code(key, 100);
    });
    if (keys.length > max) {
        shown.push(`+${n(keys.length - max)} more`);
    }
    return shown.join(", ");
}

function replacementItem(change: ResourceChange): string {
    const forcing = [...change.detailed.entries()].filter(([, kind]) => kind.endsWith("-replace")).map(([k]) => k);
    const reasons = unique([...change.replaceReasons, ...forcing]);
    const why =
        reasons.length > 0
            ? `replaced because of ${diffKeyList(reasons, change.detailed)}`
            : "replaced (the provider gave no property)";
    const other = change.diffKeys.filter((k) => !reasons.includes(k));
    return `- ${resourceLine(change)}: ${why}${other.length > 0 ? `; also changes ${diffKeyList(other, change.detailed, 6)}` : ""}`;
}

function updateItem(change: ResourceChange): string {
    const keys = unique([...change.diffKeys, ...change.detailed.keys()]);
    return `- ${resourceLine(change)}${keys.length > 0 ? `: ${diffKeyList(keys, change.detailed)}` : ""}`;
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

function canarySection(input: SummaryInput): Section {
    if (!input.canaryPlan) {
        return section("canary", 70, "Canary plan", [
            `_Not available: ${input.canaryPlanError ?? "no stack config was given"}._`,
        ]);
    }
    const { analysis, apps } = input.canaryPlan;
    if (apps.length === 0) {
        return section("canary", 70, "Canary plan", ["_This stack has no canary apps._"]);
    }
    const intro = [
        `Each step runs for at least one ${n(analysis.intervalSeconds)} s analysis window and passes with ≥ ${n(analysis.minRequests)} canary requests, ` +
            `5xx ratio ≤ ${analysis.maxErrorRatio} (and ≤ ${analysis.maxRatioVsStable}× stable above ${analysis.ratioFloor}), p95 ≤ ${analysis.maxP95Seconds} s; ` +
            `more than ${plural(analysis.maxNoDataIntervals, "window")} without data roll back.`,
    ];
    const items = apps.map((app) => {
        const index = app.steps.findIndex((s) => s.percent === app.currentPercent);
        const where =
            app.currentPercent === 0
                ? "no canary traffic now (0%)"
                : index >= 0
                  ? `now at **${app.currentPercent}%** (step ${index + 1} of ${app.steps.length})`
                  : `now at **${app.currentPercent}%** (between steps)`;
        const versions = `stable ${code(app.stableVersion, 80)}${app.canaryVersion ? `, canary ${code(app.canaryVersion, 80)}` : ", no canary version set"}`;
        const rows = app.steps.map((step, i) => {
            const upstream = step.servers.map((s) => `${s.track} weight=${s.weight}`).join(", ");
            const left =
                step.servers.length < 2 ? ` (${step.weights.stable === 0 ? "stable" : "canary"} left out)` : "";
            return `| ${i + 1}${i === index ? " ◀ now" : ""} | ${step.percent}% | ${step.stableReplicas} | ${step.canaryReplicas} | ${upstream}${left} |`;
        });
        return [
            `**${app.app}**: ${versions}; ${where}`,
            "",
            "| step | canary traffic | stable pods | canary pods | nginx upstream |",
            "| --- | --- | --- | --- | --- |",
            ...rows,
        ].join("\n");
    });
    return section("canary", 70, "Canary plan", items, { intro, unit: "app", separator: "\n\n" });
}

/** Builds the summary, cutting sections until it fits, and refuses to return text with a secret in it. */
export function summarize(input: SummaryInput): SummaryResult {
    const maxChars = input.maxChars ?? GITHUB_COMMENT_LIMIT;
    const preview = input.preview ?? {};
    const guard = new SecretGuard(input.secretValues ?? []);
    for (const value of secretsInPreview(preview, input.secretConfigKeys ?? new Set())) {
        guard.add(value);
    }

    const changes = changesByUrn(preview.steps ?? []);
    const stepCounts = emptyCounts();
    const byType = new Map<string, Record<OpKind, number>>();
    for (const change of changes) {
        stepCounts[change.kind] += 1;
        const row = byType.get(change.type) ?? emptyCounts();
        row[change.kind] += 1;
        byType.set(change.type, row);
    }
    const counts = preview.changeSummary ? countsFromSummary(preview.changeSummary) : stepCounts;
    for (const kind of OP_KINDS) {
        // Steps the engine did not count (e.g. a failed preview has no changeSummary): take the larger.
        counts[kind] = Math.max(counts[kind], kind === "same" ? 0 : stepCounts[kind]);
    }
    if (!preview.changeSummary) {
        counts.same = stepCounts.same;
    }

    const diagnostics = (preview.diagnostics ?? []).map((d) => ({
        severity: severityOf(d),
        text: guard.redact(diagnosticText(d)),
        urn: d.urn,
    }));
    const policyDiagnostics = diagnostics.filter((d) => d.severity !== "info" && POLICY_TEXT.test(d.text));
    const otherDiagnostics = diagnostics.filter((d) => !policyDiagnostics.includes(d) && d.text !== "");
    const failure = input.failure !== undefined && input.failure.exitCode !== 0 ? input.failure : undefined;

    // ---- header (never cut) ----
    const changed = counts.create + counts.update + counts.replace + counts.delete;
    const status = failure
        ? `❌ **preview failed** (exit ${failure.exitCode})`
        : changed === 0
          ? "✅ no changes"
          : `${plural(changed, "resource")} to change`;
    const header = [
        commentMarker(input.stack),
        `### Pulumi preview: ${code(input.stack, 80)} · ${status}${input.context ? ` · ${code(input.context, 80)}` : ""}`,
        "",
        `| ${OP_SYMBOL.create} create | ${OP_SYMBOL.update} update | ${OP_SYMBOL.replace} replace | ${OP_SYMBOL.delete} delete | ${OP_SYMBOL.same} unchanged |`,
        "| ---: | ---: | ---: | ---: | ---: |",
        `| ${n(counts.create)} | ${n(counts.update)} | ${n(counts.replace)} | ${n(counts.delete)} | ${n(counts.same)} |`,
    ];
    const extraOps = (["read", "import", "refresh", "other"] as const).filter((k) => counts[k] > 0);
    if (extraOps.length > 0) {
        header.push("", `Also: ${extraOps.map((k) => `${n(counts[k])} ${k}`).join(", ")}.`);
    }
    if (preview.maybeCorrupt) {
        header.push("", "⚠️ The engine reports that one or more resources **may be corrupt**.");
    }

    // ---- sections, most important first ----
    const sections: Section[] = [];
    if (failure) {
        const stderr = guard.redact(failure.stderr).trim();
        sections.push(
            section("failure", 100, "Why the preview failed", [
                stderr === ""
                    ? "_pulumi wrote nothing to stderr; see the errors below and the full log._"
                    : fenced(tail(stderr, 6_000)),
            ]),
        );
    }
    const violations = preview.policyViolations ?? [];
    if (violations.length > 0 || policyDiagnostics.length > 0) {
        const items = [
            ...violations.map((v) => {
                const where = v.resourceUrn ? ` on ${code(parseUrn(v.resourceUrn).name, 100)}` : "";
                const level = v.enforcementLevel ?? "advisory";
                const pack = v.policyPackName ? `${code(v.policyPackName, 80)}/` : "";
                return `- **${level}** ${pack}${code(v.policyName ?? "policy", 80)}${where}: ${code(clip(guard.redact(v.message ?? ""), 400), 420)}`;
            }),
            ...policyDiagnostics.map((d) => `- **${d.severity}**\n\n${fenced(clip(d.text, 1_500))}`),
        ];
        const packs = Object.entries(preview.policyPacks ?? {});
        sections.push(
            section("policy", 95, "Policy violations", items, {
                intro:
                    packs.length > 0
                        ? [`Packs: ${packs.map(([p, v]) => `${code(p, 60)} ${code(v, 30)}`).join(", ")}`]
                        : [],
                unit: "violation",
            }),
        );
    }
    const errors = otherDiagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
        sections.push(
            section(
                "errors",
                90,
                "Errors",
                errors.map((d) => {
                    const on = d.urn ? ` on ${code(parseUrn(d.urn).name, 100)}` : "";
                    return `- error${on}:\n\n${fenced(clip(d.text, 2_000))}`;
                }),
                { unit: "error", separator: "\n\n" },
            ),
        );
    }
    const replacements = changes.filter((c) => c.kind === "replace");
    if (replacements.length > 0) {
        sections.push(
            section("replace", 85, `Replacements (${n(replacements.length)})`, replacements.map(replacementItem), {
                unit: "replacement",
            }),
        );
    }
    const deletions = changes.filter((c) => c.kind === "delete");
    if (deletions.length > 0) {
        sections.push(
            section(
                "delete",
                80,
                `Deletions (${n(deletions.length)})`,
                deletions.map((c) => `- ${resourceLine(c)}`),
                { unit: "deletion" },
            ),
        );
    }
    sections.push(canarySection(input));
    const typeRows = [...byType.entries()]
        .map(([type, row]) => ({ type, row, changed: row.create + row.update + row.replace + row.delete }))
        .filter((r) => r.changed > 0)
        .sort((a, b) => b.changed - a.changed || a.type.localeCompare(b.type));
    if (typeRows.length > 0) {
        sections.push(
            section(
                "types",
                50,
                "Changes by resource type",
                typeRows.map(
                    ({ type, row }) =>
                        `| ${code(type, 120)} | ${n(row.create)} | ${n(row.update)} | ${n(row.replace)} | ${n(row.delete)} |`,
                ),
                {
                    intro: ["| type | create | update | replace | delete |", "| --- | ---: | ---: | ---: | ---: |"],
                    unit: "type",
                },
            ),
        );
    }
    const updates = changes.filter((c) => c.kind === "update");
    if (updates.length > 0) {
        sections.push(
            section("update", 40, `Updates (${n(updates.length)})`, updates.map(updateItem), {
                unit: "update",
            }),
        );
    }
    const creates = changes.filter((c) => c.kind === "create");
    if (creates.length > 0) {
        sections.push(
            section(
                "create",
                30,
                `Creates (${n(creates.length)})`,
                creates.map((c) => `- ${resourceLine(c)}`),
                { unit: "create" },
            ),
        );
    }
    // Warnings (e.g. an unreachable cluster) matter more than the lists; program output ("info") least.
    for (const [severity, title, keep] of [
        ["warning", "Warnings", 60],
        ["info", "Messages", 10],
    ] as const) {
        const messages = otherDiagnostics.filter((d) => d.severity === severity);
        if (messages.length > 0) {
            sections.push(
                section(
                    severity,
                    keep,
                    title,
                    messages.map((d) => fenced(clip(d.text, 1_000))),
                    { unit: severity === "warning" ? "warning" : "message", separator: "\n\n" },
                ),
            );
        }
    }

    const render = (notes: readonly string[]): string => {
        const parts = [header.join("\n"), ...sections.map(renderSection)];
        const footer: string[] = [];
        if (notes.length > 0) {
            footer.push(`✂️ Cut to stay under ${n(maxChars)} characters: ${notes.join("; ")}.`);
        }
        if (input.logUrl) {
            footer.push(`[Full preview log](${input.logUrl.replace(/[()\s]/g, encodeURIComponent)})`);
        }
        if (footer.length > 0) {
            parts.push(`---\n${footer.join("\n\n")}`);
        }
        return parts.join("\n\n") + "\n";
    };
    const notes = (): string[] =>
        sections
            .filter((s) => s.omitted > 0)
            .map((s) => `${n(s.omitted)} of ${plural(s.total, s.unit)} in “${s.title.replace(/ \(.*\)$/, "")}”`);

    let markdown = render([]);
    const cutOrder = [...sections].sort((a, b) => a.keep - b.keep);
    for (const s of cutOrder) {
        if (markdown.length <= maxChars) {
            break;
        }
        while (markdown.length > maxChars && s.items.length > 0) {
            // Drop enough items from the end to cover the overflow, plus room for the notes.
            const overflow = markdown.length - maxChars + 400;
            let dropped = 0;
            let freed = 0;
            while (s.items.length > 0 && freed < overflow) {
                freed += (s.items.pop() ?? "").length + s.separator.length;
                dropped += 1;
            }
            s.omitted += dropped;
            markdown = render(notes());
        }
    }
    if (markdown.length > maxChars) {
        // Only the header is left and it does not fit: a limit far below any forge's.
        throw new RangeError(`maxChars ${n(maxChars)} is too small for even the summary's header`);
    }
    guard.assertClean(markdown);
    return { markdown, counts, byType, truncated: notes(), unscannedSecrets: [...guard.tooShort] };
}
