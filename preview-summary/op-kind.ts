/** The operations a reviewer counts, and how the engine's many step ops fold onto them. */

export type OpKind = "create" | "update" | "replace" | "delete" | "same" | "read" | "import" | "refresh" | "other";

export const OP_KINDS: readonly OpKind[] = [
    "create",
    "update",
    "replace",
    "delete",
    "same",
    "read",
    "import",
    "refresh",
    "other",
];

export type OpCounts = Record<OpKind, number>;

/** Maps the engine's step ops (deploy.StepOp) onto the five a reviewer cares about, plus a few. */
export function opKind(op: string): OpKind {
    switch (op) {
        case "create":
        case "update":
        case "delete":
        case "same":
        case "read":
        case "import":
        case "refresh":
            return op;
        case "replace":
        case "create-replacement":
        case "delete-replaced":
        case "discard-replaced":
        case "remove-pending-replace":
            return "replace";
        case "read-replacement":
            return "read";
        case "import-replacement":
            return "import";
        case "discard":
            return "delete";
        default:
            return "other";
    }
}

export const emptyCounts = (): OpCounts => ({
    create: 0,
    update: 0,
    replace: 0,
    delete: 0,
    same: 0,
    read: 0,
    import: 0,
    refresh: 0,
    other: 0,
});

/** What "to change" means in the heading and the per-type table: reads, imports and refreshes do not count. */
export function changedCount(counts: Readonly<OpCounts>): number {
    return counts.create + counts.update + counts.replace + counts.delete;
}
