/** The `server` lines of nginx `upstream` blocks, with their `weight=` parameter as written. */
export interface UpstreamServer {
    readonly address: string;
    /** The text after `weight=`, or undefined when absent (nginx then uses 1). */
    readonly weight?: string;
    /** True for `backup` or `down` servers, which take no share of the split. */
    readonly inactive: boolean;
}

export interface Upstream {
    readonly name: string;
    readonly servers: readonly UpstreamServer[];
}

const UPSTREAM = /\bupstream\s+([^\s{]+)\s*\{([^}]*)\}/g;
const SERVER = /(?:^|[;{\s])server\s+([^\s;]+)([^;]*);/g;

/** Every upstream block of an nginx config (comments removed first). */
export function parseUpstreams(text: string): Upstream[] {
    const uncommented = text.replace(/#[^\n]*/g, "");
    const upstreams: Upstream[] = [];
    for (const block of uncommented.matchAll(UPSTREAM)) {
        const servers: UpstreamServer[] = [];
        for (const server of (block[2] ?? "").matchAll(SERVER)) {
            const params = (server[2] ?? "").trim().split(/\s+/);
            const weight = params.find((p) => p.startsWith("weight="))?.slice("weight=".length);
            servers.push({
                address: server[1] ?? "",
                weight,
                inactive: params.includes("backup") || params.includes("down"),
            });
        }
        upstreams.push({ name: block[1] ?? "", servers });
    }
    return upstreams;
}

/** True for a config text that an nginx would read (it has an upstream block). */
export function hasUpstream(text: string): boolean {
    return /\bupstream\s+[^\s{]+\s*\{/.test(text);
}
