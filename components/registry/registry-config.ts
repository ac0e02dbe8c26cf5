import { createHmac } from "node:crypto";

import * as bcrypt from "bcryptjs";

/**
 * Pure renderers for the private registry (CNCF Distribution 2.8): its `config.yml` and its
 * htpasswd files. No Pulumi here, so the component and the tests that start a real
 * `docker-registry` process use exactly the same text.
 */

/** Options of one registry process's `config.yml`. */
export interface RegistryConfigOptions {
    /** `storage.filesystem.rootdirectory`: where blobs and manifests live. */
    readonly rootDirectory: string;
    /** `http.addr`, e.g. `:5000` or `127.0.0.1:5000`. */
    readonly addr: string;
    /** `auth.htpasswd.path`: the bcrypt htpasswd file this process accepts. */
    readonly htpasswdPath: string;
    /** `auth.htpasswd.realm`. @default "cicd-platform-registry" */
    readonly realm?: string;
    /** `storage.delete.enabled`: allow `DELETE` of manifests and blobs through the API. @default false */
    readonly deleteEnabled?: boolean;
    /**
     * `storage.maintenance.readonly.enabled`: the process refuses every write (uploads, manifest
     * PUT, DELETE answer 405) and does not purge uploads. @default false
     */
    readonly readOnly?: boolean;
    /**
     * `storage.cache.blobdescriptor: inmemory`. Unsafe when blobs can disappear (API deletes in
     * another process, garbage collection): a stale cache says a deleted blob exists. @default false
     */
    readonly blobDescriptorCache?: boolean;
    /**
     * `http.secret`, which signs upload state. Leave it out of a config that lands in a ConfigMap:
     * the process then takes it from the `REGISTRY_HTTP_SECRET` environment variable.
     */
    readonly httpSecret?: string;
    /** `http.tls.certificate`; TLS is on when both this and `tlsKeyPath` are set. */
    readonly tlsCertificatePath?: string;
    /** `http.tls.key`. */
    readonly tlsKeyPath?: string;
    /** `log.level`. @default "info" */
    readonly logLevel?: "error" | "warn" | "info" | "debug";
    /** `health.storagedriver.interval`, seconds: every response is a 503 while storage is unhealthy. @default 10 */
    readonly healthCheckIntervalSeconds?: number;
    /** `health.storagedriver.threshold`: failed checks before the process reports unhealthy. @default 3 */
    readonly healthCheckThreshold?: number;
}

type Yaml = string | number | boolean | readonly Yaml[] | { readonly [key: string]: Yaml | undefined };

