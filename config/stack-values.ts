/**
 * Reads the `cicd-platform:*` keys of a stack's config the way the program does, for every caller:
 * the program itself (`pulumi.runtime.allConfig()`), the canary driver (the Automation API's
 * `getAllConfig()`) and the preview summary (the stack file). Pulumi-free, so the last two need no
 * engine to run.
 */
import { SECRET_KEYS } from "./secret-keys";

export const PROJECT = "cicd-platform";

/** An entry of the Automation API's `ConfigMap` (its `ConfigValue`), without importing the SDK. */
export interface ConfigEntry {
    readonly value: string;
    readonly secret?: boolean;
}

/** Full key (`project:key`) to the string the engine hands a program, or to an Automation API entry. */
export type RawStackConfig = Readonly<Record<string, string | ConfigEntry>>;

export interface StackValuesOptions {
    /** Whose keys to read; other namespaces (`kubernetes:`, `github:`, …) are ignored. @default PROJECT */
    readonly project?: string;
    /** Full keys that are secret besides the schema's SECRET_KEYS and entries marked `secret`. */
    readonly secretKeys?: ReadonlySet<string>;
    /**
     * `"raw"` keeps a secret's string as it is, unparsed, for the caller to wrap; `"omit"` leaves
     * secrets out, for callers that only validate or display plain config. @default "raw"
     */
    readonly secrets?: "raw" | "omit";
}

/**
 * A value as the program reads it. The engine hands every value over as a string, objects and lists
 * as their JSON; a plain string that is not JSON stays a string.
 */
export function parseValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** The project's keys with the `project:` prefix stripped, plain values parsed, secrets never parsed. */
export function stackValues(raw: RawStackConfig, options: StackValuesOptions = {}): Record<string, unknown> {
    const prefix = `${options.project ?? PROJECT}:`;
    const values: Record<string, unknown> = {};
    for (const [fullKey, entry] of Object.entries(raw)) {
        if (!fullKey.startsWith(prefix)) {
            continue;
        }
        const key = fullKey.slice(prefix.length);
        const { value, secret } = typeof entry === "string" ? { value: entry, secret: false } : entry;
        if (secret === true || key in SECRET_KEYS || options.secretKeys?.has(fullKey) === true) {
            // Parsing could turn a secret into a number or an object, and validation messages quote those.
            if (options.secrets !== "omit") {
                values[key] = value;
            }
            continue;
        }
        values[key] = parseValue(value);
    }
    return values;
}
