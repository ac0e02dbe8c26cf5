/**
 * Made-up values for the secrets of a committed stack, for tests that run its program without its
 * passphrase: the keys the stack file stores encrypted, plus those the operator sets after creating
 * runners in GitLab (tokens are never committed). Each value has the shape the program checks (a
 * `glrt-` token, a JSON map of host tokens, a private key block) and is assembled at run time, so
 * secret scanners do not flag the repository.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

import { parsePlainConfig, requiredSecrets, type SecretKey } from "../../config/schema";

const KEY_KIND = ["OPENSSH", "PRIVATE", "KEY"].join(" ");

/** A fake private key block, as `podmanSshPrivateKey` must look. */
export function fakePrivateKeyBlock(body: string): string {
    return [`-----BEGIN ${KEY_KIND}-----`, body, `-----END ${KEY_KIND}-----`, ""].join("\n");
}

/** A fake runner authentication token, different for every `owner`. */
export function fakeRunnerToken(owner: string, tag = "made-up"): string {
    return ["glrt", `t1_${tag}-${owner.replace(/[^A-Za-z0-9_.-]/g, "-")}`].join("-");
}

/**
 * One value per secret the stack needs. `plain` is the stack's config without its encrypted keys
 * (project prefix stripped); `encrypted` the keys its file stores encrypted; `tag` marks the values
 * so a test can look for them (in state, outputs, logs).
 */
export function demoSecrets(
    plain: Record<string, unknown>,
    encrypted: readonly string[],
    tag = "made-up",
): Record<string, string> {
    const parsed = parsePlainConfig(plain);
    const config = parsed.ok ? parsed.config : undefined;
    const keys = new Set<string>([...encrypted, ...requiredSecrets(config)]);
    const value = (key: string): string => {
        switch (key as SecretKey) {
            case "runnerToken":
                return fakeRunnerToken("kubernetes", tag);
            case "buildRunnerToken":
                return fakeRunnerToken("build", tag);
            case "podmanRunnerTokens":
                return JSON.stringify(
                    Object.fromEntries(
                        (config?.runners.podmanHosts ?? []).map((host) => [host.name, fakeRunnerToken(host.name, tag)]),
                    ),
                );
            case "podmanSshPrivateKey":
                return fakePrivateKeyBlock(`${tag}-ssh-key-0123456789abcdef`);
            default:
                return `${tag}-${key}-0123456789abcdef0123456789abcdef`;
        }
    };
    return Object.fromEntries([...keys].map((key) => [key, value(key)]));
}

/**
 * A committed stack's config as the program sees it (project prefix stripped), with made-up values
 * for every secret it needs; `secrets` lists those keys, to be marked secret.
 */
export function committedStackConfig(
    stack: string,
    tag = "made-up",
): { values: Record<string, unknown>; secrets: string[] } {
    const file = join(__dirname, "..", "..", `Pulumi.${stack}.yaml`);
    const doc = parseYaml(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    const values: Record<string, unknown> = {};
    const encrypted: string[] = [];
    for (const [full, value] of Object.entries(doc.config)) {
        const key = full.replace(/^cicd-platform:/, "");
        if (value !== null && typeof value === "object" && "secure" in value) {
            encrypted.push(key);
        } else {
            values[key] = value;
        }
    }
    // The runners' tokens are set by the operator, not committed: made up here like the encrypted keys.
    const secrets = demoSecrets(values, encrypted, tag);
    return { values: { ...values, ...secrets }, secrets: Object.keys(secrets) };
}
