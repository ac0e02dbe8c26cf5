import type { PreviewDigest, ResourceState } from "./preview-json";

/** What the engine writes in place of a secret value. */
export const SECRET_PLACEHOLDER = "[secret]";

/** Values shorter than this are not scanned for: they would match ordinary text everywhere. */
export const MIN_SECRET_LENGTH = 4;

/** A value that must never appear in the summary, and where it came from (printed instead of it). */
export interface SecretValue {
    readonly value: string;
    readonly source: string;
}

/** Thrown when a secret value is found in the finished text. The message names only the source. */
export class SecretLeakError extends Error {
    override readonly name = "SecretLeakError";
    constructor(public readonly sources: readonly string[]) {
        super(
            `the summary contains the value of ${sources.join(", ")}; refusing to print it ` +
                "(this is a bug in the summary or a secret in an engine message: check the preview log)",
        );
    }
}

/** The forms a secret can take in engine text: as is, JSON-escaped, base64 (Kubernetes Secret data), URL-encoded. */
function variants(value: string): string[] {
    const forms = new Set<string>([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
    const base64 = Buffer.from(value, "utf8").toString("base64");
    forms.add(base64);
    // Without padding, as in a longer base64 string the value is part of (e.g. "user:password").
    forms.add(base64.replace(/=+$/, ""));
    return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * The set of values the summary must not contain. `redact` blanks them out of free text we do not
 * control (diagnostics, a failed preview's stderr); `assertClean` is the last check on the finished
 * Markdown and throws if any form of any value is still there.
 */
export class SecretGuard {
    private readonly entries: { readonly form: string; readonly source: string }[] = [];
    private readonly sources = new Set<string>();
    /** Sources skipped because the value is too short to scan for. */
    public readonly tooShort: string[] = [];

    constructor(values: Iterable<SecretValue> = []) {
        for (const value of values) {
            this.add(value);
        }
    }

    add({ value, source }: SecretValue): void {
        if (value === "" || value === SECRET_PLACEHOLDER) {
            return;
        }
        if (value.length < MIN_SECRET_LENGTH) {
            this.tooShort.push(source);
            return;
        }
        this.sources.add(source);
        for (const form of variants(value)) {
            this.entries.push({ form, source });
        }
        // Longest first, so a value is not half-replaced by a shorter one it contains.
        this.entries.sort((a, b) => b.form.length - a.form.length);
    }

    get size(): number {
        return this.sources.size;
    }

    redact(text: string): string {
        let out = text;
        for (const { form } of this.entries) {
            if (out.includes(form)) {
                out = out.split(form).join(SECRET_PLACEHOLDER);
            }
        }
        return out;
    }

    /** Sources of the values found in `text` (never the values). */
    leaks(text: string): string[] {
        const found = new Set<string>();
        for (const { form, source } of this.entries) {
            if (text.includes(form)) {
                found.add(source);
            }
        }
        return [...found];
    }

    assertClean(text: string): void {
        const found = this.leaks(text);
        if (found.length > 0) {
            throw new SecretLeakError(found);
        }
    }
}

function stringLeaves(value: unknown, out: string[], depth = 0): void {
    if (depth > 32) {
        return;
    }
    if (typeof value === "string") {
        out.push(value);
    } else if (Array.isArray(value)) {
        for (const item of value) {
            stringLeaves(item, out, depth + 1);
        }
    } else if (typeof value === "object" && value !== null) {
        for (const item of Object.values(value)) {
            stringLeaves(item, out, depth + 1);
        }
    }
}

function stateSecrets(state: ResourceState | undefined, urn: string, out: SecretValue[]): void {
    for (const property of state?.additionalSecretOutputs ?? []) {
        for (const bag of [state?.outputs, state?.inputs]) {
            const leaves: string[] = [];
            stringLeaves(bag?.[property], leaves);
            for (const value of leaves) {
                out.push({ value, source: `property "${property}" of ${urn} (additionalSecretOutputs)` });
            }
        }
    }
}

/**
 * Secret values the preview itself reveals in plaintext: config keys declared secret whose value is
 * not blinded (a key set without `--secret`), and properties a resource lists in
 * `additionalSecretOutputs` whose value the provider returned in the clear.
 */
export function secretsInPreview(preview: PreviewDigest, secretConfigKeys: ReadonlySet<string>): SecretValue[] {
    const out: SecretValue[] = [];
    for (const [key, value] of Object.entries(preview.config ?? {})) {
        if (secretConfigKeys.has(key)) {
            out.push({ value, source: `config key ${key} (declared secret)` });
        }
    }
    for (const step of preview.steps ?? []) {
        stateSecrets(step.oldState, step.urn, out);
        stateSecrets(step.newState, step.urn, out);
    }
    return out;
}
