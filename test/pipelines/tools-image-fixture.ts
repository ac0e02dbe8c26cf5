/**
 * What the tools-image test builds from: a copy of this repository with a bare repository as its
 * origin, the job's variables as .gitlab-ci.yml gives them, and the two images the Containerfile
 * starts from, made locally (no registry is reachable here) and cached by version.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

import { parse as parseYaml } from "yaml";

import { cachedDir } from "../support/cache-dir";
import { debianRootfsTar, ociLayout } from "../support/local-images";
import { ROOT } from "./tools";

export const PIPELINE = join(ROOT, ".gitlab-ci.yml");
export const FIXTURES = join(ROOT, "test", "pipelines", "fixtures", "tools-image");
const CACHE = process.env.CICD_CACHE ?? join(process.env.HOME ?? "/root", ".cache", "cicd-platform");

function sh(command: string, args: readonly string[], cwd?: string): string {
    const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} failed (${String(result.status)}):\n${result.stderr}`);
    }
    return result.stdout.trim();
}

/** The tools ci/steps call (need_tool and the commands they run), each with a command that runs it. */
export const TOOLS: Readonly<Record<string, string>> = {
    buildah: "buildah --version",
    podman: "podman --version",
    skopeo: "skopeo --version",
    cosign: "cosign version --json | grep gitVersion",
    syft: "syft version | grep ^Version",
    trivy: "trivy --version",
    jq: "jq --version",
    curl: "curl --version",
    git: "git --version",
    node: "node --version",
    npm: "npm --version",
    secretlint: '"$SECRETLINT_PREFIX/node_modules/.bin/secretlint" --version',
};

/** The push token the record job is given; nothing here checks it (the origin is a bare repository). */
export const RECORD_TOKEN = ["token", "of", "the", "record"].join("-");

export function sha256(path: string): string {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export function git(cwd: string, ...args: string[]): string {
    return sh("git", ["-c", "user.name=test", "-c", "user.email=test@localhost", ...args], cwd);
}

/**
 * The repository's tracked files as they are in this work tree, committed to a new repository
 * whose origin (a bare repository) has them on `main`, as the job's checkout would. Returns the commit.
 */
export function copyRepository(target: string, origin: string): string {
    const files = sh("git", ["ls-files", "-z"], ROOT)
        .split("\0")
        .filter((file) => file !== "" && existsSync(join(ROOT, file)));
    for (const file of files) {
        mkdirSync(dirname(join(target, file)), { recursive: true });
        copyFileSync(join(ROOT, file), join(target, file));
    }
    git(target, "init", "--quiet", "--initial-branch=main");
    git(target, "add", "--all");
    git(target, "commit", "--quiet", "--message", "the platform at the tested work tree");
    sh("git", ["init", "--quiet", "--bare", "--initial-branch=main", origin]);
    git(target, "remote", "add", "origin", origin);
    git(target, "push", "--quiet", "origin", "main");
    return git(target, "rev-parse", "HEAD");
}

export interface ToolsImageJob {
    readonly variables: Readonly<Record<string, string>>;
    readonly script: readonly string[];
    readonly tags: readonly string[];
}

/**
 * The tools-image job of .gitlab-ci.yml: its variables expanded as GitLab does (from `known`, the
 * predefined and project variables, and the file's global variables), its script lines.
 */
export function toolsImageJob(predefined: Readonly<Record<string, string>>): ToolsImageJob {
    const doc = parseYaml(readFileSync(PIPELINE, "utf8")) as Record<string, Record<string, unknown>>;
    const job = doc["tools-image"];
    if (job === undefined) {
        throw new Error(".gitlab-ci.yml has no tools-image job");
    }
    const global = Object.fromEntries(Object.entries(doc.variables ?? {}).map(([k, v]) => [k, String(v)]));
    const known: Record<string, string> = { ...global, ...predefined };
    const expand = (value: string): string =>
        value.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (whole, name: string) => known[name] ?? whole);
    const variables = Object.fromEntries(
        Object.entries((job.variables ?? {}) as Record<string, unknown>).map(([k, v]) => [k, expand(String(v))]),
    );
    return { variables, script: job.script as string[], tags: job.tags as string[] };
}

