import type { PreviewDiagnostic } from "./preview-json";

export type Severity = "error" | "warning" | "info";

/** An engine diagnostic with its secrets blanked out. */
export interface Diagnostic {
    readonly severity: Severity;
    readonly text: string;
    readonly urn?: string;
}

export interface SortedDiagnostics {
    /** Errors and warnings about policies: they go to the policy section, not the error list. */
    readonly policy: readonly Diagnostic[];
    /** The rest, empty messages dropped. */
    readonly other: readonly Diagnostic[];
}

const POLICY_TEXT = /\b(policy|policies|mandatory|advisory)\b/i;

function severityOf(d: PreviewDiagnostic): Severity {
    const s = (d.severity ?? "info").toLowerCase();
    if (s.startsWith("error")) {
        return "error";
    }
    if (s.startsWith("warn")) {
        return "warning";
    }
    return "info";
}

export function sortDiagnostics(
    diagnostics: readonly PreviewDiagnostic[],
    redact: (text: string) => string,
): SortedDiagnostics {
    const all = diagnostics.map((d) => ({
        severity: severityOf(d),
        text: redact(`${d.prefix ?? ""}${d.message ?? ""}`.trim()),
        urn: d.urn,
    }));
    const policy = all.filter((d) => d.severity !== "info" && POLICY_TEXT.test(d.text));
    const other = all.filter((d) => !policy.includes(d) && d.text !== "");
    return { policy, other };
}
