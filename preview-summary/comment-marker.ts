/**
 * The hidden first line by which CI finds its own earlier pull-request comment or merge-request note
 * and updates it in place (scripts/ci/github-pr-comment, gitlab-note.ts): one comment per marker.
 * The preview summary marks one per stack; the canary and switch reports one per stack and release.
 */

/** What a marker line must look like; the GitHub script checks the same pattern. */
export const MARKER_LINE = /^<!-- [A-Za-z0-9:._/-]+ -->$/;

/** `<!-- kind:id1:id2 -->`; throws when an id has a character the posting scripts refuse. */
export function markerLine(kind: string, ...ids: readonly string[]): string {
    const line = `<!-- ${[kind, ...ids].join(":")} -->`;
    if (!MARKER_LINE.test(line)) {
        throw new Error(`comment marker ${JSON.stringify(line)}: names may only use letters, digits and : . _ / -`);
    }
    return line;
}
