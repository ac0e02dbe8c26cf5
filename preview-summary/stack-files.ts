import { existsSync, readFileSync } from "node:fs";

import { parse as parseYaml } from "yaml";

import { parsePlainConfig, SECRET_KEYS } from "../config/schema";
import { PROJECT, type RawStackConfig, stackValues } from "../config/stack-values";
import { type CanaryPlan, canaryPlan } from "./canary-plan";

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` from disk, without the engine: which config keys are
 * secret, and the canary plan of the stack's plain config.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);

/** What the project and stack files say: the project name, secret keys, and the canary plan. */
export interface StackFiles {
    readonly project: string;
    readonly secretConfigKeys: ReadonlySet<string>;
    readonly canaryPlan?: CanaryPlan;
    readonly canaryPlanError?: string;
}

/** A key of a config file in full: a bare key belongs to the project. */
const fullKey = (project: string, key: string): string => (key.includes(":") ? key : `${project}:${key}`);

/** The project's name and the keys its config declares `secret: true`, the schema's secret keys among them. */
function readProjectFile(projectFile: string): { project: string; secretConfigKeys: Set<string> } {
    const projectDoc: unknown = parseYaml(readFileSync(projectFile, "utf8"));
    const project = isObject(projectDoc) && typeof projectDoc.name === "string" ? projectDoc.name : PROJECT;
    const secretConfigKeys = new Set<string>(Object.keys(SECRET_KEYS).map((key) => `${project}:${key}`));
    if (isObject(projectDoc) && isObject(projectDoc.config)) {
        for (const [key, decl] of Object.entries(projectDoc.config)) {
            if (isObject(decl) && decl.secret === true) {
                secretConfigKeys.add(fullKey(project, key));
            }
        }
    }
    return { project, secretConfigKeys };
}

/**
 * The stack file's config in the form the engine hands a program (strings, objects as JSON), so it
 * is read exactly as the program reads it. Keys stored `secure:` are added to `secretConfigKeys`.
 */
function engineConfig(stackDoc: unknown, project: string, secretConfigKeys: Set<string>): RawStackConfig {
    const config = isObject(stackDoc) && isObject(stackDoc.config) ? stackDoc.config : {};
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        if (isObject(value) && "secure" in value) {
            secretConfigKeys.add(fullKey(project, key));
        } else {
            raw[fullKey(project, key)] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return raw;
}

export function readStackFiles(projectFile: string, stackFile: string): StackFiles {
    const { project, secretConfigKeys } = readProjectFile(projectFile);
    if (!existsSync(stackFile)) {
        return { project, secretConfigKeys, canaryPlanError: `no stack config file ${stackFile}` };
    }
    const raw = engineConfig(parseYaml(readFileSync(stackFile, "utf8")), project, secretConfigKeys);
    const plain = stackValues(raw, { project, secretKeys: secretConfigKeys, secrets: "omit" });
    const parsed = parsePlainConfig(plain);
    if (!parsed.ok) {
        // Problems of plain keys only (secret keys were left out above), so no secret is quoted.
        const problems = parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
        return { project, secretConfigKeys, canaryPlanError: `the stack config is invalid (${problems})` };
    }
    return { project, secretConfigKeys, canaryPlan: canaryPlan(parsed.config) };
}
