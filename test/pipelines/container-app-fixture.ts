/**
 * A small application repository that includes templates/gitlab/container-app.yml, and
 * gitlab-ci-local running its jobs with the shell executor on this machine.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

import { ROOT, run, type Run } from "./tools";

export const TEMPLATE = join(ROOT, "templates", "gitlab", "container-app.yml");
export const APP = "hello";
export const IMAGE_REPOSITORY = "team-a/hello";

/** Job images the shell executor never pulls: digests of a fixed text, plainly not real images. */
const unpulled = (name: string): string =>
    `${name}.invalid/${name}@sha256:${createHash("sha256").update(`not an image: ${name}`).digest("hex")}`;

export interface FixtureOptions {
    /** Commit a private key (assembled here, so this repository's own scanners stay quiet). */
    readonly plantedKey?: boolean;
    /**
     * The image the application builds FROM: a locally built Debian base with a shell
     * (`oci:<layout>:base`, see test/support/local-images.ts) for jobs that build and run it;
     * `scratch` only for tests that never build. @default "scratch"
     */
    readonly base?: string;
    /** The template's test-command input. @default the template's own default */
    readonly testCommand?: string;
}

/** A fake PEM private key: the armour a scanner looks for around base64 that is no key at all. */
export function fakePrivateKey(): string {
    const armour = (word: string): string => ["-----", word, " RSA PRIVATE KEY", "-----"].join("");
    // "MI" opens every DER SEQUENCE in base64: scanners skip bodies that could not be a key.
    const body = Array.from({ length: 8 }, (_, i) =>
        `${i === 0 ? "MIIEow" : ""}${createHash("sha512").update(`fixture line ${i}`).digest("base64")}`.slice(0, 64),
    );
    return [armour("BEGIN"), ...body, armour("END"), ""].join("\n");
}

/** Writes the repository into `dir` and commits it; returns the commit SHA. */
export function writeFixtureRepository(dir: string, options: FixtureOptions = {}): string {
    mkdirSync(join(dir, "templates", "gitlab"), { recursive: true });
    mkdirSync(join(dir, "src"), { recursive: true });
    copyFileSync(TEMPLATE, join(dir, "templates", "gitlab", "container-app.yml"));
    writeFileSync(join(dir, "src", "hello.txt"), "hello from the fixture application\n");
    writeFileSync(
        join(dir, "Containerfile"),
        [
            `FROM ${options.base ?? "scratch"}`,
            "ARG REVISION=unknown",
            "ARG CREATED=unknown",
            "COPY src/hello.txt /srv/hello.txt",
            "LABEL org.opencontainers.image.version=$REVISION",
            "",
        ].join("\n"),
    );
    if (options.plantedKey === true) {
        writeFileSync(join(dir, "src", "deploy_key.pem"), fakePrivateKey());
    }
    writeFileSync(
        join(dir, ".gitlab-ci.yml"),
        [
            "include:",
            "  - local: templates/gitlab/container-app.yml",
            "    inputs:",
            `      image: ${IMAGE_REPOSITORY}`,
            `      app: ${APP}`,
            "      platform-repository: https://git.invalid/platform/cicd-platform.git",
            '      platform-ref: "0123456789abcdef0123456789abcdef01234567"',
            `      tools-image: "${unpulled("tools")}"`,
            // The test's registry listens on plain HTTP on loopback.
            "      registry-tls-verify: false",
            ...(options.testCommand === undefined
                ? []
                : [`      test-command: ${JSON.stringify(options.testCommand)}`]),
            "",
        ].join("\n"),
    );
    const git = (...args: string[]): string => {
        const result = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
        if (result.status !== 0) {
            throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
        }
        return result.stdout.trim();
    };
    git("init", "--quiet", "--initial-branch=main", ".");
    git("add", "--all");
    git("-c", "user.name=fixture", "-c", "user.email=fixture@example.invalid", "commit", "--quiet", "-m", "fixture");
    return git("rev-parse", "HEAD");
}

/** A file a job of the repository in `repo` left as an artifact (gitlab-ci-local escapes the job's name). */
export function jobArtifact(repo: string, job: string, file: string): string {
    const dir = join(repo, ".gitlab-ci-local", "artifacts");
    const escaped = job.split(":").at(-1) ?? job;
    const match = readdirSync(dir).find((d) => d.startsWith("container-app") && d.endsWith(escaped));
    if (match === undefined) {
        throw new Error(`no artifacts of ${job} in ${dir}: ${readdirSync(dir).join(", ")}`);
    }
    return join(dir, match, file);
}

/** The path of an installed tool from a `--check` of one of the install scripts, or undefined. */
export function checkedTool(script: string, name: string): string | undefined {
    const check = spawnSync("bash", [join(ROOT, "scripts", "ci", script), "--check", "--only", name], {
        encoding: "utf8",
    });
    const line = check.stdout.split("\n").find((l) => l.startsWith(`${name} `));
    return check.status === 0 && line !== undefined ? line.slice(name.length + 1) : undefined;
}

export interface JobRunner {
    /** Runs one job of the repository in `cwd` with the shell executor, `variables` given as --variable. */
    job(cwd: string, name: string, variables: Readonly<Record<string, string>>): Promise<Run>;
    preview(cwd: string): Promise<Run>;
}

/**
 * gitlab-ci-local with a private HOME and a private containers storage, so no host state leaks into
 * a job and no job leaves images in the host's storage.
 */
export function jobRunner(
    gitlabCiLocal: string,
    scratch: string,
    extraPath: readonly string[] = [],
    extraEnv: Readonly<Record<string, string>> = {},
): JobRunner {
    const home = join(scratch, "home");
    const storage = join(scratch, "containers");
    mkdirSync(home, { recursive: true });
    mkdirSync(storage, { recursive: true });
    const storageConf = join(scratch, "storage.conf");
    writeFileSync(
        storageConf,
        `[storage]\ndriver = "vfs"\ngraphroot = "${storage}/graph"\nrunroot = "${storage}/run"\n`,
    );
    const env: NodeJS.ProcessEnv = {
        PATH: [...extraPath, process.env.PATH ?? "/usr/bin:/bin"].join(delimiter),
        HOME: home,
        LANG: "C.UTF-8",
        CONTAINERS_STORAGE_CONF: storageConf,
        TMPDIR: process.env.TMPDIR,
        ...extraEnv,
    };
    return {
        job: (cwd, name, variables) =>
            run(
                gitlabCiLocal,
                [
                    "--force-shell-executor",
                    // The step scripts the job image ships in /opt/cicd-platform/steps, from this checkout.
                    "--variable",
                    `CICD_STEPS=${join(ROOT, "ci", "steps")}`,
                    ...Object.entries(variables).flatMap(([key, value]) => ["--variable", `${key}=${value}`]),
                    name,
                ],
                { cwd, env, timeoutMs: 10 * 60 * 1000 },
            ),
        preview: (cwd) => run(gitlabCiLocal, ["--preview"], { cwd, env, timeoutMs: 120_000 }),
    };
}
