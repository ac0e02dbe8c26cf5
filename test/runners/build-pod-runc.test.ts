/**
 * Rootless Buildah in the job pods' exact security context, run with runc.
 *
 * The build container of a job pod is reconstructed from the RENDERED config.toml and pod_spec
 * patch (test/runners/pod-oci-spec.ts says what containerd does and how it is mirrored): its own
 * user namespace mapping 0-65535 onto an unprivileged node range with the rootfs owned
 * accordingly, the capability sets, no_new_privs, uid/gid/fsGroup, the seccomp profile the kubelet
 * would load (the rendered Localhost file, or containerd's RuntimeDefault), the emptyDir build
 * volume. Inside it Debian's Buildah (the job image, built from Debian packages) builds a
 * Containerfile FROM a base whose files have non-root owners, with a COPY and a RUN; the image is
 * pushed to the build volume and its files are read back here.
 *
 * Proves: the build runner's pod builds, RUN included; today's restricted pod (the general
 * runner's) stops at `unshare(CLONE_NEWUSER)`; without unshare, mount or chroot in the profile
 * the build fails. (Debian's Buildah 1.28 builds without umount2; the profile keeps it for the
 * Buildah releases that detach their mounts with it, see BUILD_EXTRA_SYSCALLS.)
 * Needs root, runc and mmdebstrap (CI has them); without them the cases say "not run" and why.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
    chmodSync,
    chownSync,
    copyFileSync,
    linkSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";

import {
    BUILD_EXTRA_SYSCALLS,
    renderBuildSeccompProfile,
    runtimeDefaultProfile,
    type SeccompProfile,
} from "../../components/runners/build-seccomp-profile";
import { renderKubernetesRunnerConfig } from "../../components/runners/runner-config";
import { debianRootfsTar, idmappedRootfs, slimBaseLayout } from "../support/local-images";
import { jobPodSecurity, ociConfig } from "./pod-oci-spec";

/** The node range of the pod's user namespace: a multiple of 65536, far above any real user. */
const HOST_ID_BASE = 65536 * 20000;
const TOKEN = ["glrt", "runcTestToken_0123"].join("-");
const RUNNER = { name: "ci", url: "https://gitlab.example.com", token: TOKEN, image: "tools@sha256:" + "0".repeat(64) };
/** The job image: Debian's Buildah with the tools image's users (images/tools/job-user.sh). */
const JOB_IMAGE = {
    include: ["buildah", "ca-certificates", "uidmap"],
    customize: join(__dirname, "..", "..", "images", "tools", "job-user.sh"),
};

function missingPrerequisite(): string | undefined {
    if (process.getuid?.() !== 0) {
        return "needs root (runc creates the pod's user namespace and cgroup)";
    }
    for (const binary of ["runc", "mmdebstrap", "tar"]) {
        if (spawnSync("sh", ["-c", `command -v ${binary}`]).status !== 0) {
            return `needs ${binary} (bash scripts/setup installs it)`;
        }
    }
    return undefined;
}

interface RunResult {
    readonly code: number;
    readonly output: string;
    readonly seconds: number;
}

/** Runs a command, collecting stdout and stderr together; never throws on a non-zero exit. */
function runCommand(command: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, output, seconds: (Date.now() - started) / 1000 });
        });
    });
}

/** Hard links (or copies) a directory tree of plain files. */
function linkTree(from: string, to: string): void {
    const listing = spawnSync("find", [from, "-type", "f", "-printf", "%P\\n"], { encoding: "utf8" });
    for (const file of listing.stdout.split("\n").filter((f) => f !== "")) {
        mkdirSync(dirname(join(to, file)), { recursive: true });
        try {
            linkSync(join(from, file), join(to, file));
        } catch {
            copyFileSync(join(from, file), join(to, file));
        }
    }
}

/** The job's script: what the template's build job does, against the build volume. */
const JOB_SCRIPT = [
    "set -eu",
    // As the template's build jobs: Buildah's temporary files on the build volume.
    'export TMPDIR="/builds/.tmp"',
    'mkdir -p "$TMPDIR"',
    "cd /builds/project",
    'buildah --storage-driver "$STORAGE_DRIVER" build --layers --file Containerfile --tag localhost/app:test .',
    'buildah --storage-driver "$STORAGE_DRIVER" push --quiet localhost/app:test oci:/builds/out:app',
    "echo BUILD-DONE",
].join("\n");

