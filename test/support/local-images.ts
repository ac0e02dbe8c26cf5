/**
 * Images built locally from Debian packages by scripts/images/debian-image (no registry is
 * reachable here), cached by version under ${CICD_CACHE:-~/.cache/cicd-platform}/images.
 */
import { spawnSync } from "node:child_process";
import {
    chmodSync,
    existsSync,
    lchownSync,
    lstatSync,
    mkdirSync,
    readdirSync,
    renameSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";

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
    const target = join(dirname(tarball), `rootfs-ids-${base}`);
    const done = `${target}.complete`;
    if (existsSync(done)) {
        return target;
    }
    const part = `${target}.part`;
    rmSync(part, { recursive: true, force: true });
    mkdirSync(part);
    runScript(["-c", 'exec tar -xpf "$0" -C "$1" --numeric-owner', tarball, part]);
    shiftOwners(part, base);
    rmSync(target, { recursive: true, force: true });
    renameSync(part, target);
    writeFileSync(done, "");
    return target;
}
