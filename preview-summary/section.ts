import { plural } from "./markdown";

/**
 * A part of the summary. Items are cut from the end when the text is too long, lowest `keep` first;
 * `intro` and `outro` stay while any item does, and a section with no items left is replaced by one
 * line saying it was cut.
 */
export interface Section {
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

export interface SectionOptions {
    readonly intro?: string[];
    readonly outro?: string[];
    readonly unit?: string;
    readonly separator?: "\n" | "\n\n";
}

export function section(
    id: string,
    keep: number,
    title: string,
    items: string[],
    options: SectionOptions = {},
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

/** The note after the items that are left, saying how many were cut. */
function omittedNote(s: Section): string {
    // After table rows a blank line ends the table, or the note would be read as one more row.
    const gap = s.separator === "\n" && s.intro.some((l) => l.startsWith("|")) ? "\n\n" : "\n";
    return `${gap}_… and ${plural(s.omitted, `more ${s.unit}`, `more ${s.unit}s`)} (cut to fit; see the full log)._`;
}

export function renderSection(s: Section): string {
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
        body += omittedNote(s);
    }
    parts.push(body);
    if (s.outro.length > 0) {
        parts.push(s.outro.join("\n"));
    }
    return parts.join("\n");
}
