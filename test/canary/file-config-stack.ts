/**
 * A stand-in for an Automation API stack where the engine is not needed: config lives in a real
 * `Pulumi.<stack>.yaml` (read and written with the `yaml` package, in Pulumi's layout), `--path` keys
 * follow the CLI's rules (`apps[0].canaryPercent`; a value of digits becomes a number, "true"/"false"
 * booleans, as `pulumi config set --path` does), and `up` calls a function the test provides.
 *
 * Used by the unit tests of the stack driver and by the real-process test that runs without Pulumi.
 * The engine tests use the real `LocalWorkspace` instead.
 */
import { readFile, writeFile } from "node:fs/promises";

import type { ConfigMap } from "@pulumi/pulumi/automation";
import { type Document, parseDocument } from "yaml";

import type { StackLike } from "../../delivery/shared/open-stack";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `pulumi config set --path` turns "true"/"false" and integers without a leading 0 into typed values. */
export function adjustPathValue(value: string): Json {
    if (value === "true") {
        return true;
    }
    if (value === "false") {
        return false;
    }
    if (value.length > 1 && value.startsWith("0")) {
        return value;
    }
    if (/^-?[0-9]+$/.test(value)) {
        return Number(value);
    }
    return value;
}

/** `ns:a[0].b` → ["ns:a", 0, "b"]. */
export function parseKeyPath(key: string): (string | number)[] {
    const match = /^([^:]+:[^.[]+)(.*)$/.exec(key);
    if (!match) {
        throw new Error(`invalid config key path: ${key}`);
    }
    const parts: (string | number)[] = [match[1] as string];
    const rest = match[2] as string;
    const segment = /\.([^.[]+)|\[([0-9]+)\]/gy;
    let at = 0;
    while (at < rest.length) {
        segment.lastIndex = at;
        const found = segment.exec(rest);
        if (!found) {
            throw new Error(`invalid config key path: ${key}`);
        }
        parts.push(found[1] !== undefined ? found[1] : Number(found[2]));
        at = segment.lastIndex;
    }
    return parts;
}

export interface UpCall {
    readonly config: Record<string, Json>;
}

export class FileConfigStack implements StackLike {
    readonly ups: UpCall[] = [];

    constructor(
        readonly name: string,
        readonly file: string,
        private readonly onUp: (
            config: Record<string, Json>,
            log: (text: string) => void,
        ) => Promise<void> = async () => {
            // nothing deployed
        },
    ) {}

    private async load(): Promise<{ doc: Document; config: Record<string, Json> }> {
        const doc = parseDocument(await readFile(this.file, "utf8"));
        const config = (doc.toJS() as { config?: Record<string, Json> } | null)?.config ?? {};
        return { doc, config };
    }

    /** Edits the document in place (as the CLI edits its YAML nodes): comments and styles elsewhere stay. */
    private async save(doc: Document): Promise<void> {
        await writeFile(this.file, doc.toString({ lineWidth: 0, flowCollectionPadding: false }));
    }

    async getAllConfig(): Promise<ConfigMap> {
        const { config } = await this.load();
        const map: ConfigMap = {};
        for (const [key, value] of Object.entries(config)) {
            const secure = typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
            map[key] = secure
                ? { value: "[secret]", secret: true }
                : { value: typeof value === "string" ? value : JSON.stringify(value), secret: false };
        }
        return map;
    }

    async setAllConfig(values: ConfigMap, path?: boolean): Promise<void> {
        const { doc } = await this.load();
        for (const [key, entry] of Object.entries(values)) {
            if (entry.secret === true) {
                throw new Error("FileConfigStack does not encrypt: set secrets through a real stack");
            }
            const parts = path === true ? parseKeyPath(key) : [key];
            if (parts.length > 1 && !doc.hasIn(["config", ...parts.slice(0, -1)])) {
                throw new Error(`${key}: no container at ${parts.slice(0, -1).join(".")}`);
            }
            doc.setIn(["config", ...parts], path === true ? adjustPathValue(entry.value) : entry.value);
        }
        await this.save(doc);
    }

    async removeConfig(key: string, path?: boolean): Promise<void> {
        const { doc } = await this.load();
        const parts = path === true ? parseKeyPath(key) : [key];
        if (doc.hasIn(["config", ...parts])) {
            doc.deleteIn(["config", ...parts]);
            await this.save(doc);
        }
    }

    async up(opts?: { onOutput?: (out: string) => void }): Promise<unknown> {
        const { config } = await this.load();
        this.ups.push({ config: structuredClone(config) });
        await this.onUp(config, (text) => opts?.onOutput?.(text));
        return {};
    }
}
