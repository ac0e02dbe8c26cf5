/**
 * Is the router sending the canary the share it was told to? Flagger and Argo Rollouts users report
 * splits far from the set weight, and neither tool checks it; a canary judged on a share it never
 * got is judged on the wrong evidence. Pure: counts and a target in, a verdict out.
 *
 * The test: if the router sends each request to the canary with probability p (the step's target),
 * the canary's count c of n requests is Binomial(n, p). The observed share c/n is accepted when
 *
 *     |c/n − p| ≤ z · √(p(1 − p) / n) + 1 / (2n)
 *
 * with z = 3.29, the two-sided 99.9% quantile of the normal distribution (the normal approximation
 * of the binomial; 1/(2n) is its continuity correction). A correct router is then taken for a wrong
 * one in about 1 window in 1,000; nginx's weighted round-robin is deterministic, so its real spread is
 * narrower than the binomial's and the test errs on the side of a correct router. At a target of
 * 100% the tolerance is 1/(2n): a router that still sends stable anything is wrong.
 *
 * With sticky cohorts (`canary.stickyCookie`) the router draws once per client, not per request, so
 * the window's n requests are about n / D independent draws, D the requests one client sends in a
 * window (`canary.stickyRequestsPerClient`, the design effect of fully correlated clusters):
 *
 *     |c/n − p| ≤ z · √(p(1 − p) · D / n) + 1 / (2n)
 */

/** Two-sided 99.9% normal quantile. */
export const SPLIT_Z = 3.29;
/** The confidence {@link SPLIT_Z} stands for, as reports print it. */
export const SPLIT_CONFIDENCE = 0.999;

export interface SplitCheck {
    /** The step's canary share, 0-1. */
    readonly target: number;
    /** canary / (canary + stable) in the window; null without requests. */
    readonly observed: number | null;
    /** Requests of both tracks in the window (the binomial's n). */
    readonly sampleSize: number;
    /** Requests per independent draw: 1 per request, D per sticky client. */
    readonly designEffect: number;
    /** The largest accepted |observed − target|. */
    readonly tolerance: number;
    /** Whether the observed share is within the tolerance of the target. */
    readonly withinTolerance: boolean;
}

/** `z · √(p(1 − p) · D / n) + 1 / (2n)`; Infinity without requests (nothing can be concluded). */
export function splitTolerance(target: number, sampleSize: number, designEffect = 1, z = SPLIT_Z): number {
    if (!(target >= 0 && target <= 1)) {
        throw new RangeError(`target share ${String(target)} must be within 0-1`);
    }
    if (!(designEffect >= 1)) {
        throw new RangeError(`design effect ${String(designEffect)} must be at least 1`);
    }
    if (!(sampleSize > 0)) {
        return Number.POSITIVE_INFINITY;
    }
    return z * Math.sqrt((target * (1 - target) * designEffect) / sampleSize) + 1 / (2 * sampleSize);
}

/** Checks the observed canary share of a window against the step's target share. */
export function checkSplit(
    canaryRequests: number,
    stableRequests: number,
    target: number,
    designEffect = 1,
): SplitCheck {
    const sampleSize = canaryRequests + stableRequests;
    const tolerance = splitTolerance(target, sampleSize, designEffect);
    const observed = sampleSize > 0 ? canaryRequests / sampleSize : null;
    return {
        target,
        observed,
        sampleSize,
        designEffect,
        tolerance,
        withinTolerance: observed !== null && Math.abs(observed - target) <= tolerance,
    };
}

/** `10.0%` */
export function formatShare(value: number | null): string {
    return value === null ? "n/a" : `${(value * 100).toFixed(1)}%`;
}

/** `10.0% ± 3.9 pp` */
export function formatTarget(check: Pick<SplitCheck, "target" | "tolerance">): string {
    return Number.isFinite(check.tolerance)
        ? `${formatShare(check.target)} ± ${(check.tolerance * 100).toFixed(1)} pp`
        : formatShare(check.target);
}
