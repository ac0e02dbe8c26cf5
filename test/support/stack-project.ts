/**
 * The committed stacks in a throw-away project, for tests that preview or deploy them without their
 * passphrases: the repository linked in with stack files of the test's own, the stack files' plain
 * config, made-up secrets for what they store encrypted, and the CLI commands that create the stack
 * and set those secrets under the test's passphrase.
 */
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

import { ROOT, type Run, secureKeys } from "./engine";
import { demoSecrets } from "./stack-secrets";

/**
 * `dir/project`: every entry of the repository linked in except the stack files, which are the
 * test's (`stackFiles`: stack name → file text). `stack init` and `config set` then write only there.
 */
export function linkedProject(dir: string, stackFiles: Record<string, string>): string {
    const project = join(dir, "project");
    mkdirSync(project, { recursive: true });
    for (const entry of readdirSync(ROOT)) {
        if (entry === ".git" || /^Pulumi\..+\.yaml$/.test(entry)) {
            continue;
        }
        symlinkSync(join(ROOT, entry), join(project, entry));
    }
    for (const [stack, text] of Object.entries(stackFiles)) {
        writeFileSync(join(project, `Pulumi.${stack}.yaml`), text);
    }
    return project;
}

/** A stack file's `config:` with the project's namespace taken off the keys. */
export function plainConfig(stackFile: string): Record<string, unknown> {
    const config = (parseYaml(stackFile) as { config?: Record<string, unknown> } | null)?.config ?? {};
    return Object.fromEntries(
        Object.entries(config).map(([key, value]) => [key.replace(/^cicd-platform:/, ""), value]),
    );
}

/**
 * Made-up values for every secret of a stack: the keys `committed` stores encrypted and those the
 * operator sets, shaped by `config` (the file the test runs, encrypted values stripped); `tag` marks
 * every value so output and state can be searched for it.
 */
export function stackDemoSecrets(committed: string, config: string, tag: string): Record<string, string> {
    const encrypted = secureKeys(committed).map((key) => key.replace(/^cicd-platform:/, ""));
    return demoSecrets(plainConfig(config), encrypted, tag);
}

/** The `pulumi` argument lists that create `stack` and set each of `secrets` on it, encrypted. */
export function stackInitCommands(stack: string, secrets: Record<string, string>): string[][] {
    return [
        ["stack", "init", stack, "--non-interactive"],
        ...Object.entries(secrets).map(([key, value]) => [
            "config",
            "set",
            "--secret",
            "--stack",
            stack,
            `cicd-platform:${key}`,
            // A value may start with "-" (a private key block): no flag parsing past here.
            "--",
            value,
        ]),
    ];
}

/** A step of `pulumi preview --json`. */
export interface PreviewStep {
    readonly op: string;
    readonly urn: string;
    readonly newState?: { readonly inputs?: Record<string, unknown> };
}

/** What a failed `preview --json` said: its error diagnostics, policy violations and stderr's end. */
export function previewDiagnostics(result: Run): string {
    let messages: string[] = [];
    try {
        const doc = JSON.parse(result.stdout) as {
            diagnostics?: { severity: string; message: string }[];
            policies?: { policyName: string; message: string }[];
        };
        messages = [
            ...(doc.diagnostics ?? []).filter((d) => d.severity !== "info").map((d) => d.message),
            ...(doc.policies ?? []).map((p) => `${p.policyName}: ${p.message}`),
        ];
    } catch {
        messages = [result.stdout.slice(-3000)];
    }
    return [...messages, result.stderr.slice(-3000)].join("\n");
}

/** `<type>::<name>` of a URN (urn:pulumi:<stack>::<project>::<parent types joined by $>$<type>::<name>). */
export function typeAndName(urn: string): string {
    const [, , types = "", name = ""] = urn.split("::");
    return `${types.split("$").at(-1) ?? ""}::${name}`;
}