const CONTAINERFILE = [
    "FROM oci:/builds/base:base",
    "COPY hello.txt /srv/hello.txt",
    // Runs in the base image: its own shell, tools and users (the group `shadow` owns /etc/shadow).
    "RUN tr a-z A-Z </srv/hello.txt >/srv/upper.txt && chown 1000:42 /srv/upper.txt && id -u >/srv/run-uid",
    "",
].join("\n");

describe("rootless Buildah in the job pod's security context, run with runc", () => {
    const skip = missingPrerequisite();
    let scratch = "";
    let jobRootfs = "";
    let baseLayout = "";
    let runs = 0;
    const mounted: string[] = [];

    before(() => {
        if (skip !== undefined) {
            return;
        }
        scratch = mkdtempSync(join(tmpdir(), "build-pod-runc-"));
        // The pod's root (a node uid of its own range) must reach its bundle and volumes, as it can
        // under containerd's state directory.
        chmodSync(scratch, 0o711);
        jobRootfs = idmappedRootfs(debianRootfsTar("buildah-job", JOB_IMAGE), HOST_ID_BASE);
        baseLayout = slimBaseLayout();
    });

    after(() => {
        for (const target of mounted.reverse()) {
            spawnSync("umount", ["-l", target]);
        }
        if (scratch !== "") {
            rmSync(scratch, { recursive: true, force: true });
        }
    });

    /** Runs the job script in the build container of the pod `configToml` asks for. */
    async function runJobPod(configToml: string, seccompOverride?: SeccompProfile): Promise<RunResult> {
        runs += 1;
        const id = `cicd-build-pod-${process.pid}-${runs}`;
        const dir = join(scratch, `pod-${runs}`);
        const security = jobPodSecurity(configToml);
        // The kubelet's seccomp directory, filled as the node installer fills it.
        const kubeletSeccomp = join(scratch, "kubelet-seccomp");
        mkdirSync(join(kubeletSeccomp, "cicd-platform"), { recursive: true });
        writeFileSync(join(kubeletSeccomp, "cicd-platform", "rootless-buildah.json"), renderBuildSeccompProfile());
        const profile =
            seccompOverride ??
            (security.seccomp.type === "RuntimeDefault"
                ? runtimeDefaultProfile()
                : (JSON.parse(readFileSync(join(kubeletSeccomp, security.seccomp.path), "utf8")) as SeccompProfile));

        // The container's rootfs: the shifted image as the lower layer of an overlay, as containerd's
        // overlay snapshotter does; the upper layer is the container's own.
        const bundle = join(dir, "bundle");
        for (const sub of ["bundle/rootfs", "upper", "work"]) {
            mkdirSync(join(dir, sub), { recursive: true });
        }
        chownSync(join(dir, "upper"), HOST_ID_BASE, HOST_ID_BASE);
        const overlay = spawnSync("mount", [
            "-t",
            "overlay",
            "overlay",
            "-o",
            `lowerdir=${jobRootfs},upperdir=${join(dir, "upper")},workdir=${join(dir, "work")}`,
            join(bundle, "rootfs"),
        ]);
        assert.equal(overlay.status, 0, `mounting the container's rootfs: ${String(overlay.stderr)}`);
        mounted.push(join(bundle, "rootfs"));

        // emptyDir volumes: node directories the kubelet makes 0777 and hands to fsGroup (setgid).
        const builds = join(dir, "volumes", "repo");
        mkdirSync(join(builds, "project"), { recursive: true });
        chownSync(builds, HOST_ID_BASE, HOST_ID_BASE + (security.fsGroup ?? 0));
        chmodSync(builds, 0o2777);
        writeFileSync(join(builds, "project", "Containerfile"), CONTAINERFILE);
        writeFileSync(join(builds, "project", "hello.txt"), "hello from the job pod\n");
        // The checkout belongs to the job's user, as the helper container's clone leaves it.
        for (const path of ["project", "project/Containerfile", "project/hello.txt"]) {
            chownSync(join(builds, path), HOST_ID_BASE + security.uid, HOST_ID_BASE + (security.fsGroup ?? 0));
        }
        linkTree(baseLayout, join(builds, "base"));
        spawnSync("chown", ["-R", `${HOST_ID_BASE + security.uid}:${HOST_ID_BASE}`, join(builds, "base")]);
        const scripts = join(dir, "volumes", "scripts");
        mkdirSync(scripts, { recursive: true });
        chmodSync(scripts, 0o777);
        writeFileSync(join(scripts, "build_script"), JOB_SCRIPT, { mode: 0o755 });

        const config = ociConfig({
            security,
            seccompProfile: profile,
            hostIdBase: HOST_ID_BASE,
            volumes: [
                { source: builds, destination: "/builds" },
                { source: scripts, destination: "/scripts-job" },
            ],
            args: ["sh", "/scripts-job/build_script"],
            cwd: "/builds",
            imageEnv: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            cgroupsPath: `/cicd-test/${id}`,
            rootfs: jobRootfs,
        });
        writeFileSync(join(bundle, "config.json"), JSON.stringify(config, null, 2));
        const state = join(scratch, "runc-state");
        try {
            return await runCommand("runc", ["--root", state, "run", "--bundle", bundle, id], 10 * 60 * 1000);
        } finally {
            spawnSync("runc", ["--root", state, "delete", "--force", id]);
            spawnSync("umount", [join(bundle, "rootfs")]);
            mounted.splice(mounted.indexOf(join(bundle, "rootfs")), 1);
        }
    }

    /** A file of the image the job pushed to oci:/builds/out, read from its layers on the node. */
    function builtFile(pod: number, path: string): string {
        const out = join(scratch, `pod-${pod}`, "volumes", "repo", "out");
        const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
        const blob = (digest: string): string => join(out, "blobs", ...digest.split(":"));
        const manifest = JSON.parse(readFileSync(blob(index.manifests[0]?.digest ?? ""), "utf8")) as {
            layers: { digest: string }[];
        };
        for (const layer of [...manifest.layers].reverse()) {
            const read = spawnSync("tar", ["-xOf", blob(layer.digest), path], { encoding: "utf8" });
            if (read.status === 0) {
                return read.stdout;
            }
        }
        throw new Error(`${path} is in no layer of the built image`);
    }

    it("the build runner's pod: Buildah builds FROM a non-root-owned base with COPY and RUN", async (t) => {
        if (skip !== undefined) {
            t.skip(`not run here: ${skip}`);
            return;
        }
        const result = await runJobPod(
            renderKubernetesRunnerConfig({ ...RUNNER, namespace: "ci-build", role: "build" }),
        );
        assert.equal(result.code, 0, result.output.slice(-4000));
        assert.match(result.output, /BUILD-DONE/);
        t.diagnostic(`build inside the job-pod container: ${result.seconds.toFixed(1)} s`);
        assert.equal(builtFile(runs, "srv/upper.txt"), "HELLO FROM THE JOB POD\n");
        // RUN ran as the image's root, which is the pod's uid 0, not the node's.
        assert.equal(builtFile(runs, "srv/run-uid").trim(), "0");
        const listing = spawnSync(
            "sh",
            [
                "-c",
                `for l in "$0"/blobs/sha256/*; do tar -tvf "$l" 2>/dev/null; done`,
                join(scratch, `pod-${runs}`, "volumes", "repo", "out"),
            ],
            {
                encoding: "utf8",
            },
        );
        assert.match(listing.stdout, /1000\/42 .* srv\/upper\.txt/, "the RUN step's chown is kept in the layer");
    });

    it("today's restricted job pod (the general runner's) stops at unshare(CLONE_NEWUSER)", async (t) => {
        if (skip !== undefined) {
            t.skip(`not run here: ${skip}`);
            return;
        }
        const result = await runJobPod(renderKubernetesRunnerConfig({ ...RUNNER, namespace: "ci-runners" }));
        assert.notEqual(result.code, 0, result.output.slice(-4000));
        assert.match(result.output, /unshare\(CLONE_NEWUSER\): Operation not permitted/);
        assert.doesNotMatch(result.output, /BUILD-DONE/);
    });

    for (const syscall of Object.keys(BUILD_EXTRA_SYSCALLS).filter((name) => name !== "umount2")) {
        it(`the build pod without ${syscall} in its profile fails`, async (t) => {
            if (skip !== undefined) {
                t.skip(`not run here: ${skip}`);
                return;
            }
            const full = JSON.parse(renderBuildSeccompProfile()) as SeccompProfile;
            const without: SeccompProfile = {
                ...full,
                syscalls: full.syscalls.map((rule) => ({ ...rule, names: rule.names.filter((n) => n !== syscall) })),
            };
            const result = await runJobPod(
                renderKubernetesRunnerConfig({ ...RUNNER, namespace: "ci-build", role: "build" }),
                without,
            );
            assert.notEqual(result.code, 0, `built without ${syscall}:\n${result.output.slice(-2000)}`);
        });
    }
});
