/**
 * `npm run preview:note -- --body-file summary.md`: posts a preview summary as ONE merge-request
 * note, updated in place. The body's first line is its hidden marker; the first earlier note that
 * starts with it is updated (PUT), otherwise a note is created (POST).
 *
 * Reads the predefined CI variables CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID, and the
 * token from GITLAB_NOTE_TOKEN (a project access token with the `api` scope, sent as PRIVATE-TOKEN;
 * a masked variable) or else CI_JOB_TOKEN (sent as JOB-TOKEN, where the instance lets job tokens
 * write notes). The token is never printed. Exit codes: 0 posted, 1 error, 2 usage error.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { MARKER_LINE } from "./comment-marker";

export interface NoteTarget {
    /** e.g. https://gitlab.example.com/api/v4 */
    readonly apiUrl: string;
    readonly projectId: string;
    readonly mergeRequestIid: string;
    readonly token: string;
    readonly tokenHeader: "PRIVATE-TOKEN" | "JOB-TOKEN";
    /** Only notes by this username count as ours. @default any author */
    readonly authorUsername?: string;
}

export interface NoteResult {
    readonly action: "created" | "updated";
    readonly id: number;
}

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

interface GitLabNote {
    readonly id: number;
    readonly body?: string;
    readonly system?: boolean;
    readonly author?: { readonly username?: string };
}

export class NoteError extends Error {
    override readonly name = "NoteError";
}

async function request(
    fetchFn: FetchLike,
    target: NoteTarget,
    method: string,
    url: string,
    body?: string,
): Promise<Response> {
    const headers: Record<string, string> = { [target.tokenHeader]: target.token, Accept: "application/json" };
    if (body !== undefined) {
        headers["Content-Type"] = "application/json";
    }
    const response = await fetchFn(url, { method, headers, ...(body === undefined ? {} : { body }) });
    if (!response.ok) {
        const text = (await response.text()).slice(0, 300).replaceAll(target.token, "[token]");
        throw new NoteError(`${method} ${url.replace(/\?.*$/, "")}: HTTP ${response.status} ${text}`);
    }
    return response;
}

/** Finds our earlier note by the marker and updates it, or creates one. */
export async function upsertNote(target: NoteTarget, body: string, fetchFn: FetchLike = fetch): Promise<NoteResult> {
    const marker = body.split("\n", 1)[0] ?? "";
    if (!MARKER_LINE.test(marker)) {
        throw new NoteError("the body's first line is not a marker comment (<!-- name:stack -->): refusing to post");
    }
    const base =
        `${target.apiUrl.replace(/\/+$/, "")}/projects/${encodeURIComponent(target.projectId)}` +
        `/merge_requests/${encodeURIComponent(target.mergeRequestIid)}/notes`;

    let existing: GitLabNote | undefined;
    let page: string | null = "1";
    while (page !== null && page !== "" && existing === undefined) {
        const response = await request(
            fetchFn,
            target,
            "GET",
            `${base}?per_page=100&page=${page}&sort=asc&order_by=created_at`,
        );
        const notes = (await response.json()) as GitLabNote[];
        existing = notes.find(
            (note) =>
                note.system !== true &&
                (note.body ?? "").startsWith(marker) &&
                (target.authorUsername === undefined || note.author?.username === target.authorUsername),
        );
        page = response.headers.get("x-next-page");
    }

    const payload = JSON.stringify({ body });
    if (existing !== undefined) {
        const response = await request(fetchFn, target, "PUT", `${base}/${existing.id}`, payload);
        return { action: "updated", id: ((await response.json()) as GitLabNote).id };
    }
    const response = await request(fetchFn, target, "POST", base, payload);
    return { action: "created", id: ((await response.json()) as GitLabNote).id };
}

export function targetFromEnv(env: NodeJS.ProcessEnv, authorUsername?: string): NoteTarget {
    const missing = ["CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID"].filter((name) => !env[name]);
    if (missing.length > 0) {
        throw new NoteError(`not in a merge-request pipeline: ${missing.join(", ")} not set`);
    }
    const personal = env.GITLAB_NOTE_TOKEN;
    const job = env.CI_JOB_TOKEN;
    if (!personal && !job) {
        throw new NoteError("no token: set GITLAB_NOTE_TOKEN (project access token, api scope) as a masked variable");
    }
    return {
        apiUrl: env.CI_API_V4_URL as string,
        projectId: env.CI_PROJECT_ID as string,
        mergeRequestIid: env.CI_MERGE_REQUEST_IID as string,
        token: (personal || job) as string,
        tokenHeader: personal ? "PRIVATE-TOKEN" : "JOB-TOKEN",
        ...(authorUsername === undefined ? {} : { authorUsername }),
    };
}

export async function main(
    argv: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
    fetchFn: FetchLike = fetch,
): Promise<number> {
    let values;
    try {
        values = parseArgs({
            args: [...argv],
            strict: true,
            options: { "body-file": { type: "string" }, author: { type: "string" }, help: { type: "boolean" } },
        }).values;
    } catch (error) {
        process.stderr.write(`gitlab-note: ${(error as Error).message}\n`);
        return 2;
    }
    if (values.help) {
        process.stdout.write("usage: gitlab-note --body-file <summary.md> [--author <username>]\n");
        return 0;
    }
    if (values["body-file"] === undefined) {
        process.stderr.write("gitlab-note: --body-file is required\n");
        return 2;
    }
    try {
        const body = readFileSync(values["body-file"], "utf8");
        if (body.trim() === "") {
            throw new NoteError(`${values["body-file"]} is empty (did the summary step fail?)`);
        }
        const result = await upsertNote(targetFromEnv(env, values.author), body, fetchFn);
        process.stdout.write(`${result.action} note ${result.id}\n`);
        return 0;
    } catch (error) {
        process.stderr.write(`gitlab-note: ${(error as Error).message}\n`);
        return 1;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}
