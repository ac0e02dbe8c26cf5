/**
 * Plain-data access to resource properties as the policy SDK hands them over.
 *
 * During `pulumi preview`, a property computed from another resource's output is not known yet.
 * The SDK wraps `props` in a proxy that throws as soon as such a value is read, and turns that into
 * an advisory "can't run policy during preview" note. Policies here read through `plain()` instead:
 * it unwraps the proxy and replaces every unknown with the `UNKNOWN` marker, so a check can skip just
 * the fields it cannot see yet (they are checked again, known, when `pulumi up` registers the
 * resource) and still check everything else.
 */

/** Marks a value the engine does not know during preview. */
export const UNKNOWN = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

/**
 * The engine's sentinels for unknown values (pulumi/pulumi-policy sdk/nodejs/policy/proxy.ts), one per
 * type. Stable wire constants; test/policy/values.test.ts compares them with the installed SDK's.
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

const PROXY_FLAG = "__isSpecialProxy";
const PROXY_TARGET = "__getSpecialProxyTarget";

function unproxy(value: object): object {
    const probe = value as Record<string, unknown>;
    if (probe[PROXY_FLAG] === true) {
        const target = probe[PROXY_TARGET];
        if (typeof target === "object" && target !== null) {
            return target;
        }
    }
    return value;
}

/** A deep copy of `value` without the SDK's proxies, with `UNKNOWN` where the engine sent an unknown. */
export function plain(value: unknown): unknown {
    if (typeof value === "string") {
        return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
    }
    if (typeof value !== "object" || value === null) {
        return value;
    }
    const target = unproxy(value);
    if (Array.isArray(target)) {
        return target.map(plain);
    }
    const result: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(target)) {
        result[key] = plain(field);
    }
    return result;
}

export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

export type Dict = Record<string, unknown>;

export function isDict(value: unknown): value is Dict {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object at `value`, or undefined when it is absent, unknown or not an object. */
export function dict(value: unknown): Dict | undefined {
    return isDict(value) ? value : undefined;
}

/** The array at `value`, or [] when it is absent, unknown or not an array. */
export function list(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

/** The string at `value`, or undefined when it is absent, unknown or not a string. */
export function str(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

/** A value as a violation message shows it: strings as they are, anything else as JSON. */
export function shown(value: unknown): string {
    // JSON.stringify gives undefined (though typed string) for undefined.
    const json = JSON.stringify(value) as string | undefined;
    return typeof value === "string" ? value : (json ?? "undefined");
}

/** Follows a path of keys; undefined when something along it is absent, `UNKNOWN` when it is unknown. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
    let current = value;
    for (const key of path) {
        if (isUnknown(current)) {
            return UNKNOWN;
        }
        if (typeof key === "number") {
            current = Array.isArray(current) ? (current[key] as unknown) : undefined;
        } else {
            current = isDict(current) ? current[key] : undefined;
        }
    }
    return current;
}

/** True when `value` or anything inside it is unknown. */
export function containsUnknown(value: unknown): boolean {
    if (isUnknown(value)) {
        return true;
    }
    if (Array.isArray(value)) {
        return value.some(containsUnknown);
    }
    if (isDict(value)) {
        return Object.values(value).some(containsUnknown);
    }
    return false;
}

/** String entries of a map such as labels or ConfigMap data; unknown values are left out. */
export function stringEntries(value: unknown): [string, string][] {
    const map = dict(value);
    if (!map) {
        return [];
    }
    return Object.entries(map).filter((entry): entry is [string, string] => typeof entry[1] === "string");
}

/** Decodes base64 (Secret `data`, ConfigMap `binaryData`); undefined when it is not base64. */
export function fromBase64(value: string): string | undefined {
    const compact = value.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
        return undefined;
    }
    return Buffer.from(compact, "base64").toString("utf8");
}
