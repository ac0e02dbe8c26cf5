import { formatCount, plural } from "./markdown";
import { renderSection, type Section } from "./section";

/**
 * Fits the summary into a forge's comment limit: the header always stays, sections lose items from
 * their end, least important section first, and the footer says what was cut.
 */

/** GitHub's limit for an issue or pull-request comment body. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Room left for the cut notes in the footer, which grow as sections are cut. */
const NOTE_ROOM = 400;

export interface Budget {
    readonly maxChars: number;
    /** Link to the full preview log, printed in the footer. */
    readonly logUrl?: string;
}

/** What was cut to fit, one note per section that lost items; empty when nothing was. */
export function cutNotes(sections: readonly Section[]): string[] {
    return sections
        .filter((s) => s.omitted > 0)
        .map((s) => `${formatCount(s.omitted)} of ${plural(s.total, s.unit)} in “${s.title.replace(/ \(.*\)$/, "")}”`);
}

function render(header: readonly string[], sections: readonly Section[], budget: Budget): string {
    const parts = [header.join("\n"), ...sections.map(renderSection)];
    const notes = cutNotes(sections);
    const footer: string[] = [];
    if (notes.length > 0) {
        footer.push(`✂️ Cut to stay under ${formatCount(budget.maxChars)} characters: ${notes.join("; ")}.`);
    }
    if (budget.logUrl) {
        footer.push(`[Full preview log](${budget.logUrl.replace(/[()\s]/g, encodeURIComponent)})`);
    }
    if (footer.length > 0) {
        parts.push(`---\n${footer.join("\n\n")}`);
    }
    return parts.join("\n\n") + "\n";
}

/** Drops enough items from the end to cover the overflow, plus room for the notes. */
function dropItems(s: Section, overflow: number): void {
    let dropped = 0;
    let freed = 0;
    while (s.items.length > 0 && freed < overflow + NOTE_ROOM) {
        freed += (s.items.pop() ?? "").length + s.separator.length;
        dropped += 1;
    }
    s.omitted += dropped;
}

/**
 * The Markdown of the header and the sections within `budget.maxChars`. Cuts items out of the
 * sections (so `cutNotes` tells what went) and throws a RangeError when even the header does not fit.
 */
export function fitToBudget(header: readonly string[], sections: readonly Section[], budget: Budget): string {
    const { maxChars } = budget;
    let markdown = render(header, sections, budget);
    const cutOrder = [...sections].sort((a, b) => a.keep - b.keep);
    for (const s of cutOrder) {
        if (markdown.length <= maxChars) {
            break;
        }
        while (markdown.length > maxChars && s.items.length > 0) {
            dropItems(s, markdown.length - maxChars);
            markdown = render(header, sections, budget);
        }
    }
    if (markdown.length > maxChars) {
        // Only the header is left and it does not fit: a limit far below any forge's.
        throw new RangeError(`maxChars ${formatCount(maxChars)} is too small for even the summary's header`);
    }
    return markdown;
}
