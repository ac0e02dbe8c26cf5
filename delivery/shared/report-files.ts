/** Writing both engines' reports: the files, and the JSON that holds a whole result. */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/** The JSON report: the whole result, every check with its full query text. */
function renderJson(kind: "canary" | "switch", result: object): string {
    return `${JSON.stringify({ kind, ...result }, null, 2)}\n`;
}

/** Writes `text` to `path`, its directory made first; returns the absolute path. */
export async function writeReportFile(path: string, text: string): Promise<string> {
    const file = resolve(path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    return file;
}

/** Writes the JSON report when asked for one; returns its absolute path. */
export async function writeJsonReport(
    kind: "canary" | "switch",
    result: object,
    jsonOut: string | undefined,
): Promise<string | undefined> {
    return jsonOut === undefined ? undefined : writeReportFile(jsonOut, renderJson(kind, result));
}
