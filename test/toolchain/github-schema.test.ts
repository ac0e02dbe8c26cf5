/**
 * Our github plugin (tools/provider-github, built by scripts/toolchain/bootstrap) stands in for
 * Pulumi's under the version of the pinned @pulumi/github, whose SDK runs unmodified against it. Our
 * mapping is not byte-identical to Pulumi's, so for every @pulumi/github class the project uses
 * (found by scanning its sources for `github.<Class>`), this checks against the schema the
 * installed plugin serves: the type token exists, and every property of the SDK's `<Class>Args`
 * exists as an input with the same type (nested object types property by property) and the same
 * optionality, and the plugin requires no input the SDK does not declare.
 *
 * The schema comes from the installed plugin itself (`pulumi package get-schema <plugin>`), or, with
 * no CLI built, from the schema.json tfgen wrote beside it. Without the plugin the tests skip,
 * saying why.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";

import ts from "typescript";

const ROOT = resolve(__dirname, "../..");
const SDK = join(ROOT, "node_modules/@pulumi/github");
/** Where the project constructs GitHub resources. */
const SOURCES = ["index.ts", "components", "platform"];
const run = promisify(execFile);

interface TypeSpec {
    type?: string;
    $ref?: string;
    items?: TypeSpec;
    additionalProperties?: TypeSpec;
    oneOf?: TypeSpec[];
}
interface ObjectSpec {
    properties?: Record<string, TypeSpec>;
    required?: string[];
    inputProperties?: Record<string, TypeSpec>;
    requiredInputs?: string[];
}
interface Schema {
    name: string;
    version?: string;
    provider: ObjectSpec;
    resources: Record<string, ObjectSpec>;
    types: Record<string, ObjectSpec>;
}

const sdkVersion = (JSON.parse(readFileSync(join(SDK, "package.json"), "utf8")) as { version: string }).version;
const toolchain = join(process.env.CICD_CACHE ?? join(homedir(), ".cache/cicd-platform"), "toolchain");
const plugin = join(toolchain, `pulumi-home/plugins/resource-github-v${sdkVersion}/pulumi-resource-github`);
const skipReason = existsSync(plugin)
    ? undefined
    : `no github plugin v${sdkVersion} installed at ${plugin}: run scripts/toolchain/bootstrap --offline`;

/** The names after `github.` in the project's sources that are resource classes of the SDK. */
function usedClasses(): string[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@pulumi/github") as Record<string, { __pulumiType?: unknown } | undefined>;
    const found = new Set<string>();
    const scan = (path: string): void => {
        if (!existsSync(path)) return;
        if (statSync(path).isDirectory()) {
            for (const entry of readdirSync(path)) scan(join(path, entry));
        } else if (path.endsWith(".ts") && readFileSync(path, "utf8").includes("@pulumi/github")) {
            for (const m of readFileSync(path, "utf8").matchAll(/\bgithub\.([A-Z]\w*)\b/g)) found.add(m[1]!);
        }
    };
    for (const source of SOURCES) scan(join(ROOT, source));
    return [...found].filter((name) => typeof sdk[name]?.__pulumiType === "string").sort();
}

function pulumiType(name: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("@pulumi/github") as Record<string, { __pulumiType: string }>)[name]!.__pulumiType;
}

const parsed = new Map<string, ts.SourceFile>();
function declarations(file: string): ts.SourceFile {
    let sf = parsed.get(file);
    if (sf === undefined) {
        sf = ts.createSourceFile(file, readFileSync(join(SDK, file), "utf8"), ts.ScriptTarget.Latest, true);
        parsed.set(file, sf);
    }
    return sf;
}

