/**
 * Markdown building blocks that engine text and resource names cannot break out of, and the number
 * formatting every part of the summary shares.
 */

/** Inline code that cannot be broken out of: no backticks, no newlines, bounded length. */
export function code(text: string, max = 200): string {
    const clean = text.replace(/[`\r\n]+/g, " ").replace(/\|/g, "\\|");
    return `\`${clean.length > max ? clean.slice(0, max - 1) + "…" : clean}\``;
}

/** A fenced block whose fence is longer than any backtick run inside. */
export function fenced(text: string, info = "text"): string {
    const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
    const fence = "`".repeat(longest + 1);
    return `${fence}${info}\n${text.replace(/\s+$/, "")}\n${fence}`;
}

export function formatCount(value: number): string {
    return value.toLocaleString("en-US");
}

export function plural(count: number, one: string, many = `${one}s`): string {
    return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** The first `max` characters of a long text. */
export function clip(text: string, max: number, what = "characters"): string {
    if (text.length <= max) {
        return text;
    }
    return `${text.slice(0, max)}\n… (${formatCount(text.length - max)} more ${what} in the full log)`;
}

/** The last lines of a long text (a failed command's reason is at its end). */
export function tail(text: string, maxChars: number): string {
    if (text.length <= maxChars) {
        return text;
    }
    const cut = text.slice(text.length - maxChars);
    const firstNewline = cut.indexOf("\n");
    const kept = firstNewline >= 0 ? cut.slice(firstNewline + 1) : cut;
    return `… (${formatCount(text.length - kept.length)} earlier characters in the full log)\n${kept}`;
}