function cached(name: string, key: string, build: (dir: string) => void): string {
    const dir = join(CACHE, "images", `${name}-${createHash("sha256").update(key).digest("hex").slice(0, 12)}`);
    return cachedDir(
        dir,
        (d) => existsSync(join(d, ".complete")),
        (part) => {
            build(part);
            sh("touch", [join(part, ".complete")]);
        },
    );
}

/**
 * debian:bookworm-slim's stand-in: the project's local Debian minbase rootfs (scripts/images/debian-image)
 * with the official image's apt sources (release, updates, security) in place of mmdebstrap's one line,
 * as a one-layer OCI layout (tag `base`).
 */
export function debianSlimLayout(): string {
    const rootfs = debianRootfsTar("base");
    const sources = readFileSync(join(FIXTURES, "etc", "apt", "sources.list.d", "debian.sources"));
    const dir = cached("tools-base", `${rootfs}\n${sources.toString()}`, (part) => {
        const tree = join(part, "rootfs");
        mkdirSync(tree);
        sh("tar", ["-xpf", rootfs, "--numeric-owner", "-C", tree]);
        rmSync(join(tree, "etc", "apt", "sources.list"), { force: true });
        copyFileSync(
            join(FIXTURES, "etc", "apt", "sources.list.d", "debian.sources"),
            join(tree, "etc", "apt", "sources.list.d", "debian.sources"),
        );
        const tar = join(part, "rootfs.tar");
        sh("tar", ["-cf", tar, "--numeric-owner", "-C", tree, "."]);
        rmSync(tree, { recursive: true, force: true });
        ociLayout(tar, join(part, "oci"));
    });
    return join(dir, "oci");
}

/** What stands in for the Containerfile's two builder stages (its PREBUILT layout). */
export interface Prebuilt {
    /** Binaries for /out/usr/local/bin (cosign, syft, trivy, node). */
    readonly bin: Readonly<Record<string, string>>;
    /** An npm package directory for /out/usr/local/lib/node_modules/npm. */
    readonly npm: string;
    /** An npm prefix with secretlint's node_modules, for /out/opt/cicd-platform/secretlint. */
    readonly secretlint: string;
}

/**
 * The image PREBUILT names in place of the builder stages: their output layout, filled from the
 * project's version-keyed tool cache (scripts/ci/install-app-tools: the same Go modules and
 * secretlint lockfile at the same versions) and this machine's Node.js and npm.
 */
export function prebuiltLayout(prebuilt: Prebuilt): string {
    const names = Object.keys(prebuilt.bin).sort();
    const npmVersion = (JSON.parse(readFileSync(join(prebuilt.npm, "package.json"), "utf8")) as { version: string })
        .version;
    const key = [
        "layout=usr-local",
        ...names.map((name) => `${name}=${prebuilt.bin[name] ?? ""}`),
        `node=${process.version}`,
        `npm=${prebuilt.npm}@${npmVersion}`,
        `secretlint=${sha256File(join(prebuilt.secretlint, "package-lock.json"))}`,
    ].join("\n");
    const dir = cached("tools-prebuilt", key, (part) => {
        const out = join(part, "rootfs", "out");
        const bin = join(out, "usr", "local", "bin");
        mkdirSync(bin, { recursive: true });
        for (const name of names) {
            copyFileSync(prebuilt.bin[name] as string, join(bin, name));
        }
        mkdirSync(join(out, "usr", "local", "lib", "node_modules"), { recursive: true });
        sh("cp", ["-a", prebuilt.npm, join(out, "usr", "local", "lib", "node_modules", "npm")]);
        sh("ln", ["-s", "../lib/node_modules/npm/bin/npm-cli.js", join(bin, "npm")]);
        const secretlint = join(out, "opt", "cicd-platform", "secretlint");
        mkdirSync(secretlint, { recursive: true });
        for (const entry of ["package.json", "package-lock.json", "node_modules"]) {
            sh("cp", ["-a", join(prebuilt.secretlint, entry), join(secretlint, entry)]);
        }
        const tar = join(part, "rootfs.tar");
        sh("tar", ["-cf", tar, "--owner=0", "--group=0", "--numeric-owner", "-C", join(part, "rootfs"), "./out"]);
        rmSync(join(part, "rootfs"), { recursive: true, force: true });
        ociLayout(tar, join(part, "oci"));
    });
    return join(dir, "oci");
}

function sha256File(path: string): string {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
}