function iface(file: string, name: string): ts.InterfaceDeclaration {
    const found = declarations(file).statements.find(
        (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name,
    );
    assert.ok(found, `${file} declares no interface ${name}`);
    return found;
}

/** The SDK's declaration file of a resource: the token's middle part (`index/<file>`), or provider. */
function declarationFile(name: string, token: string): string {
    return name === "Provider" ? "provider.d.ts" : `${token.split(":")[1]!.split("/").pop()!}.d.ts`;
}

/** `pulumi.Input<T>` -> T, `T | undefined` -> T, parentheses dropped. */
function unwrap(node: ts.TypeNode): ts.TypeNode {
    if (ts.isParenthesizedTypeNode(node)) return unwrap(node.type);
    if (
        ts.isTypeReferenceNode(node) &&
        node.typeName.getText() === "pulumi.Input" &&
        node.typeArguments?.length === 1
    ) {
        return unwrap(node.typeArguments[0]!);
    }
    if (ts.isUnionTypeNode(node)) {
        const rest = node.types.filter((t) => t.kind !== ts.SyntaxKind.UndefinedKeyword);
        if (rest.length === 1) return unwrap(rest[0]!);
    }
    return node;
}

const refName = (ref: string): string => ref.split(":").pop()!;

/** Differences between a TS type and a schema type, as "<path>: <why>" lines (empty: the same). */
function compareType(
    path: string,
    node: ts.TypeNode,
    spec: TypeSpec | undefined,
    schema: Schema,
    seen: Set<string>,
): string[] {
    if (spec === undefined) return [`${path}: missing from our schema`];
    const t = unwrap(node);
    const text = t.getText();
    const mismatch = (): string[] => [`${path}: SDK has ${text}, our schema has ${JSON.stringify(spec)}`];
    switch (t.kind) {
        case ts.SyntaxKind.StringKeyword:
            return spec.type === "string" ? [] : mismatch();
        case ts.SyntaxKind.BooleanKeyword:
            return spec.type === "boolean" ? [] : mismatch();
        case ts.SyntaxKind.NumberKeyword:
            return spec.type === "integer" || spec.type === "number" ? [] : mismatch();
        case ts.SyntaxKind.AnyKeyword:
            return spec.$ref === "pulumi.json#/Any" ? [] : mismatch();
    }
    if (ts.isArrayTypeNode(t)) {
        return spec.type === "array" ? compareType(`${path}[]`, t.elementType, spec.items, schema, seen) : mismatch();
    }
    if (ts.isTypeLiteralNode(t) && t.members.length === 1 && ts.isIndexSignatureDeclaration(t.members[0]!)) {
        const value = t.members[0].type;
        return spec.type === "object" && spec.additionalProperties !== undefined
            ? compareType(`${path}{}`, value, spec.additionalProperties, schema, seen)
            : mismatch();
    }
    if (ts.isTypeReferenceNode(t) && ts.isQualifiedName(t.typeName) && t.typeName.left.getText() === "inputs") {
        const name = t.typeName.right.text;
        if (spec.$ref === undefined || refName(spec.$ref) !== name) return mismatch();
        const token = spec.$ref.replace(/^#\/types\//, "");
        if (seen.has(token)) return [];
        seen.add(token);
        const object = schema.types[token];
        if (object === undefined) return [`${path}: our schema refers to ${token}, which it does not define`];
        return compareObject(
            path,
            iface("types/input.d.ts", name),
            object.properties ?? {},
            object.required ?? [],
            schema,
            seen,
        );
    }
    return [`${path}: cannot compare the SDK's type ${text} (extend this test)`];
}

/** Property by property: same names, same optionality, same types; nothing required beyond the SDK. */
function compareObject(
    path: string,
    decl: ts.InterfaceDeclaration,
    props: Record<string, TypeSpec>,
    required: string[],
    schema: Schema,
    seen: Set<string>,
): string[] {
    const problems: string[] = [];
    const declared = new Set<string>();
    for (const member of decl.members) {
        if (!ts.isPropertySignature(member) || member.type === undefined) continue;
        const name = member.name.getText();
        declared.add(name);
        problems.push(...compareType(`${path}.${name}`, member.type, props[name], schema, seen));
        if (props[name] !== undefined && (member.questionToken === undefined) !== required.includes(name)) {
            problems.push(
                `${path}.${name}: ${member.questionToken ? "optional" : "required"} in the SDK, not in our schema`,
            );
        }
    }
    for (const name of required) {
        if (!declared.has(name)) problems.push(`${path}.${name}: our schema requires it, the SDK does not declare it`);
    }
    return problems;
}

async function loadSchema(): Promise<{ schema: Schema; source: string }> {
    const cli = [
        join(toolchain, "bin/pulumi"),
        ...readdirSync(toolchain)
            .filter((d) => /^pulumi-\d/.test(d))
            .map((d) => join(toolchain, d, "pulumi")),
    ].find(existsSync);
    if (cli !== undefined) {
        const { stdout } = await run(cli, ["package", "get-schema", plugin], {
            maxBuffer: 256 * 1024 * 1024,
            env: {
                ...process.env,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            },
        });
        return { schema: JSON.parse(stdout) as Schema, source: `${cli} package get-schema ${plugin}` };
    }
    const file = join(toolchain, `github-${sdkVersion}/schema.json`);
    return { schema: JSON.parse(readFileSync(file, "utf8")) as Schema, source: file };
}

it("pins the github plugin at the version of the @pulumi/github the project depends on", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
        dependencies: Record<string, string>;
    };
    const pins = readFileSync(join(ROOT, "scripts/toolchain/versions.env"), "utf8");
    assert.equal(/^GITHUB_VERSION=(.*)$/m.exec(pins)?.[1], pkg.dependencies["@pulumi/github"]);
    assert.equal(sdkVersion, pkg.dependencies["@pulumi/github"], "node_modules is not what package.json pins: npm ci");
});

