/** Pure arithmetic of a canary split: nginx weights and replica counts from one percentage. */

/** The integer weight each track gets; a track at 0 is left out of the upstream. */
export interface TrackWeights {
    readonly stable: number;
    readonly canary: number;
}

/** @internal */
export function assertPercent(field: string, value: number): void {
    const problem = percentProblem(value);
    if (problem !== undefined) {
        throw new RangeError(`${field}: ${problem}`);
    }
}

/** Why `value` is not a percentage (an integer 0-100), or undefined when it is one. */
export function percentProblem(value: number): string | undefined {
    return Number.isInteger(value) && value >= 0 && value <= 100
        ? undefined
        : `${String(value)} is not a percentage (an integer 0-100)`;
}

/**
 * Exact weights: the percentages themselves. The seed computed `int((1-w)*10)`, which turns 25% into
 * 7:2 (22% measured through nginx) and 100% into `weight=0`, a config nginx refuses.
 */
export function trackWeights(canaryPercent: number): TrackWeights {
    assertPercent("canaryPercent", canaryPercent);
    return { stable: 100 - canaryPercent, canary: canaryPercent };
}

/**
 * Canary replicas for a share of traffic: none at 0%, otherwise enough to carry that share of the
 * stable capacity, and at least one. The stable track keeps its full size until promotion, so a
 * rollback never waits for stable pods to start.
 */
export function canaryReplicas(stableReplicas: number, canaryPercent: number): number {
    assertPercent("canaryPercent", canaryPercent);
    if (!Number.isInteger(stableReplicas) || stableReplicas < 1) {
        throw new RangeError(`replicas: ${String(stableReplicas)} must be a positive integer`);
    }
    if (canaryPercent === 0) {
        return 0;
    }
    return Math.max(1, Math.ceil((stableReplicas * canaryPercent) / 100));
}
