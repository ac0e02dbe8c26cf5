import type { CanaryPlan } from "./canary-plan";
import { canaryPlanSection } from "./canary-plan-section";
import { createSection, deletionSection, replacementSection, typeSection, updateSection } from "./change-sections";
import { countChanges } from "./count-changes";
import { errorSection, failureSection, messageSections } from "./diagnostic-sections";
import { sortDiagnostics } from "./diagnostics";
import { headerLines } from "./header";
import type { OpKind } from "./op-kind";
import type { PreviewDigest } from "./preview-json";
import { githubSection } from "./github-section";
import { policySection } from "./policy-section";
import { changesByUrn } from "./resource-changes";
import { SecretGuard, type SecretValue, secretsInPreview } from "./secrets";
import { cutNotes, fitToBudget, GITHUB_COMMENT_LIMIT } from "./size-budget";

/**
 * Turns a `pulumi preview --json` document into a compact Markdown summary for a reviewer. Pure: the
 * CLI reads the files and the environment, this module only computes.
 *
 * Never prints a property value from the preview (only resource names, types and the keys of the
 * properties that differ), blanks known secret values out of the engine's free text, and checks the
 * finished text for them last. Stays within `maxChars` by cutting the least important sections first.
 */

export { commentMarker } from "./header";
export { type OpKind, opKind } from "./op-kind";
export { GITHUB_COMMENT_LIMIT } from "./size-budget";

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

function secretGuard(input: SummaryInput, preview: PreviewDigest): SecretGuard {
    const guard = new SecretGuard(input.secretValues ?? []);
    for (const value of secretsInPreview(preview, input.secretConfigKeys ?? new Set())) {
        guard.add(value);
    }
    return guard;
}

/** Builds the summary, cutting sections until it fits, and refuses to return text with a secret in it. */
export function summarize(input: SummaryInput): SummaryResult {
    const preview = input.preview ?? {};
    const guard = secretGuard(input, preview);
    const redact = (text: string): string => guard.redact(text);
    const changes = changesByUrn(preview.steps ?? []);
    const { counts, byType } = countChanges(changes, preview.changeSummary);
    const diagnostics = sortDiagnostics(preview.diagnostics ?? [], redact);
    const failure = input.failure !== undefined && input.failure.exitCode !== 0 ? input.failure : undefined;

    const header = headerLines({
        stack: input.stack,
        context: input.context,
        counts,
        failedExitCode: failure?.exitCode,
        maybeCorrupt: preview.maybeCorrupt,
    });
    // Most important first; the size budget cuts by each section's own `keep`, not by this order.
    const sections = [
        ...failureSection(failure && redact(failure.stderr)),
        ...policySection(
            {
                violations: preview.policyViolations ?? [],
                packs: preview.policyPacks ?? {},
                diagnostics: diagnostics.policy,
            },
            redact,
        ),
        ...errorSection(diagnostics.other),
        ...replacementSection(changes),
        ...deletionSection(changes),
        canaryPlanSection(input.canaryPlan, input.canaryPlanError),
        ...githubSection(preview.steps ?? [], redact),
        ...typeSection(byType),
        ...updateSection(changes),
        ...createSection(changes),
        ...messageSections(diagnostics.other),
    ];
    const markdown = fitToBudget(header, sections, {
        maxChars: input.maxChars ?? GITHUB_COMMENT_LIMIT,
        logUrl: input.logUrl,
    });
    guard.assertClean(markdown);
    return { markdown, counts, byType, truncated: cutNotes(sections), unscannedSecrets: [...guard.tooShort] };
}
