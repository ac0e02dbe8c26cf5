/**
 * Per-server tuning of the nginx weighted upstream. Generic in the number type so the pure renderer
 * takes plain numbers and the components take `pulumi.Input<number>` of the very same fields.
 */
export interface UpstreamTuning<N = number> {
    /** nginx `max_fails` per server. @default {@link UPSTREAM_TUNING_DEFAULTS}.maxFails */
    readonly maxFails?: N;
    /** nginx `fail_timeout` per server, seconds. @default {@link UPSTREAM_TUNING_DEFAULTS}.failTimeoutSeconds */
    readonly failTimeoutSeconds?: N;
    /** Idle keepalive connections to the backends; 0 turns keepalive off. @default {@link UPSTREAM_TUNING_DEFAULTS}.keepalive */
    readonly keepalive?: N;
    /**
     * Name of a cookie that pins each client to one track: the upstream hashes it (`hash …
     * consistent`, which keeps the weights), and a client without it gets one set from its first
     * request's id. Unset, each request is routed on its own.
     */
    readonly stickyCookie?: string;
}
