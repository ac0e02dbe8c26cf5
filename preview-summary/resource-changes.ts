import { type OpKind, opKind } from "./op-kind";
import { parseUrn, type PreviewStep } from "./preview-json";

/** One resource of the preview with all of its steps merged. */
export interface ResourceChange {
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    readonly kind: OpKind;
    readonly replaceReasons: readonly string[];
    readonly diffKeys: readonly string[];
    /** detailedDiff entries: key -> kind (e.g. "update-replace"). */
    readonly detailed: ReadonlyMap<string, string>;
}

/** When one URN has several steps (a replacement is create-replacement + replace + delete-replaced). */
const STRENGTH: Record<OpKind, number> = {
    replace: 8,
    delete: 7,
    create: 6,
    update: 5,
    import: 4,
    read: 3,
    refresh: 2,
    other: 1,
    same: 0,
};

export const unique = (values: readonly string[]): string[] => [...new Set(values)];

function merge(previous: ResourceChange | undefined, step: PreviewStep): ResourceChange {
    const kind = opKind(step.op);
    const { name, type: urnType } = parseUrn(step.urn);
    const detailed = new Map<string, string>(previous?.detailed ?? []);
    for (const [key, diff] of Object.entries(step.detailedDiff ?? {})) {
        detailed.set(key, diff.kind);
    }
    return {
        urn: step.urn,
        name,
        type: step.newState?.type ?? step.oldState?.type ?? urnType,
        kind: previous && STRENGTH[previous.kind] > STRENGTH[kind] ? previous.kind : kind,
        replaceReasons: unique([...(previous?.replaceReasons ?? []), ...(step.replaceReasons ?? [])]),
        diffKeys: unique([...(previous?.diffKeys ?? []), ...(step.diffReasons ?? [])]),
        detailed,
    };
}

/** One change per URN, in the order the engine first mentions each. */
export function changesByUrn(steps: readonly PreviewStep[]): ResourceChange[] {
    const byUrn = new Map<string, ResourceChange>();
    for (const step of steps) {
        byUrn.set(step.urn, merge(byUrn.get(step.urn), step));
    }
    return [...byUrn.values()];
}
