/**
 * scripts/ci/github-pr-comment against a stand-in `gh` (there is no GitHub here): a small program
 * that answers `gh api` like GitHub's REST API for issue comments (paginated listing, POST, PATCH)
 * from a JSON file, and logs every call. The script must update the one comment that carries its
 * marker and was written by the Actions bot, create it otherwise, and refuse a body without marker.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, it } from "node:test";

import { commentMarker } from "../../preview-summary/summarize";
import { onPath, ROOT, run } from "./tools";

interface Comment {
    id: number;
    body: string;
    user: { login: string };
}

/** `gh api [--paginate] [--method M] PATH [-F body=@file]`, as far as the script uses it. */
const FAKE_GH = `#!/usr/bin/env node
const fs = require("node:fs");
const store = process.env.FAKE_GH_STORE;
const state = JSON.parse(fs.readFileSync(store, "utf8"));
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_GH_LOG, args.join(" ") + "\\n");
if (args[0] !== "api") { console.error("fake gh: only api"); process.exit(2); }
let method = "GET", paginate = false, path = "", body;
for (let i = 1; i < args.length; i++) {
  if (args[i] === "--paginate") paginate = true;
  else if (args[i] === "--method") method = args[++i];
  else if (args[i] === "-F") { const [k, v] = args[++i].split(/=(.*)/s); if (k === "body") body = fs.readFileSync(v.slice(1), "utf8"); }
  else path = args[i];
}
let m;
if (method === "GET" && (m = /^repos\\/([^/]+\\/[^/]+)\\/issues\\/(\\d+)\\/comments/.exec(path))) {
  const all = state.comments;
  const pages = [];
  for (let i = 0; i < all.length || pages.length === 0; i += 2) pages.push(all.slice(i, i + 2));
  process.stdout.write((paginate ? pages : pages.slice(0, 1)).map((p) => JSON.stringify(p)).join(""));
} else if (method === "POST" && /\\/issues\\/\\d+\\/comments$/.test(path)) {
  const c = { id: state.nextId++, body, user: { login: "github-actions[bot]" } };
  state.comments.push(c); fs.writeFileSync(store, JSON.stringify(state)); process.stdout.write(JSON.stringify(c));
} else if (method === "PATCH" && (m = /\\/issues\\/comments\\/(\\d+)$/.exec(path))) {
  const c = state.comments.find((x) => x.id === Number(m[1]));
  if (!c) { console.error("gh: Not Found (HTTP 404)"); process.exit(1); }
  c.body = body; fs.writeFileSync(store, JSON.stringify(state)); process.stdout.write(JSON.stringify(c));
} else { console.error("fake gh: unexpected " + method + " " + path); process.exit(1); }
`;

describe("scripts/ci/github-pr-comment", () => {
    let dir = "";
    let env: NodeJS.ProcessEnv = {};
    const store = (): string => join(dir, "store.json");
    const log = (): string => join(dir, "gh.log");
    const script = join(ROOT, "scripts/ci/github-pr-comment");

    before(() => {
        if (onPath("jq") === undefined) {
            throw new Error("jq is not on PATH: apt-get install jq (scripts/setup installs it)");
        }
        dir = mkdtempSync(join(tmpdir(), "pr-comment-"));
        mkdirSync(join(dir, "bin"));
        writeFileSync(join(dir, "bin", "gh"), FAKE_GH);
        chmodSync(join(dir, "bin", "gh"), 0o755);
        env = {
            ...process.env,
            PATH: [join(dir, "bin"), process.env.PATH].join(delimiter),
            FAKE_GH_STORE: store(),
            FAKE_GH_LOG: log(),
            GH_TOKEN: "ghs_fake",
        };
    });
    after(() => {
        rmSync(dir, { recursive: true, force: true });
    });

    function reset(comments: Comment[]): void {
        writeFileSync(store(), JSON.stringify({ comments, nextId: 500 }));
        writeFileSync(log(), "");
    }
    const comments = (): Comment[] => (JSON.parse(readFileSync(store(), "utf8")) as { comments: Comment[] }).comments;
    function bodyFile(text: string): string {
        const file = join(dir, "summary.md");
        writeFileSync(file, text);
        return file;
    }
    const post = (file: string, ...extra: string[]): ReturnType<typeof run> =>
        run("bash", [script, "--repo", "example-org/shop", "--pr", "12", "--body-file", file, ...extra], { env });
    const marker = commentMarker("staging");

    it("creates the comment on the first push", async () => {
        reset([{ id: 1, body: "Looks good", user: { login: "alice" } }]);
        const result = await post(bodyFile(`${marker}\nfirst`));
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.trim(), "created 500");
        assert.equal(comments().length, 2);
        assert.match(
            readFileSync(log(), "utf8"),
            /^api --paginate repos\/example-org\/shop\/issues\/12\/comments\?per_page=100\napi --method POST repos\/example-org\/shop\/issues\/12\/comments -F body=@/,
        );
    });

    it("updates that same comment on the next push, found by its marker on a later page", async () => {
        reset([
            { id: 1, body: "Looks good", user: { login: "alice" } },
            { id: 2, body: `${commentMarker("production")}\nprod`, user: { login: "github-actions[bot]" } },
            { id: 3, body: "another", user: { login: "bob" } },
            { id: 4, body: `${marker}\nold`, user: { login: "github-actions[bot]" } },
        ]);
        const result = await post(bodyFile(`${marker}\nnew`));
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.trim(), "updated 4");
        assert.equal(comments().length, 4, "no new comment");
        assert.equal(comments().find((c) => c.id === 4)?.body, `${marker}\nnew`);
        assert.equal(comments().find((c) => c.id === 2)?.body, `${commentMarker("production")}\nprod`);
    });

    it("ignores a comment with the marker written by someone else", async () => {
        reset([{ id: 7, body: `${marker}\nforged`, user: { login: "mallory" } }]);
        const result = await post(bodyFile(`${marker}\nreal`));
        assert.equal(result.stdout.trim(), "created 500");
        assert.equal(comments().find((c) => c.id === 7)?.body, `${marker}\nforged`);
    });

    it("refuses a body whose first line is not the marker, before any API call", async () => {
        reset([]);
        const result = await post(bodyFile("# no marker\n"));
        assert.equal(result.code, 1);
        assert.match(result.stderr, /not a marker comment/);
        assert.equal(readFileSync(log(), "utf8"), "");
    });

    it("refuses bad arguments and a missing summary", async () => {
        reset([]);
        for (const args of [
            ["--repo", "not a repo", "--pr", "1", "--body-file", bodyFile(`${marker}\n`)],
            ["--repo", "a/b", "--pr", "0", "--body-file", bodyFile(`${marker}\n`)],
        ]) {
            assert.equal((await run("bash", [script, ...args], { env })).code, 2, args.join(" "));
        }
        const missing = await post(join(dir, "nope.md"));
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /missing or empty/);
    });
});
