import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["**/node_modules/", "dist/", "policy/dist/", "sdks/", "**/*.js", "**/*.mjs"] },
    ...tseslint.configs.strictTypeChecked,
    {
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // Pulumi resources are created for their side effect; the object is often not kept.
            "no-new": "off",
            "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
            // Dropping fields from a config section by destructuring before spreading the rest.
            // A defaults constant imported only for a doc comment's `@default {@link …}`: this rule
            // does not read doc comments, TypeScript's noUnusedLocals does (it counts the link as a
            // use and still reports such an import once nothing names it).
            "@typescript-eslint/no-unused-vars": [
                "error",
                { ignoreRestSiblings: true, varsIgnorePattern: "^([A-Z][A-Z0-9]*_)*DEFAULTS$|^APP_RESOURCES$" },
            ],
        },
    },
    {
        files: ["test/**/*.ts", "bench/**/*.ts"],
        rules: {
            // node:test's describe/it return promises the runner awaits itself.
            "@typescript-eslint/no-floating-promises": "off",
            "@typescript-eslint/no-non-null-assertion": "off",
        },
    },
);
