/**
 * Pure renderers for the private registry (CNCF Distribution 2.8): its `config.yml` and the
 * commands of a garbage-collection run (the htpasswd files are in `htpasswd.ts`). No Pulumi here,
 * so the component and the tests that start a real `docker-registry` process use exactly the same text.
 */

import { REGISTRY_CONFIG_DEFAULTS } from "../shared/defaults";

/** Options of one registry process's `config.yml`. */
export interface RegistryConfigOptions {
    /** `storage.filesystem.rootdirectory`: where blobs and manifests live. */
    readonly rootDirectory: string;
    /** `http.addr`, e.g. `:5000` or `127.0.0.1:5000`. */
    readonly addr: string;
    /** `auth.htpasswd.path`: the bcrypt htpasswd file this process accepts. */
    readonly htpasswdPath: string;
    /** `auth.htpasswd.realm`. @default {@link REGISTRY_CONFIG_DEFAULTS}.realm */
    readonly realm?: string;
    /** `storage.delete.enabled`: allow `DELETE` of manifests and blobs through the API. @default {@link REGISTRY_CONFIG_DEFAULTS}.deleteEnabled */
    readonly deleteEnabled?: boolean;
    /**
     * `storage.maintenance.readonly.enabled`: the process refuses every write (uploads, manifest
     * PUT, DELETE answer 405) and does not purge uploads. @default {@link REGISTRY_CONFIG_DEFAULTS}.readOnly
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
    /** `log.level`. @default {@link REGISTRY_CONFIG_DEFAULTS}.logLevel */
    readonly logLevel?: "error" | "warn" | "info" | "debug";
    /** `health.storagedriver.interval`, seconds: every response is a 503 while storage is unhealthy. @default {@link REGISTRY_CONFIG_DEFAULTS}.healthCheckIntervalSeconds */
    readonly healthCheckIntervalSeconds?: number;
    /** `health.storagedriver.threshold`: failed checks before the process reports unhealthy. @default {@link REGISTRY_CONFIG_DEFAULTS}.healthCheckThreshold */
    readonly healthCheckThreshold?: number;
    /**
     * `http.draintimeout`, seconds: on SIGTERM, requests in flight get this long to finish before
     * the process exits. @default undefined: the process exits at once
     */
    readonly drainTimeoutSeconds?: number;
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
    const interval = options.healthCheckIntervalSeconds ?? REGISTRY_CONFIG_DEFAULTS.healthCheckIntervalSeconds;
    const threshold = options.healthCheckThreshold ?? REGISTRY_CONFIG_DEFAULTS.healthCheckThreshold;
    if (!Number.isInteger(interval) || interval < 1) {
        throw new Error(`registry config: healthCheckIntervalSeconds: ${interval} is not a positive integer`);
    }
    if (!Number.isInteger(threshold) || threshold < 1) {
        throw new Error(`registry config: healthCheckThreshold: ${threshold} is not a positive integer`);
    }
    const readOnly = options.readOnly ?? REGISTRY_CONFIG_DEFAULTS.readOnly;

    const config: Yaml = {
        version: "0.1",
        log: { level: options.logLevel ?? REGISTRY_CONFIG_DEFAULTS.logLevel, fields: { service: "registry" } },
        storage: {
            filesystem: { rootdirectory: options.rootDirectory },
            delete: { enabled: options.deleteEnabled ?? REGISTRY_CONFIG_DEFAULTS.deleteEnabled },
            cache: options.blobDescriptorCache === true ? { blobdescriptor: "inmemory" } : undefined,
            maintenance: {
                // Only the writer purges abandoned uploads; a reader must not touch shared storage.
                uploadpurging: readOnly
                    ? { enabled: false }
                    : {
                          enabled: true,
                          age: REGISTRY_CONFIG_DEFAULTS.uploadPurgeAge,
                          interval: REGISTRY_CONFIG_DEFAULTS.uploadPurgeInterval,
                          dryrun: false,
                      },
                readonly: { enabled: readOnly },
            },
        },
        http: {
            addr: options.addr,
            secret: options.httpSecret,
            draintimeout: options.drainTimeoutSeconds === undefined ? undefined : `${options.drainTimeoutSeconds}s`,
            headers: { "X-Content-Type-Options": ["nosniff"] },
            tls:
                options.tlsCertificatePath !== undefined && options.tlsKeyPath !== undefined
                    ? { certificate: options.tlsCertificatePath, key: options.tlsKeyPath }
                    : undefined,
        },
        auth: { htpasswd: { realm: options.realm ?? REGISTRY_CONFIG_DEFAULTS.realm, path: options.htpasswdPath } },
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
    /** Let the push credential delete manifests through the API. @default {@link REGISTRY_CONFIG_DEFAULTS}.deleteEnabled */
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
export function renderRegistryConfigPair(options: RegistryPairOptions): {
    push: string;
    pull: string;
    /** The writer's config in read-only maintenance mode, which it serves while garbage collection runs. */
    pushReadOnly: string;
} {
    const deleteEnabled = options.deleteEnabled ?? false;
    // Blobs only ever disappear through API deletes or garbage collection; without both, a
    // descriptor cache can never go stale and saves a storage stat per request.
    const blobDescriptorCache = !deleteEnabled && options.garbageCollection !== true;
    const common = {
        // The writer is restarted read-only for each collection: let its uploads in flight finish.
        drainTimeoutSeconds: options.garbageCollection === true ? 10 : undefined,
        rootDirectory: options.rootDirectory,
        httpSecret: options.httpSecret,
        tlsCertificatePath: options.tlsCertificatePath,
        tlsKeyPath: options.tlsKeyPath,
        logLevel: options.logLevel,
        blobDescriptorCache,
    };
    const push = {
        ...common,
        addr: options.pushAddr,
        htpasswdPath: options.pushHtpasswdPath,
        deleteEnabled,
    };
    return {
        push: renderRegistryConfig({ ...push, readOnly: false }),
        pushReadOnly: renderRegistryConfig({ ...push, readOnly: true }),
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
 * @internal
 */
export function garbageCollectPrepareCommand(rootDirectory: string): string[] {
    const v2 = `${rootDirectory}/docker/registry/v2`;
    return ["mkdir", "-p", `${v2}/repositories`, `${v2}/blobs`];
}

/**
 * The command a garbage-collection run executes (the binary is `registry` in the image).
 * @internal
 */
export function garbageCollectCommand(binary: string, configPath: string, deleteUntagged: boolean): string[] {
    return [binary, "garbage-collect", ...(deleteUntagged ? ["--delete-untagged"] : []), configPath];
}
