/**
 * Reads the three forges' pipeline files as data: for every call of a step script (ci/steps), the
 * variables the forge hands it. Shared by the Jenkins test and the test that compares the forges.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { parse } from "yaml";

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
    // The build container's own environment (the agent pod), where every stage runs.
    const pod = parse(readFileSync(JENKINS_AGENT_POD, "utf8")) as {
        spec: { containers: { name: string; env?: { name: string }[] }[] };
    };
    const podEnv = (pod.spec.containers.find((c) => c.name === "build")?.env ?? []).map((e) => e.name);
    const global = [...podEnv, ...environmentNames(groovyBlock(pipeline.slice(0, stagesStart), "environment"))];
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
            const step = /(?:\$CICD_STEPS|ci\/steps)\/([a-z][a-z0-9-]*)/.exec(script)?.[1];
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

export const GITLAB_TEMPLATE = join(ROOT, "templates", "gitlab", "container-app.yml");
export const GITHUB_WORKFLOW = join(ROOT, ".github", "workflows", "container-app.yml");

/** A step script named in a shell text: `"$CICD_STEPS/<step>"` or `…/ci/steps/<step>`. */
const STEP_CALL = /(?:\$CICD_STEPS|\$\{CICD_STEPS\}|ci\/steps)\/([a-z][a-z0-9-]*)\b/g;

/** Names a shell text assigns (`NAME=… command`, `export NAME=…`): glue mapping one variable onto another. */
const assignedIn = (script: string): string[] =>
    [...script.matchAll(/(?:^|[\s;])(?:export\s+)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);

/** Upper-case variable names of a `variables:`/`env:` mapping. */
const keysOf = (value: unknown): string[] =>
    typeof value === "object" && value !== null ? Object.keys(value).filter((k) => /^[A-Z][A-Z0-9_]*$/.test(k)) : [];

/**
 * The CI/CD variables the GitLab template's header says the project sets (every upper-case name
 * on the header's comment lines from "CI/CD variables" to `spec:`): every job has them.
 */
export function gitlabProjectVariables(text: string): string[] {
    const header = text.slice(text.indexOf("# CI/CD variables"), text.indexOf("\nspec:"));
    return [
        ...new Set(
            header
                .split("\n")
                .filter((line) => line.startsWith("#"))
                .flatMap((line) =>
                    [...line.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g)].map((m) => m[1] as string),
                ),
        ),
    ];
}

type Job = Record<string, unknown>;

/** The step calls of the GitLab template: job variables (through `extends`), project variables, dotenv hand-overs. */
export function gitlabStepCalls(text = readFileSync(GITLAB_TEMPLATE, "utf8")): StepCall[] {
    const body = parse(text.slice(text.indexOf("\n---\n") + 5)) as Record<string, Job>;
    const project = gitlabProjectVariables(text);
    const variablesOf = (name: string): string[] => {
        const job = body[name] ?? {};
        const parents = job.extends === undefined ? [] : [job.extends].flat().map(String);
        return [...parents.flatMap(variablesOf), ...keysOf(job.variables)];
    };
    // A job's script is its own, else the last one among what it extends.
    const scriptOf = (name: string): unknown => {
        const job = body[name] ?? {};
        if (job.script !== undefined || job.extends === undefined) {
            return job.script;
        }
        let found: unknown = undefined;
        for (const parent of [job.extends].flat() as string[]) {
            found = scriptOf(parent) ?? found;
        }
        return found;
    };
    const dotenvOf = (name: string): string[] => {
        const job = body[name] ?? {};
        const reports = ((job.artifacts as Job | undefined)?.reports as Job | undefined)?.dotenv;
        return reports === undefined ? [] : ["IMAGE_DIGEST", "IMAGE_REFERENCE"];
    };
    const calls: StepCall[] = [];
    for (const [name, job] of Object.entries(body)) {
        if (name.startsWith(".") || typeof job !== "object") {
            continue;
        }
        const script = [scriptOf(name)]
            .flat()
            .filter((line) => typeof line === "string")
            .join("\n");
        const needs = [job.needs ?? []]
            .flat()
            .map((need) => (typeof need === "string" ? need : String((need as Job).job)));
        for (const match of script.matchAll(STEP_CALL)) {
            calls.push({
                forge: "gitlab",
                site: name,
                step: match[1] as string,
                variables: new Set(
                    [...project, ...variablesOf(name), ...needs.flatMap(dotenvOf), ...assignedIn(script)].filter(
                        (v) => v !== "CICD_STEPS",
                    ),
                ),
            });
        }
    }
    return calls;
}

/** The step calls of the GitHub workflow: workflow, job and step `env:`. */
export function githubStepCalls(text = readFileSync(GITHUB_WORKFLOW, "utf8")): StepCall[] {
    const workflow = parse(text) as {
        env?: Job;
        jobs: Record<string, { env?: Job; steps?: { name?: string; run?: string; env?: Job }[] }>;
    };
    const calls: StepCall[] = [];
    for (const [jobName, job] of Object.entries(workflow.jobs)) {
        for (const step of job.steps ?? []) {
            for (const match of (step.run ?? "").matchAll(STEP_CALL)) {
                calls.push({
                    forge: "github",
                    site: `${jobName}: ${step.name ?? ""}`,
                    step: match[1] as string,
                    variables: new Set(
                        [
                            ...keysOf(workflow.env),
                            ...keysOf(job.env),
                            ...keysOf(step.env),
                            ...assignedIn(step.run ?? ""),
                        ].filter((v) => v !== "CICD_STEPS"),
                    ),
                });
            }
        }
    }
    return calls;
}
