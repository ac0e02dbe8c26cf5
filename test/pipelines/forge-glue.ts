/**
 * Reads the three forges' pipeline files as data: for every call of a step script (ci/steps), the
 * variables the forge hands it. Shared by the Jenkins test and the test that compares the forges.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT } from "./tools";

export const JENKINS_LIBRARY = join(ROOT, "templates", "jenkins", "vars", "containerApp.groovy");
export const JENKINS_AGENT_POD = join(ROOT, "templates", "jenkins", "resources", "cicd-platform", "agent-pod.yaml");

export interface GroovyBlock {
    /** `stage('Name')` → Name; `environment` → environment. */
    readonly name: string;
    /** The text between the block's braces. */
    readonly body: string;
    /** Offset of the body in the text it was found in. */
    readonly start: number;
}

/** The text between the brace at `open` and its match (braces in strings are balanced in these files). */
function braceBody(text: string, open: number): string {
    let depth = 0;
    for (let i = open; i < text.length; i++) {
        if (text[i] === "{") {
            depth++;
        } else if (text[i] === "}") {
            depth--;
            if (depth === 0) {
                return text.slice(open + 1, i);
            }
        }
    }
    throw new Error(`unbalanced braces from offset ${open}`);
}

/** Every `stage('…') { … }` of a Groovy text, nested ones included, in order. */
export function groovyStages(text: string): GroovyBlock[] {
    const stages: GroovyBlock[] = [];
    for (const match of text.matchAll(/stage\('([^']+)'\)\s*\{/g)) {
        const open = match.index + match[0].length - 1;
        stages.push({ name: match[1] as string, body: braceBody(text, open), start: open + 1 });
    }
    return stages;
}

/** The first `keyword { … }` block directly in `text`, or undefined. */
export function groovyBlock(text: string, keyword: string): string | undefined {
    const match = new RegExp(`\\b${keyword}\\s*\\{`).exec(text);
    return match === null ? undefined : braceBody(text, match.index + match[0].length - 1);
}

/** Names assigned in an `environment { NAME = … }` block. */
function environmentNames(block: string | undefined): string[] {
    return [...(block ?? "").matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*=/gm)].map((m) => m[1] as string);
}

export interface StepCall {
    readonly forge: "gitlab" | "github" | "jenkins";
    /** Where: the job, step or stage name. */
    readonly site: string;
    readonly step: string;
    /** Variable names the forge hands the step. */
    readonly variables: ReadonlySet<string>;
}

/** The step calls of the Jenkins library: pipeline and stage environments, credentials bindings, image.env. */
export function jenkinsStepCalls(text = readFileSync(JENKINS_LIBRARY, "utf8")): StepCall[] {
    const pipeline = groovyBlock(text, "pipeline") ?? "";
    const stagesStart = pipeline.indexOf("stages {");
    const global = environmentNames(groovyBlock(pipeline.slice(0, stagesStart), "environment"));
    const calls: StepCall[] = [];
    for (const stage of groovyStages(pipeline)) {
        if (/\bstage\('/.test(stage.body)) {
            continue; // a stage of stages: its inner stages carry the calls
        }
        const own = environmentNames(groovyBlock(stage.body, "environment"));
        const bound = [
            ...stage.body.matchAll(/(?:variable|usernameVariable|passwordVariable): '([A-Z][A-Z0-9_]*)'/g),
        ].map((m) => m[1] as string);
        for (const call of stage.body.matchAll(/sh '([^']*)'/g)) {
            const script = call[1] as string;
            const step = /\$CICD_STEPS\/([a-z0-9-]+)/.exec(script)?.[1];
            if (step === undefined) {
                continue;
            }
            const exported = /\. \.\/image\.env && export ([A-Z_ ]+) &&/.exec(script)?.[1]?.split(" ") ?? [];
            calls.push({
                forge: "jenkins",
                site: stage.name,
                step,
                variables: new Set([...global, ...own, ...bound, ...exported].filter((v) => v !== "CICD_STEPS")),
            });
        }
    }
    return calls;
}
