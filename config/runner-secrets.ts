/**
 * Checks of the runners' secret config values. Pulumi-free like the schema; the values arrive as the
 * strings the engine hands over and are never quoted back: a problem names the key, not the value.
 */
import { runnerTokenProblem } from "../components/shared/validators";
import type { ConfigProblem, PlainStackConfig } from "./schema";

const PRIVATE_KEY_BLOCK =
    /^-----BEGIN (?:OPENSSH |RSA |EC )?PRIVATE KEY-----\n[\s\S]+\n-----END (?:OPENSSH |RSA |EC )?PRIVATE KEY-----\s*$/;

/** A present, non-empty secret string; absent ones are the missing-secret check's business. */
function present(value: unknown): value is string {
    return typeof value === "string" && value !== "";
}

/** The host-name → token object of podmanRunnerTokens, or a problem. */
function podmanTokenMap(value: string): Record<string, unknown> | string {
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        return 'is not JSON: set it to {"<host name>": "glrt-…"} (pulumi config set --secret podmanRunnerTokens \'{"build-1": "glrt-…"}\')';
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return 'is not a JSON object of host name to token ({"<host name>": "glrt-…"})';
    }
    return parsed as Record<string, unknown>;
}

function podmanTokenProblems(config: PlainStackConfig, value: string): ConfigProblem[] {
    const tokens = podmanTokenMap(value);
    if (typeof tokens === "string") {
        return [{ path: "podmanRunnerTokens", message: tokens }];
    }
    const problems: ConfigProblem[] = [];
    const hosts = config.runners.podmanHosts;
    hosts.forEach((host, index) => {
        const path = `podmanRunnerTokens.${host.name}`;
        const token = tokens[host.name];
        if (token === undefined) {
            problems.push({
                path,
                message: `is missing: runners.podmanHosts[${index}] needs its own runner authentication token (pulumi config set --secret --path 'podmanRunnerTokens.${host.name}' glrt-…)`,
            });
            return;
        }
        const problem = typeof token === "string" ? runnerTokenProblem(token) : "is not a string";
        if (problem !== undefined) {
            problems.push({ path, message: problem });
        }
    });
    const names = new Set(hosts.map((host) => host.name));
    for (const name of Object.keys(tokens).filter((key) => !names.has(key))) {
        problems.push({
            path: `podmanRunnerTokens.${name}`,
            message: `names no host of runners.podmanHosts (hosts: ${[...names].join(", ") || "none"})`,
        });
    }
    return problems;
}

/**
 * One token per runner process: GitLab counts a token as one runner, and two processes polling with
 * it would both take jobs and both report as it.
 */
function sharedTokenProblems(config: PlainStackConfig, values: Record<string, unknown>): ConfigProblem[] {
    const owners = new Map<string, string[]>();
    const add = (token: unknown, owner: string): void => {
        if (present(token)) {
            owners.set(token, [...(owners.get(token) ?? []), owner]);
        }
    };
    if (config.runners.kubernetes.enabled) {
        add(values.runnerToken, "runnerToken");
    }
    if (config.runners.build.enabled) {
        add(values.buildRunnerToken, "buildRunnerToken");
    }
    if (present(values.podmanRunnerTokens)) {
        const tokens = podmanTokenMap(values.podmanRunnerTokens);
        if (typeof tokens !== "string") {
            for (const host of config.runners.podmanHosts) {
                add(tokens[host.name], `podmanRunnerTokens.${host.name}`);
            }
        }
    }
    return [...owners.values()]
        .filter((keys) => keys.length > 1)
        .map((keys) => ({
            path: keys[1] ?? "",
            message: `holds the same token as ${keys[0] ?? ""}: every runner needs a token of its own (create one runner in GitLab per host)`,
        }));
}

const HAND_MADE_TOKENS = ["runnerToken", "buildRunnerToken", "podmanRunnerTokens"] as const;

/**
 * With the GitLab integration each runner's token is its UserRunner's: a token set by hand would be
 * a second, unmanaged runner registration, and silently ignoring it would leave it valid in GitLab.
 */
function integrationTokenProblems(values: Record<string, unknown>): ConfigProblem[] {
    return HAND_MADE_TOKENS.filter((key) => present(values[key])).map((key) => ({
        path: key,
        message: `is not used with gitlab.enabled (the stack creates each runner's token as a gitlab.UserRunner): delete the runner it belongs to in GitLab, then pulumi config rm ${key}`,
    }));
}

/** Every problem of the runners' secret values, given the validated plain config. */
export function runnerSecretProblems(config: PlainStackConfig, values: Record<string, unknown>): ConfigProblem[] {
    if (config.gitlab.enabled) {
        return [...integrationTokenProblems(values), ...sshKeyProblems(config, values)];
    }
    const problems: ConfigProblem[] = [];
    if (config.runners.kubernetes.enabled && present(values.runnerToken)) {
        const problem = runnerTokenProblem(values.runnerToken);
        if (problem !== undefined) {
            problems.push({ path: "runnerToken", message: problem });
        }
    }
    if (config.runners.build.enabled && present(values.buildRunnerToken)) {
        const problem = runnerTokenProblem(values.buildRunnerToken);
        if (problem !== undefined) {
            problems.push({ path: "buildRunnerToken", message: problem });
        }
    }
    if (config.runners.podmanHosts.length > 0 && present(values.podmanRunnerTokens)) {
        problems.push(...podmanTokenProblems(config, values.podmanRunnerTokens));
    }
    problems.push(...sshKeyProblems(config, values));
    problems.push(...sharedTokenProblems(config, values));
    return problems;
}

function sshKeyProblems(config: PlainStackConfig, values: Record<string, unknown>): ConfigProblem[] {
    const key = values.podmanSshPrivateKey;
    if (config.runners.podmanHosts.length === 0 || !present(key) || PRIVATE_KEY_BLOCK.test(key.trim() + "\n")) {
        return [];
    }
    return [
        {
            path: "podmanSshPrivateKey",
            message:
                "is not an OpenSSH or PEM private key (the whole file, from its BEGIN line to its END line): cat ~/.ssh/id_ed25519 | pulumi config set --secret podmanSshPrivateKey",
        },
    ];
}
