import { UPSTREAM_TUNING_DEFAULTS } from "../shared/defaults";
import { isCookieName } from "../shared/validators";
import { trackWeights } from "./traffic-split";
import type { UpstreamTuning } from "./upstream-tuning";

/**
 * Pure renderers for the nginx configuration that splits traffic between a stable and a canary
 * backend. Both traffic targets (the Kubernetes ConfigMap and the host nginx written over
 * `@pulumi/command`) use these functions, so what is tested here is what runs.
 */

/** Server-level settings of the weighted upstream. */
export interface UpstreamOptions extends UpstreamTuning {
    /** Name of the `upstream` block. */
    readonly name: string;
    /** `host:port` of the stable backend. */
    readonly stable: string;
    /** `host:port` of the canary backend. */
    readonly canary: string;
    /** Share of requests for the canary, an integer percentage 0-100. */
    readonly canaryPercent: number;
}

const NGINX_NAME = /^[A-Za-z0-9_.-]+$/;
const BACKEND = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^unix:\/[^\s;{}]+$/;
/** The hash key of a sticky upstream: the client's cookie, or its first request's id. */
const COHORT_KEY = "$canary_cohort";
const COHORT_SET_COOKIE = "$canary_cohort_set_cookie";

function stickyCookieName(options: UpstreamTuning): string | undefined {
    const cookie = options.stickyCookie;
    if (cookie !== undefined && !isCookieName(cookie)) {
        throw new Error(
            `stickyCookie: "${cookie}" is not a cookie name nginx can read (a letter, then letters, digits or '_'; at most 64)`,
        );
    }
    return cookie;
}

function nonNegativeInteger(field: string, value: number): number {
    if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(`${field}: ${String(value)} must be a non-negative integer`);
    }
    return value;
}

/**
 * Renders the `upstream { … }` block. Servers at weight 0 are omitted: nginx rejects `weight=0`.
 * With `stickyCookie` it hashes `$canary_cohort`, which `renderNginxConfig` defines in the `http` block.
 */
export function renderUpstream(options: UpstreamOptions): string {
    if (!NGINX_NAME.test(options.name)) {
        throw new Error(`name: "${options.name}" is not a valid nginx upstream name (letters, digits, '_', '.', '-')`);
    }
    for (const [field, backend] of [
        ["stable", options.stable],
        ["canary", options.canary],
    ] as const) {
        if (!BACKEND.test(backend)) {
            throw new Error(`${field}: "${backend}" is not a host[:port] or unix:/path backend`);
        }
    }
    const weights = trackWeights(options.canaryPercent);
    const maxFails = nonNegativeInteger("maxFails", options.maxFails ?? UPSTREAM_TUNING_DEFAULTS.maxFails);
    const failTimeout = nonNegativeInteger(
        "failTimeoutSeconds",
        options.failTimeoutSeconds ?? UPSTREAM_TUNING_DEFAULTS.failTimeoutSeconds,
    );
    const keepalive = nonNegativeInteger("keepalive", options.keepalive ?? UPSTREAM_TUNING_DEFAULTS.keepalive);

    const servers = (
        [
            ["stable", options.stable, weights.stable],
            ["canary", options.canary, weights.canary],
        ] as const
    )
        .filter(([, , weight]) => weight > 0)
        .map(
            ([track, backend, weight]) =>
                `    server ${backend} weight=${weight} max_fails=${maxFails} fail_timeout=${failTimeout}s; # ${track}`,
        );
    // Ketama hashing gives each server points in proportion to its weight: the split stays.
    const hash = stickyCookieName(options) === undefined ? [] : [`    hash ${COHORT_KEY} consistent;`];
    const lines = [`upstream ${options.name} {`, ...hash, ...servers];
    if (keepalive > 0) {
        lines.push(`    keepalive ${keepalive};`);
    }
    lines.push("}");
    return lines.join("\n") + "\n";
}

/** Where nginx keeps its runtime files; differs between a container and a test prefix. */
export interface NginxPaths {
    /** pid file. @default "/tmp/nginx.pid" */
    readonly pidFile?: string;
    /** Directory for client bodies and proxy buffers. @default "/tmp" */
    readonly tempDir?: string;
    /** Access log target. @default "/dev/stdout" */
    readonly accessLog?: string;
    /** Error log target. @default "/dev/stderr" */
    readonly errorLog?: string;
}

export interface NginxConfigOptions extends UpstreamOptions, NginxPaths {
    /** Address nginx listens on, e.g. `8080` or `127.0.0.1:18080`. @default "8080" */
    readonly listen?: string;
    /** Worker processes. @default 1 */
    readonly workerProcesses?: number;
}

/**
 * Renders a complete `nginx.conf` for an unprivileged nginx with a read-only root filesystem: every
 * writable path points at `tempDir`, the only writable mount.
 */
export function renderNginxConfig(options: NginxConfigOptions): string {
    const tempDir = options.tempDir ?? "/tmp";
    const workers = options.workerProcesses ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
        throw new RangeError(`workerProcesses: ${String(workers)} must be a positive integer`);
    }
    const keepalive = (options.keepalive ?? UPSTREAM_TUNING_DEFAULTS.keepalive) > 0;
    const stickyCookie = stickyCookieName(options);
    return [
        `worker_processes ${workers};`,
        `pid ${options.pidFile ?? "/tmp/nginx.pid"};`,
        `error_log ${options.errorLog ?? "/dev/stderr"} warn;`,
        "events {",
        "    worker_connections 1024;",
        "}",
        "http {",
        `    access_log ${options.accessLog ?? "/dev/stdout"};`,
        `    client_body_temp_path ${tempDir}/client_body;`,
        `    proxy_temp_path ${tempDir}/proxy;`,
        `    fastcgi_temp_path ${tempDir}/fastcgi;`,
        `    uwsgi_temp_path ${tempDir}/uwsgi;`,
        `    scgi_temp_path ${tempDir}/scgi;`,
        "    server_tokens off;",
        ...cohortMaps(stickyCookie),
        indent(renderUpstream(options), 4),
        "    server {",
        `        listen ${options.listen ?? "8080"};`,
        "        location = /healthz {",
        "            access_log off;",
        '            return 200 "ok\\n";',
        "        }",
        "        location / {",
        `            proxy_pass http://${options.name};`,
        "            proxy_http_version 1.1;",
        ...(keepalive ? ['            proxy_set_header Connection "";'] : []),
        "            proxy_set_header Host $host;",
        "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        // Empty (and so not sent) for a client that has its cookie already.
        ...(stickyCookie === undefined ? [] : [`            add_header Set-Cookie ${COHORT_SET_COOKIE} always;`]),
        "        }",
        "    }",
        "}",
        "",
    ].join("\n");
}

/**
 * A client's cohort is its cookie; without one, its request id, handed back as the cookie, so the
 * first request and every later one hash alike.
 */
function cohortMaps(cookie: string | undefined): string[] {
    if (cookie === undefined) {
        return [];
    }
    return [
        `    map $cookie_${cookie} ${COHORT_KEY} {`,
        '        "" $request_id;',
        `        default $cookie_${cookie};`,
        "    }",
        `    map $cookie_${cookie} ${COHORT_SET_COOKIE} {`,
        `        "" "${cookie}=$request_id; Path=/; HttpOnly; SameSite=Lax";`,
        '        default "";',
        "    }",
    ];
}

function indent(text: string, spaces: number): string {
    const pad = " ".repeat(spaces);
    return text
        .trimEnd()
        .split("\n")
        .map((line) => pad + line)
        .join("\n");
}
