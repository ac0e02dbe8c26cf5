/**
 * The contract between `bench/run.ts` and each benchmark section (`bench/<section>.ts`).
 *
 * A section measures one thing and judges it against its own target. When it cannot run here (a
 * toolchain or a binary is missing) it says why and is reported as skipped, so one absent tool
 * never hides the numbers of the other sections.
 */

export type SectionStatus = "pass" | "fail" | "skipped";

export interface SectionResult {
    readonly status: SectionStatus;
    /** Lines printed under the section heading: a table, the target and its verdict. */
    readonly lines: readonly string[];
    /** Why the section was skipped or failed, in one sentence. */
    readonly reason?: string;
    /** Machine-readable measurements, written to `bench/results/latest.json`. */
    readonly data?: unknown;
}

export interface BenchSection {
    /** Short id, also the key in `latest.json`, e.g. `construction`. */
    readonly name: string;
    /** One line saying what is measured. */
    readonly title: string;
    /** `undefined` when the section can run, otherwise why not (printed as `skipped: <why>`). */
    readonly unavailable?: () => Promise<string | undefined>;
    readonly run: () => Promise<SectionResult>;
}

export function median(values: readonly number[]): number {
    if (values.length === 0) {
        throw new RangeError("median of no values");
    }
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A fixed-width text table: first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
    const widths = header.map((title, column) =>
        Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
    );
    const format = (row: readonly string[]): string =>
        row
            .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
            .join("  ")
            .trimEnd();
    return [format(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(format)];
}
