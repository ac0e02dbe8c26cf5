import type { Diagnostic } from "./diagnostics";
import { clip, code, fenced } from "./markdown";
import { parseUrn, type PolicyViolation } from "./preview-json";
import { section, type Section } from "./section";

/**
 * Policy violations, from the events' `policyViolations` where the document has them and from the
 * diagnostics that speak of policies (`pulumi preview --json` carries policy failures only there).
 */

export interface PolicyFindings {
    readonly violations: readonly PolicyViolation[];
    /** Pack name -> version. */
    readonly packs: Readonly<Record<string, string>>;
    /** Already redacted. */
    readonly diagnostics: readonly Diagnostic[];
}

function violationItem(v: PolicyViolation, redact: (text: string) => string): string {
    const where = v.resourceUrn ? ` on ${code(parseUrn(v.resourceUrn).name, 100)}` : "";
    const level = v.enforcementLevel ?? "advisory";
    const pack = v.policyPackName ? `${code(v.policyPackName, 80)}/` : "";
    return `- **${level}** ${pack}${code(v.policyName ?? "policy", 80)}${where}: ${code(clip(redact(v.message ?? ""), 400), 420)}`;
}

export function policySection(findings: PolicyFindings, redact: (text: string) => string): Section[] {
    const { violations, diagnostics } = findings;
    if (violations.length === 0 && diagnostics.length === 0) {
        return [];
    }
    const items = [
        ...violations.map((v) => violationItem(v, redact)),
        ...diagnostics.map((d) => `- **${d.severity}**\n\n${fenced(clip(d.text, 1_500))}`),
    ];
    const packs = Object.entries(findings.packs);
    const intro =
        packs.length > 0 ? [`Packs: ${packs.map(([p, v]) => `${code(p, 60)} ${code(v, 30)}`).join(", ")}`] : [];
    return [section("policy", 95, "Policy violations", items, { intro, unit: "violation" })];
}
