/**
 * Annotations that waive a check of the manifest linter (kube-score) on one object, each with the
 * reason; the lint test fails on any finding without one.
 * @internal
 */
export const LINT_WAIVER_PREFIX = "lint.cicd.platform/waive.";

/** @internal */
export function lintWaivers(reasons: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(reasons).map(([check, reason]) => [`${LINT_WAIVER_PREFIX}${check}`, reason]),
    );
}

/**
 * kube-score 1.20 counts only a podAntiAffinity as spreading replicas; the components spread them
 * with a topology spread constraint (`replicaSpread`), which bounds the skew instead of merely
 * preferring other nodes.
 * @internal
 */
export const SPREAD_WAIVER = lintWaivers({
    "deployment-has-host-podantiaffinity":
        "replicas are spread over nodes by topologySpreadConstraints (maxSkew 1 on kubernetes.io/hostname), which this check does not read",
});

/**
 * A canary track is sized to its share of the traffic (`canaryReplicas`), often one pod. The router
 * reaches it through its Service with `max_fails` and nginx's default `proxy_next_upstream error`,
 * so while that pod is down its requests are retried on stable: one replica costs no availability.
 * @internal
 */
export const CANARY_REPLICAS_WAIVER = lintWaivers({
    "deployment-replicas":
        "the canary is sized to its traffic share; while its pod is down the router retries its requests on stable (max_fails, proxy_next_upstream)",
});
