import type { Diagnostic } from "./diagnostics";
import { clip, code, fenced, tail } from "./markdown";
import { parseUrn } from "./preview-json";
import { section, type Section } from "./section";

/**
 * The sections of engine text: why a failed preview failed (its stderr), its errors, warnings and
 * program messages. The text is redacted before it gets here; each message is clipped so one huge
 * message cannot push everything else out.
 */

/** `stderr` is already redacted; a failed command's reason is at its end, so that is what is kept. */
export function failureSection(stderr: string | undefined): Section[] {
    if (stderr === undefined) {
        return [];
    }
    const text = stderr.trim();
    return [
        section("failure", 100, "Why the preview failed", [
            text === ""
                ? "_pulumi wrote nothing to stderr; see the errors below and the full log._"
                : fenced(tail(text, 6_000)),
        ]),
    ];
}

export function errorSection(diagnostics: readonly Diagnostic[]): Section[] {
    const errors = diagnostics.filter((d) => d.severity === "error");
    if (errors.length === 0) {
        return [];
    }
    const items = errors.map((d) => {
        const on = d.urn ? ` on ${code(parseUrn(d.urn).name, 100)}` : "";
        return `- error${on}:\n\n${fenced(clip(d.text, 2_000))}`;
    });
    return [section("errors", 90, "Errors", items, { unit: "error", separator: "\n\n" })];
}

/** Warnings (e.g. an unreachable cluster) matter more than the lists; program output ("info") least. */
export function messageSections(diagnostics: readonly Diagnostic[]): Section[] {
    const sections: Section[] = [];
    for (const [severity, title, keep, unit] of [
        ["warning", "Warnings", 60, "warning"],
        ["info", "Messages", 10, "message"],
    ] as const) {
        const messages = diagnostics.filter((d) => d.severity === severity);
        if (messages.length > 0) {
            const items = messages.map((d) => fenced(clip(d.text, 1_000)));
            sections.push(section(severity, keep, title, items, { unit, separator: "\n\n" }));
        }
    }
    return sections;
}