describe(`our github plugin against @pulumi/github ${sdkVersion}`, { skip: skipReason }, () => {
    let schema: Schema;
    before(async () => {
        const loaded = await loadSchema();
        schema = loaded.schema;
        console.log(`# schema from ${loaded.source}`);
    });

    it("serves the schema of package github under the SDK's version", () => {
        assert.equal(schema.name, "github");
        assert.equal(schema.version ?? sdkVersion, sdkVersion); // tfgen's own schema.json has none
    });

    const classes = skipReason === undefined ? usedClasses() : [];
    it("finds the classes the project uses", () => {
        for (const expected of ["Provider", "RepositoryEnvironment", "ActionsEnvironmentSecret"]) {
            assert.ok(
                classes.includes(expected),
                `${expected} not found in ${SOURCES.join(", ")}: ${classes.join(", ")}`,
            );
        }
    });

    for (const name of classes) {
        it(`${name}: token and every input of ${name}Args`, () => {
            const token = pulumiType(name);
            const spec = name === "Provider" ? schema.provider : schema.resources[token];
            assert.ok(spec, `our schema has no resource ${token}`);
            const args = iface(declarationFile(name, token), `${name}Args`);
            const problems = compareObject(
                name,
                args,
                spec.inputProperties ?? {},
                spec.requiredInputs ?? [],
                schema,
                new Set(),
            );
            assert.deepEqual(problems, [], `${name} (${token}) differs from @pulumi/github ${sdkVersion}`);
        });
    }

    it("reports how the rest of the SDK compares (informational)", (t) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const sdk = require("@pulumi/github") as Record<string, { __pulumiType?: unknown }>;
        const names = Object.keys(sdk).filter((k) => typeof sdk[k]?.__pulumiType === "string" && k !== "Provider");
        const missing: string[] = [];
        const differing: string[] = [];
        for (const name of names) {
            const token = sdk[name]!.__pulumiType as string;
            const spec = schema.resources[token];
            if (spec === undefined) {
                missing.push(token);
                continue;
            }
            const args = iface(declarationFile(name, token), `${name}Args`);
            const problems = compareObject(
                name,
                args,
                spec.inputProperties ?? {},
                spec.requiredInputs ?? [],
                schema,
                new Set(),
            );
            if (problems.length > 0) differing.push(...problems);
        }
        t.diagnostic(
            `resources: ${names.length - missing.length}/${names.length} SDK tokens in our schema; missing: ${missing.join(", ") || "none"}`,
        );
        t.diagnostic(`resource inputs differing: ${differing.join("; ") || "none"}`);
        // Functions: the tokens the SDK invokes, read from its JavaScript.
        const invoked = new Set<string>();
        for (const file of readdirSync(SDK).filter((f) => f.endsWith(".js"))) {
            for (const m of readFileSync(join(SDK, file), "utf8").matchAll(/invoke(?:Output)?\("(github:[^"]+)"/g))
                invoked.add(m[1]!);
        }
        const functions = (schema as Schema & { functions?: Record<string, unknown> }).functions ?? {};
        const absent = [...invoked].filter((tok) => functions[tok] === undefined).sort();
        t.diagnostic(
            `functions: ${invoked.size - absent.length}/${invoked.size} SDK tokens in our schema; missing: ${absent.join(", ") || "none"}`,
        );
    });
});
