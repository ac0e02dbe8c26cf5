/**
 * A line diff of two small texts (a stack file before and after): hunks in unified-diff style,
 * `@@ -a,b +c,d @@` headers, `-` removed and `+` added lines, `contextLines` unchanged lines around.
 * Longest-common-subsequence based; stack files are a few hundred lines at most.
 */
export function lineDiff(before: string, after: string, contextLines = 1): string[] {
    return hunks(editScript(splitLines(before), splitLines(after)), contextLines);
}

interface Op {
    readonly kind: " " | "-" | "+";
    readonly line: string;
    readonly aLine: number;
    readonly bLine: number;
}

/** The lines kept, removed and added, in order, from a longest common subsequence. */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--) {
        const row = lcs[i] as number[];
        const below = lcs[i + 1] as number[];
        for (let j = b.length - 1; j >= 0; j--) {
            row[j] = a[i] === b[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
        }
    }

    const ops: Op[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        if (i < a.length && j < b.length && a[i] === b[j]) {
            ops.push({ kind: " ", line: a[i] as string, aLine: i, bLine: j });
            i++;
            j++;
        } else if (i < a.length && (j === b.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
            // Removed lines before added ones, as unified diffs show a change.
            ops.push({ kind: "-", line: a[i] as string, aLine: i, bLine: j });
            i++;
        } else {
            ops.push({ kind: "+", line: b[j] as string, aLine: i, bLine: j });
            j++;
        }
    }
    return ops;
}

/** The changes with `contextLines` around, as unified-diff hunks. */
function hunks(ops: readonly Op[], contextLines: number): string[] {
    const out: string[] = [];
    let index = 0;
    while (index < ops.length) {
        if (ops[index]?.kind === " ") {
            index++;
            continue;
        }
        // A hunk: changes, merged while they are at most 2*context unchanged lines apart.
        const start = Math.max(0, index - contextLines);
        let end = index;
        while (end < ops.length) {
            let next = end;
            while (next < ops.length && ops[next]?.kind !== " ") {
                next++;
            }
            let gap = next;
            while (gap < ops.length && ops[gap]?.kind === " ") {
                gap++;
            }
            if (gap < ops.length && gap - next <= 2 * contextLines) {
                end = gap;
            } else {
                end = Math.min(ops.length, next + contextLines);
                break;
            }
        }
        const hunk = ops.slice(start, end);
        const first = hunk[0] as Op;
        const aCount = hunk.filter((op) => op.kind !== "+").length;
        const bCount = hunk.filter((op) => op.kind !== "-").length;
        out.push(`@@ -${first.aLine + 1},${aCount} +${first.bLine + 1},${bCount} @@`);
        out.push(...hunk.map((op) => `${op.kind}${op.line}`));
        index = end;
    }
    return out;
}

function splitLines(text: string): string[] {
    if (text === "") {
        return [];
    }
    const lines = text.split("\n");
    if (lines.at(-1) === "") {
        lines.pop();
    }
    return lines;
}
