/**
 * A local stand-in for the GitHub REST API, for previews with the github plugin where GitHub cannot
 * be reached. Configuring the provider looks its owner up (`GET /orgs/<owner>`, the users endpoint
 * as a fallback); a preview of resources that do not exist yet makes no other call, so everything
 * else answers 404 and is recorded, which lets a test show what the provider asked for.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

import { fileBackendEnv } from "./file-backend";

const exec = promisify(execFile);

export interface GitHubApiStandIn {
    /** What to give the provider as `baseUrl` (or GITHUB_BASE_URL): ends with a slash. */
    readonly baseUrl: string;
    /** `METHOD path` of every request, in order. */
    readonly calls: readonly string[];
    close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 (a free port); `owner` is answered as an organization. */
export async function startGitHubApiStandIn(owner: string): Promise<GitHubApiStandIn> {
    const calls: string[] = [];
    const ownerPath = new RegExp(`/(orgs|users)/${owner.replace(/[^\w-]/g, "")}$`);
    const server = createServer((req, res) => {
        calls.push(`${req.method ?? ""} ${req.url ?? ""}`);
        res.setHeader("content-type", "application/json");
        if (ownerPath.test(req.url ?? "")) {
            res.end(JSON.stringify({ login: owner, type: "Organization", id: 1 }));
        } else {
            res.writeHead(404).end(JSON.stringify({ message: "Not Found" }));
        }
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const { port } = server.address() as AddressInfo;
    return {
        baseUrl: `http://127.0.0.1:${port}/`,
        calls,
        close: () =>
            new Promise<void>((done) => {
                server.close(() => {
                    done();
                });
            }),
    };
}

/**
 * `pulumi preview --json` of a program (already written into `dir`) with the toolchain in `bin` and
 * `home`, its GitHub provider pointed at the stand-in; returns the parsed preview document.
 */
export async function previewAgainstStandIn(
    dir: string,
    state: string,
    toolchain: { readonly bin: string; readonly home: string },
    api: GitHubApiStandIn,
): Promise<unknown> {
    const env = {
        ...process.env,
        PATH: `${toolchain.bin}:${process.env.PATH ?? ""}`,
        PULUMI_HOME: toolchain.home,
        ...fileBackendEnv(state, "github-stand-in-preview"),
        GITHUB_TOKEN: "",
    };
    const pulumi = (...args: string[]) =>
        exec(join(toolchain.bin, "pulumi"), args, { cwd: dir, env, maxBuffer: 64 << 20 });
    await pulumi("stack", "init", "test", "--non-interactive");
    await pulumi("config", "set", "baseUrl", api.baseUrl);
    const { stdout } = await pulumi("preview", "--non-interactive", "--json");
    return JSON.parse(stdout) as unknown;
}