/** Scalars are written as JSON strings: every JSON string is a valid YAML double-quoted scalar. */
function scalar(value: string | number | boolean): string {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function emit(value: Yaml, indent: string): string[] {
    if (Array.isArray(value)) {
        return (value as readonly Yaml[]).flatMap((item) => {
            if (typeof item === "object") {
                throw new Error("registry config: nested collections in a list are not supported");
            }
            return [`${indent}- ${scalar(item)}`];
        });
    }
    if (typeof value === "object") {
        return Object.entries(value as Record<string, Yaml | undefined>).flatMap(([key, child]) => {
            if (child === undefined) {
                return [];
            }
            if (typeof child === "object") {
                return [`${indent}${key}:`, ...emit(child, `${indent}  `)];
            }
            return [`${indent}${key}: ${scalar(child)}`];
        });
    }
    return [`${indent}${scalar(value)}`];
}

function requireText(field: string, value: string): void {
    if (value.trim() === "") {
        throw new Error(`registry config: ${field} must not be empty`);
    }
}

/** Renders one process's `config.yml`. */
export function renderRegistryConfig(options: RegistryConfigOptions): string {
    requireText("rootDirectory", options.rootDirectory);
    requireText("addr", options.addr);
    requireText("htpasswdPath", options.htpasswdPath);
    if ((options.tlsCertificatePath === undefined) !== (options.tlsKeyPath === undefined)) {
        throw new Error("registry config: tlsCertificatePath and tlsKeyPath go together");
    }
    const interval = options.healthCheckIntervalSeconds ?? 10;
    const threshold = options.healthCheckThreshold ?? 3;
    if (!Number.isInteger(interval) || interval < 1) {
        throw new Error(`registry config: healthCheckIntervalSeconds: ${interval} is not a positive integer`);
    }
    if (!Number.isInteger(threshold) || threshold < 1) {
        throw new Error(`registry config: healthCheckThreshold: ${threshold} is not a positive integer`);
    }
    const readOnly = options.readOnly ?? false;

    const config: Yaml = {
        version: "0.1",
        log: { level: options.logLevel ?? "info", fields: { service: "registry" } },
        storage: {
            filesystem: { rootdirectory: options.rootDirectory },
            delete: { enabled: options.deleteEnabled ?? false },
            cache: options.blobDescriptorCache === true ? { blobdescriptor: "inmemory" } : undefined,
            maintenance: {
                // Only the writer purges abandoned uploads; a reader must not touch shared storage.
                uploadpurging: readOnly
                    ? { enabled: false }
                    : { enabled: true, age: "168h", interval: "24h", dryrun: false },
                readonly: { enabled: readOnly },
            },
        },
        http: {
            addr: options.addr,
            secret: options.httpSecret,
            headers: { "X-Content-Type-Options": ["nosniff"] },
            tls:
                options.tlsCertificatePath !== undefined && options.tlsKeyPath !== undefined
                    ? { certificate: options.tlsCertificatePath, key: options.tlsKeyPath }
                    : undefined,
        },
        auth: { htpasswd: { realm: options.realm ?? "cicd-platform-registry", path: options.htpasswdPath } },
        health: { storagedriver: { enabled: true, interval: `${interval}s`, threshold } },
    };
    return `${emit(config, "").join("\n")}\n`;
}

/** The two processes of the private registry, which share one storage directory. */
export interface RegistryPairOptions {
    readonly rootDirectory: string;
    /** `http.addr` of the writer (the push credential's endpoint). */
    readonly pushAddr: string;
    /** `http.addr` of the read-only process (the pull credential's endpoint). */
    readonly pullAddr: string;
    /** htpasswd holding only the push user. */
    readonly pushHtpasswdPath: string;
    /** htpasswd holding only the pull user. */
    readonly pullHtpasswdPath: string;
    /** Let the push credential delete manifests through the API. @default false */
    readonly deleteEnabled?: boolean;
    /** Whether garbage collection runs against this storage. @default false */
    readonly garbageCollection?: boolean;
    readonly httpSecret?: string;
    readonly tlsCertificatePath?: string;
    readonly tlsKeyPath?: string;
    readonly logLevel?: RegistryConfigOptions["logLevel"];
}

/**
 * Distribution's htpasswd auth has no per-user permissions: anyone it authenticates may push.
 * The pull credential is therefore held by a second process in read-only maintenance mode,
 * which serves the same storage and has no handler for any write method. The push process
 * knows only the push user; the pull process knows only the pull user.
 */
export function renderRegistryConfigPair(options: RegistryPairOptions): { push: string; pull: string } {
    const deleteEnabled = options.deleteEnabled ?? false;
    // Blobs only ever disappear through API deletes or garbage collection; without both, a
    // descriptor cache can never go stale and saves a storage stat per request.
    const blobDescriptorCache = !deleteEnabled && options.garbageCollection !== true;
    const common = {
        rootDirectory: options.rootDirectory,
        httpSecret: options.httpSecret,
        tlsCertificatePath: options.tlsCertificatePath,
        tlsKeyPath: options.tlsKeyPath,
        logLevel: options.logLevel,
        blobDescriptorCache,
    };
    return {
        push: renderRegistryConfig({
            ...common,
            addr: options.pushAddr,
            htpasswdPath: options.pushHtpasswdPath,
            deleteEnabled,
            readOnly: false,
        }),
        pull: renderRegistryConfig({
            ...common,
            addr: options.pullAddr,
            htpasswdPath: options.pullHtpasswdPath,
            deleteEnabled: false,
            readOnly: true,
        }),
    };
}

/**
 * Distribution 2.8's collector fails with "Path not found: /docker/registry/v2/repositories" (then
 * `…/blobs`) on storage that never held an image, so a scheduled run on a new registry would fail
 * until the first push. Running this first (same uid, same volume) makes that run a no-op success.
 */
export function garbageCollectPrepareCommand(rootDirectory: string): string[] {
    const v2 = `${rootDirectory}/docker/registry/v2`;
    return ["mkdir", "-p", `${v2}/repositories`, `${v2}/blobs`];
}

/** The command a garbage-collection run executes (the binary is `registry` in the image). */
export function garbageCollectCommand(binary: string, configPath: string, deleteUntagged: boolean): string[] {
    return [binary, "garbage-collect", ...(deleteUntagged ? ["--delete-untagged"] : []), configPath];
}

/** What an htpasswd user name may be: Basic auth splits on the first ':'. */
export const REGISTRY_USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Lowest and highest bcrypt cost accepted. Distribution 2.8 checks the hash on every request,
 * without caching (distribution/distribution#3017): measured here, an authenticated request took
 * about 60 ms at cost 8, 280 ms at cost 10 and 1.2 s at cost 12, and a pull makes one request per
 * layer plus three or four. Above 12 the registry is unusable.
 */
export const BCRYPT_COST_RANGE = { min: 4, max: 12 } as const;

/** The default cost: cheap per request, and ample for the random passwords required below. */
export const DEFAULT_BCRYPT_COST = 8;

/**
 * Shortest password accepted. These are machine credentials: with 16+ random characters (about
 * 95 bits), guessing is infeasible whatever the bcrypt cost, which is what lets the cost stay low.
 */
export const MIN_PASSWORD_LENGTH = 16;

/**
 * The bcrypt salt of one user, derived instead of drawn at random so the same inputs give the
 * same htpasswd and `pulumi up` does not replace the Secret (and restart the registry) each run.
 *
 * It depends on a per-registry secret key and the user name, NOT on the password: a salt that
 * were a fast function of the password would let anyone who reads the htpasswd test guesses at
 * HMAC speed against the salt and so skip bcrypt's cost.
 */
export function deterministicBcryptSalt(key: string, username: string, cost: number): string {
    if (!Number.isInteger(cost) || cost < BCRYPT_COST_RANGE.min || cost > BCRYPT_COST_RANGE.max) {
        throw new Error(`bcrypt cost ${cost} is not an integer ${BCRYPT_COST_RANGE.min}-${BCRYPT_COST_RANGE.max}`);
    }
    if (key === "") {
        throw new Error("the htpasswd salt key must not be empty");
    }
    const digest = createHmac("sha256", key).update(`cicd-platform/registry/htpasswd-salt\0${username}`).digest();
    const salt = bcrypt.encodeBase64(digest.subarray(0, 16), 16);
    // `$2y$` is what `htpasswd -B` writes; Go's x/crypto/bcrypt (Distribution) reads it too.
    return `$2y$${String(cost).padStart(2, "0")}$${salt}`;
}

/** One `user:bcrypt-hash` line, stable for the same key, user, password and cost. */
export function htpasswdEntry(username: string, password: string, saltKey: string, cost: number): string {
    if (!REGISTRY_USERNAME.test(username)) {
        throw new Error(`htpasswd: user name "${username}" must match ${REGISTRY_USERNAME.source}`);
    }
    if (password.length < MIN_PASSWORD_LENGTH) {
        throw new Error(
            `htpasswd: the password of "${username}" has ${password.length} characters; use at least ` +
                `${MIN_PASSWORD_LENGTH} random ones (e.g. openssl rand -base64 24)`,
        );
    }
    if (bcrypt.truncates(password)) {
        throw new Error(`htpasswd: the password of "${username}" is longer than bcrypt's 72 bytes`);
    }
    return `${username}:${bcrypt.hashSync(password, deterministicBcryptSalt(saltKey, username, cost))}`;
}

/** An htpasswd file with one user. */
export function renderHtpasswd(username: string, password: string, saltKey: string, cost: number): string {
    return `${htpasswdEntry(username, password, saltKey, cost)}\n`;
}
