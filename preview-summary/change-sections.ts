import { code, formatCount } from "./markdown";
import { changedCount, type OpCounts } from "./op-kind";
import { type ResourceChange, unique } from "./resource-changes";
import { section, type Section } from "./section";

/**
 * The sections that list resources: replacements (with what forces them), deletions, updates (with
 * the keys that differ), creates, and the per-type table. Only names, types and property keys are
 * printed, never a property value.
 */

function resourceLine(change: ResourceChange): string {
    return `${code(change.name, 120)} ${code(change.type, 120)}`;
}

function diffKeyList(keys: readonly string[], detailed: ReadonlyMap<string, string>, max = 12): string {
    const shown = keys.slice(0, max).map((key) => {
        const kind = detailed.get(key);
        return kind ? `${code(key, 100)} (${kind})` : code(key, 100);
    });
    if (keys.length > max) {
        shown.push(`+${formatCount(keys.length - max)} more`);
    }
    return shown.join(", ");
}

function replacementItem(change: ResourceChange): string {
    const forcing = [...change.detailed.entries()].filter(([, kind]) => kind.endsWith("-replace")).map(([k]) => k);
    const reasons = unique([...change.replaceReasons, ...forcing]);
    const why =
        reasons.length > 0
            ? `replaced because of ${diffKeyList(reasons, change.detailed)}`
            : "replaced (the provider gave no property)";
    const other = change.diffKeys.filter((k) => !reasons.includes(k));
    return `- ${resourceLine(change)}: ${why}${other.length > 0 ? `; also changes ${diffKeyList(other, change.detailed, 6)}` : ""}`;
}

function updateItem(change: ResourceChange): string {
    const keys = unique([...change.diffKeys, ...change.detailed.keys()]);
    return `- ${resourceLine(change)}${keys.length > 0 ? `: ${diffKeyList(keys, change.detailed)}` : ""}`;
}

const bareItem = (change: ResourceChange): string => `- ${resourceLine(change)}`;

interface ListedKind {
    readonly kind: "replace" | "delete" | "update" | "create";
    readonly keep: number;
    readonly heading: string;
    readonly unit: string;
    readonly item: (change: ResourceChange) => string;
}

const REPLACEMENTS: ListedKind = {
    kind: "replace",
    keep: 85,
    heading: "Replacements",
    unit: "replacement",
    item: replacementItem,
};
const DELETIONS: ListedKind = { kind: "delete", keep: 80, heading: "Deletions", unit: "deletion", item: bareItem };
const UPDATES: ListedKind = { kind: "update", keep: 40, heading: "Updates", unit: "update", item: updateItem };
const CREATES: ListedKind = { kind: "create", keep: 30, heading: "Creates", unit: "create", item: bareItem };

/** The section listing every change of one kind, or none when there is no such change. */
function changeList(changes: readonly ResourceChange[], listed: ListedKind): Section[] {
    const matching = changes.filter((c) => c.kind === listed.kind);
    if (matching.length === 0) {
        return [];
    }
    const title = `${listed.heading} (${formatCount(matching.length)})`;
    return [section(listed.kind, listed.keep, title, matching.map(listed.item), { unit: listed.unit })];
}

export const replacementSection = (changes: readonly ResourceChange[]): Section[] => changeList(changes, REPLACEMENTS);
export const deletionSection = (changes: readonly ResourceChange[]): Section[] => changeList(changes, DELETIONS);
export const updateSection = (changes: readonly ResourceChange[]): Section[] => changeList(changes, UPDATES);
export const createSection = (changes: readonly ResourceChange[]): Section[] => changeList(changes, CREATES);

/** Types with changes, most changed first; unchanged types are left out. */
export function typeSection(byType: ReadonlyMap<string, Readonly<OpCounts>>): Section[] {
    const typeRows = [...byType.entries()]
        .map(([type, row]) => ({ type, row, changed: changedCount(row) }))
        .filter((r) => r.changed > 0)
        .sort((a, b) => b.changed - a.changed || a.type.localeCompare(b.type));
    if (typeRows.length === 0) {
        return [];
    }
    const rows = typeRows.map(
        ({ type, row }) =>
            `| ${code(type, 120)} | ${formatCount(row.create)} | ${formatCount(row.update)} | ${formatCount(row.replace)} | ${formatCount(row.delete)} |`,
    );
    return [
        section("types", 50, "Changes by resource type", rows, {
            intro: ["| type | create | update | replace | delete |", "| --- | ---: | ---: | ---: | ---: |"],
            unit: "type",
        }),
    ];
}
