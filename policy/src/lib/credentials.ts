/**
 * Recognises credentials in plain text. A finding names the kind of credential, never its value:
 * policy messages end up in CI logs.
 */

const TOKEN_PATTERNS: readonly (readonly [RegExp, string])[] = [
    [/\bglrt-[0-9A-Za-z_.-]{20,}/, "a GitLab runner authentication token (glrt-…)"],
    [/\bglpat-[0-9A-Za-z_.-]{20,}/, "a GitLab personal access token (glpat-…)"],
    [/\bgl(?:dt|ptt|cbt|soat|ffct|imt|agent|oas|ft)-[0-9A-Za-z_.-]{20,}/, "a GitLab deploy/trigger/job token (gl…-)"],
    [/\bGR1348941[0-9A-Za-z_-]{20,}/, "a GitLab runner registration token (GR1348941…)"],
    [/\bgh[pousr]_[0-9A-Za-z]{36,}/, "a GitHub token (ghp_/gho_/ghu_/ghs_/ghr_…)"],
    [/\bgithub_pat_[0-9A-Za-z_]{22,}/, "a GitHub fine-grained personal access token (github_pat_…)"],
    [/\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b/, "an AWS access key id"],
    [/aws_secret_access_key["']?\s*[=:]\s*["']?[A-Za-z0-9/+=]{40}/i, "an AWS secret access key"],
    [/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/, "a private key block"],
    [/\bxox[abposr]-[0-9A-Za-z-]{10,}/, "a Slack token"],
];

/** `scheme://user:password@host`; a `$VAR` or `${VAR}` in the password position is a reference, not a credential. */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']+:([^\s/@"']+)@/gi;

/**
 * `password=…`, `token: …`, `"client_secret": "…"`: a key ending in a credential word, then `=` or `:`,
 * then a literal value.
 */
const KEY_VALUE =
    // Horizontal whitespace only: a YAML key that opens a mapping (`htpasswd:` then `realm: …` on the
    // next line) is not an assignment of the next line's text.
    /([A-Za-z0-9_.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?))["']?[ \t]*[=:][ \t]*["']?([^\s"'&;,}\]]*)/gi;

function isReference(value: string): boolean {
    return (
        value === "" ||
        /^(\$|\{\{|<|%\(|\*{3,}|x{3,}$)/i.test(value) ||
        /^(true|false|null|none|nil|required|optional)$/i.test(value) ||
        /^[0-9]+$/.test(value)
    );
}

function dockerConfigFinding(text: string): string | undefined {
    if (!text.includes("auths")) {
        return undefined;
    }
    try {
        const parsed: unknown = JSON.parse(text);
        const auths =
            typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>).auths : undefined;
        if (typeof auths === "object" && auths !== null) {
            for (const entry of Object.values(auths)) {
                if (
                    typeof entry === "object" &&
                    entry !== null &&
                    ["auth", "password", "identitytoken", "registrytoken"].some((k) => k in entry)
                ) {
                    return "a registry credential (dockerconfig JSON with auths)";
                }
            }
        }
    } catch {
        // Not JSON as a whole: fall through to the textual check.
    }
    return /"auths"\s*:\s*\{[\s\S]*"(auth|password|identitytoken)"\s*:/.test(text)
        ? "a registry credential (dockerconfig JSON with auths)"
        : undefined;
}

/** What kind of credential `text` contains, or undefined. */
export function findCredential(text: string): string | undefined {
    for (const [pattern, kind] of TOKEN_PATTERNS) {
        if (pattern.test(text)) {
            return kind;
        }
    }
    const docker = dockerConfigFinding(text);
    if (docker) {
        return docker;
    }
    for (const match of text.matchAll(URL_WITH_PASSWORD)) {
        if (!isReference(match[1] ?? "")) {
            return "a URL with an embedded password (scheme://user:password@host)";
        }
    }
    for (const match of text.matchAll(KEY_VALUE)) {
        const key = match[1] ?? "";
        const value = match[2] ?? "";
        if (!isReference(value) && value.length >= 4) {
            return `a literal credential assignment (${key}=…)`;
        }
    }
    return undefined;
}

/** Parts of a variable name that mark it as holding a credential (`REGISTRY_PASSWORD`, `DOCKER_CONFIG`). */
const CREDENTIAL_NAME =
    /(^|[_.-])(PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|KEY|APIKEY|AUTH|CREDENTIALS?|DOCKER_?CONFIG(_?JSON)?|DOCKERCONFIGJSON|KUBECONFIG|PRIVATE_?KEY)([_.-]|$)/;
/** Names that point at a credential rather than hold one. */
const REFERENCE_NAME = /[_.-](FILE|PATH|DIR|NAME|REF|TTL|EXPIRY|EXPIRES|LENGTH|TYPE)$/;

/** The public half of a key pair (`SIGNING_PUBLIC_KEY`): meant to be shown, and a PEM block cannot be masked. */
const PUBLIC_KEY_NAME = /(^|[_.-])PUBLIC[_.-]?KEY$/;

/** True when a variable or key name says it holds a credential, e.g. `REGISTRY_PASSWORD`, `api-token`. */
export function isCredentialName(name: string): boolean {
    const upper = name.toUpperCase();
    return CREDENTIAL_NAME.test(upper) && !REFERENCE_NAME.test(upper) && !PUBLIC_KEY_NAME.test(upper);
}
