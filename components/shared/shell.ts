/**
 * Quotes a value for POSIX `sh`: single quotes, with each embedded `'` closed, escaped and reopened.
 * Every script this project composes (host nginx, Podman runner hosts, the canary's CLI wrapper)
 * quotes with this one function, so a fix here reaches all of them.
 * @internal
 */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}
