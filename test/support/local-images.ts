/**
 * Images built locally from Debian packages by scripts/images/debian-image (no registry is
 * reachable here), cached by version under ${CICD_CACHE:-~/.cache/cicd-platform}/images.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
    chmodSync,
    existsSync,
    lchownSync,
    linkSync,
    lstatSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    renameSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

import { cachedDir } from "./cache-dir";

const ROOT = resolve(__dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "images", "debian-image");

export interface DebianImageOptions {
    readonly include?: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
    readonly cmd?: string;
    /** A shell script run inside the rootfs after the packages are installed. */
    readonly customize?: string;
}

function args(name: string, options: DebianImageOptions): string[] {
    return [
        SCRIPT,
        name,
        ...(options.include === undefined ? [] : ["--include", options.include.join(",")]),
        ...Object.entries(options.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
        ...(options.cmd === undefined ? [] : ["--cmd", options.cmd]),
        ...(options.customize === undefined ? [] : ["--customize", options.customize]),
    ];
}

function runScript(argv: string[], env?: NodeJS.ProcessEnv): string {
    const result = spawnSync("bash", argv, { encoding: "utf8", env: env ?? process.env, timeout: 20 * 60 * 1000 });
    if (result.status !== 0) {
        throw new Error(`bash ${argv.join(" ")} failed (${String(result.status)}):\n${result.stderr.slice(-3000)}`);
    }
    return result.stdout.trim();
}

/** The podman reference of the image (built and imported when missing). */
export function debianImage(name: string, options: DebianImageOptions = {}, env?: NodeJS.ProcessEnv): string {
    return runScript(args(name, options), env);
}

/** The image's rootfs tarball (root-owned, no /dev entries). */
export function debianRootfsTar(name: string, options: DebianImageOptions = {}): string {
    return runScript([...args(name, options), "--print", "tar"]);
}

/** Gives every entry under `dir` (itself included) the owner id + `base`, keeping setuid/setgid bits. */
function shiftOwners(dir: string, base: number): void {
    const stack = [dir];
    while (stack.length > 0) {
        const path = stack.pop() as string;
        const stat = lstatSync(path);
        lchownSync(path, stat.uid + base, stat.gid + base);
        // chown clears the set-id bits of a regular file; the runtime's snapshot keeps them.
        if (stat.isFile() && (stat.mode & 0o6000) !== 0) {
            chmodSync(path, stat.mode & 0o7777);
        }
        if (stat.isDirectory()) {
            for (const entry of readdirSync(path)) {
                stack.push(join(path, entry));
            }
        }
    }
}

/**
 * The rootfs unpacked with every owner shifted by `base` (uid n becomes base+n), as a container
 * runtime lays out the rootfs of a pod with its own user namespace mapping 0-65535 onto
 * base…base+65535 (a chowned snapshot). Cached beside the tarball.
 */
export function idmappedRootfs(tarball: string, base: number): string {
    return cachedDir(join(dirname(tarball), `rootfs-ids-${base}`), existsSync, (part) => {
        runScript(["-c", 'exec tar -xpf "$0" -C "$1" --numeric-owner', tarball, part]);
        shiftOwners(part, base);
    });
}

/** An OCI image layout with the rootfs tarball as its one (uncompressed) layer. */
export function ociLayout(rootfsTar: string, dir: string): void {
    cachedDir(
        dir,
        (d) => existsSync(join(d, "index.json")),
        (part) => {
            writeOciLayout(rootfsTar, part);
        },
    );
}

function writeOciLayout(rootfsTar: string, part: string): void {
    mkdirSync(join(part, "blobs", "sha256"), { recursive: true });
    const layerDigest = createHash("sha256").update(readFileSync(rootfsTar)).digest("hex");
    linkSync(rootfsTar, join(part, "blobs", "sha256", layerDigest));
    const blob = (content: string): { digest: string; size: number } => {
        const digest = createHash("sha256").update(content).digest("hex");
        writeFileSync(join(part, "blobs", "sha256", digest), content);
        return { digest: `sha256:${digest}`, size: Buffer.byteLength(content) };
    };
    const config = blob(
        JSON.stringify({
            architecture: "amd64",
            os: "linux",
            config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
            rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
            history: [{ created_by: "scripts/images/debian-image base" }],
        }),
    );
    const manifest = blob(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
            layers: [
                {
                    mediaType: "application/vnd.oci.image.layer.v1.tar",
                    digest: `sha256:${layerDigest}`,
                    size: statSync(rootfsTar).size,
                },
            ],
        }),
    );
    writeFileSync(join(part, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
        join(part, "index.json"),
        JSON.stringify({
            schemaVersion: 2,
            manifests: [
                {
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    ...manifest,
                    annotations: { "org.opencontainers.image.ref.name": "base" },
                },
            ],
        }),
    );
}

/**
 * A small base image cut from Debian's minbase rootfs: a shell, the tools the RUN step uses, their
 * libraries, and files with non-root owners (`/etc/shadow` of group shadow, `/var/mail` of group
 * mail), which is what makes a rootless build map more than one id. Small, so the vfs layers of
 * the build stay cheap.
 */
const BASE_MEMBERS = [
    "./bin", "./lib", "./lib64", "./sbin", "./usr/bin/sh", "./usr/bin/dash", "./usr/bin/tr", "./usr/bin/chown",
    "./usr/bin/id", "./usr/bin/cat", "./usr/lib64/ld-linux-*", "./usr/lib/*-linux-gnu/ld-linux-*",
    "./usr/lib/*-linux-gnu/libc.so.6", "./usr/lib/*-linux-gnu/libselinux.so.1",
    "./usr/lib/*-linux-gnu/libpcre2-8.so.0*", "./etc/passwd", "./etc/group", "./etc/shadow", "./var/mail",
]; // prettier-ignore

export function slimBaseTar(minbaseTar: string): string {
    const slim = join(dirname(minbaseTar), "slim-base.tar");
    if (!existsSync(slim)) {
        const work = mkdtempSync(join(tmpdir(), "slim-base-"));
        // This process's own file, renamed into place: files running side by side may cut it too.
        const partial = `${slim}.${process.pid}.part`;
        const cut = spawnSync(
            "sh",
            [
                "-c",
                'set -e; d="$1"; t="$2"; o="$3"; shift 3; tar -xpf "$t" -C "$d" --numeric-owner --wildcards "$@"; tar -cf "$o" -C "$d" --numeric-owner --sort=name .',
                "sh",
                work,
                minbaseTar,
                partial,
                ...BASE_MEMBERS,
            ],
            { encoding: "utf8" },
        );
        rmSync(work, { recursive: true, force: true });
        if (cut.status !== 0) {
            rmSync(partial, { force: true });
            throw new Error(`cutting the small base out of ${minbaseTar}: ${cut.stderr}`);
        }
        renameSync(partial, slim);
    }
    return slim;
}

/** The small base as an OCI image layout (`oci:<dir>:base` for Buildah), cached by the minbase's version. */
export function slimBaseLayout(): string {
    const tar = slimBaseTar(debianRootfsTar("base"));
    const layout = join(dirname(tar), "slim-base-oci");
    ociLayout(tar, layout);
    return layout;
}
