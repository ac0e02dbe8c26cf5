/**
 * The document `pulumi preview --json` prints, as far as the summary reads it.
 *
 * Shape: `previewDigest` in pulumi/pulumi pkg/display/json.go (public twin: `display.PreviewDigest`
 * in sdk/go/common/display): `config` (secrets already blinded), `steps[]` with `op`, `urn`,
 * `oldState`/`newState` (apitype.ResourceV3, secret values serialized as the string "[secret]"),
 * `diffReasons`, `replaceReasons`, `detailedDiff` ({kind, inputDiff} per property path),
 * `diagnostics[]` ({urn, prefix, message, severity}), `changeSummary` (count per op) and
 * `maybeCorrupt`. `pulumi preview --json` skips policy events, so `policyPacks`/`policyViolations`
 * (the `pulumi events summary` document's fields) are read when present and policy failures are
 * otherwise found in the diagnostics.
 */

export interface PropertyDiff {
    readonly kind: string;
    readonly inputDiff?: boolean;
}

export interface ResourceState {
    readonly urn?: string;
    readonly type?: string;
    readonly custom?: boolean;
    readonly inputs?: Readonly<Record<string, unknown>>;
    readonly outputs?: Readonly<Record<string, unknown>>;
    readonly parent?: string;
    readonly additionalSecretOutputs?: readonly string[];
}

export interface PreviewStep {
    readonly op: string;
    readonly urn: string;
    readonly provider?: string;
    readonly oldState?: ResourceState;
    readonly newState?: ResourceState;
    readonly diffReasons?: readonly string[];
    readonly replaceReasons?: readonly string[];
    readonly detailedDiff?: Readonly<Record<string, PropertyDiff>> | null;
}

export interface PreviewDiagnostic {
    readonly urn?: string;
    readonly prefix?: string;
    readonly message?: string;
    readonly severity?: string;
}

/** apitype.PolicyEvent, as `pulumi events summary` writes it. */
export interface PolicyViolation {
    readonly resourceUrn?: string;
    readonly message?: string;
    readonly policyName?: string;
    readonly policyPackName?: string;
    readonly policyPackVersion?: string;
    readonly enforcementLevel?: string;
}

export interface PreviewDigest {
    readonly config?: Readonly<Record<string, string>>;
    readonly steps?: readonly PreviewStep[];
    readonly diagnostics?: readonly PreviewDiagnostic[];
    readonly duration?: number;
    readonly changeSummary?: Readonly<Record<string, number>>;
    readonly maybeCorrupt?: boolean;
    readonly policyPacks?: Readonly<Record<string, string>>;
    readonly policyViolations?: readonly PolicyViolation[];
}

export class PreviewParseError extends Error {
    override readonly name = "PreviewParseError";
}

const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);

function optionalArray(doc: Record<string, unknown>, key: string): unknown[] {
    const value = doc[key];
    if (value === undefined || value === null) {
        return [];
    }
    if (!Array.isArray(value)) {
        throw new PreviewParseError(`"${key}" is not a list`);
    }
    return value;
}

/**
 * Parses the text `pulumi preview --json` printed. Checks the fields the summary relies on and
 * reports where the document is not a preview; unknown fields are ignored (the format only grows).
 */
export function parsePreviewJson(text: string): PreviewDigest {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (error) {
        throw new PreviewParseError(`not JSON: ${(error as Error).message}`);
    }
    if (!isObject(doc)) {
        throw new PreviewParseError("the document is not a JSON object");
    }
    optionalArray(doc, "steps").forEach((step, index) => {
        if (!isObject(step) || typeof step.op !== "string" || typeof step.urn !== "string") {
            throw new PreviewParseError(`steps[${index}] has no string "op" and "urn"`);
        }
    });
    optionalArray(doc, "diagnostics").forEach((diagnostic, index) => {
        if (!isObject(diagnostic)) {
            throw new PreviewParseError(`diagnostics[${index}] is not an object`);
        }
    });
    const summary = doc.changeSummary;
    if (summary !== undefined && summary !== null) {
        if (!isObject(summary) || Object.values(summary).some((n) => typeof n !== "number")) {
            throw new PreviewParseError(`"changeSummary" is not a map of counts`);
        }
    }
    return doc as PreviewDigest;
}

/** The parts of a URN: `urn:pulumi:<stack>::<project>::<parent types$…$type>::<name>`. */
export interface ParsedUrn {
    readonly stack: string;
    readonly project: string;
    readonly type: string;
    readonly name: string;
}

export function parseUrn(urn: string): ParsedUrn {
    const parts = urn.split("::");
    if (parts.length < 4 || !(parts[0] ?? "").startsWith("urn:pulumi:")) {
        return { stack: "", project: "", type: "unknown", name: urn };
    }
    const qualifiedType = parts[2] ?? "";
    return {
        stack: (parts[0] ?? "").slice("urn:pulumi:".length),
        project: parts[1] ?? "",
        type: qualifiedType.split("$").at(-1) ?? qualifiedType,
        name: parts.slice(3).join("::"),
    };
}
