/**
 * A real `pulumi preview` of two application repositories wired by ApplicationRepository: the
 * toolchain's CLI and language host, our bridged github plugin, offline, against the local GitHub
 * API stand-in. The preview must show each repository's deploy.yml (calling container-app.yml at the
 * pinned commit), its environments with production's reviewers, and the public key variable.
 * Skips, saying why, when the toolchain is not built.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";

import { writeTsProgram } from "../support/ts-program";
import { type GitHubApiStandIn, previewAgainstStandIn, startGitHubApiStandIn } from "../support/github-api-standin";
import { ROOT } from "./tools";

const toolchain = join(process.env.CICD_CACHE ?? join(homedir(), ".cache/cicd-platform"), "toolchain");
const bin = join(toolchain, "bin");
const home = join(toolchain, "pulumi-home");
const sdkVersion = (require("@pulumi/github/package.json") as { version: string }).version; // eslint-disable-line @typescript-eslint/no-require-imports
const plugin = join(home, `plugins/resource-github-v${sdkVersion}/pulumi-resource-github`);
const missing = [join(bin, "pulumi"), join(bin, "pulumi-language-nodejs"), plugin].filter((f) => !existsSync(f));
const SHA = "0123456789abcdef0123456789abcdef01234567";

const program = (components: string): string => `
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { ApplicationRepository } from ${JSON.stringify(components)};

const provider = new github.Provider("gh", {
    owner: "acme",
    token: "test-token",
    baseUrl: new pulumi.Config().require("baseUrl"),
});
const apps: Record<string, string> = { shop: "storefront", billing: "invoices" };
for (const [repository, app] of Object.entries(apps)) {
    new ApplicationRepository(\`app-\${repository}\`, {
        repository,
        apps: [{ app, image: \`team-a/\${app}\` }],
        platformRepository: "acme/platform",
        platformRef: "${SHA}",
        environments: ["staging", "production"],
        manageWorkflowFile: true,
        productionReviewerUserIds: [1],
        signingPublicKey: "-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----",
    }, { provider });
}
`;

interface Step {
    readonly op: string;
    readonly urn: string;
    readonly newState?: { readonly inputs?: Record<string, unknown> };
}

let work = "";
let api: GitHubApiStandIn | undefined;

before(async () => {
    work = await mkdtemp(join(tmpdir(), "app-repos-preview-"));
    api = await startGitHubApiStandIn("acme");
});
after(async () => {
    await api?.close();
    await rm(work, { recursive: true, force: true });
});

it("pulumi preview of two application repositories shows their deploy.yml and environments", async (t) => {
    if (missing.length > 0 || api === undefined) {
        t.skip(`not run here: toolchain not built (missing ${missing.join(", ")}): scripts/toolchain/bootstrap`);
        return;
    }
    const dir = join(work, "program");
    await mkdir(join(work, "state"), { recursive: true });
    writeTsProgram(dir, "app-repos-preview", program(join(ROOT, "components", "index")));
    const preview = await previewAgainstStandIn(dir, join(work, "state"), { bin, home }, api);
    const steps = (preview as { steps: Step[] }).steps.filter((s) => s.op === "create");
    const of = (type: string): Step[] => steps.filter((s) => s.urn.split("::")[2]?.endsWith(type));
    const files = of("github:index/repositoryFile:RepositoryFile").map((s) => s.newState?.inputs ?? {});
    assert.deepEqual(files.map((f) => [f.repository, f.file]).sort(), [
        ["billing", ".github/workflows/deploy.yml"],
        ["shop", ".github/workflows/deploy.yml"],
    ]);
    for (const file of files) {
        assert.match(
            String(file.content),
            new RegExp(`uses: "acme/platform/\\.github/workflows/container-app\\.yml@${SHA}"`),
        );
    }
    const environments = of("github:index/repositoryEnvironment:RepositoryEnvironment").map(
        (s) => s.newState?.inputs ?? {},
    );
    assert.deepEqual(environments.map((e) => `${String(e.repository)}/${String(e.environment)}`).sort(), [
        "billing/production",
        "billing/staging",
        "shop/production",
        "shop/staging",
    ]);
    assert.ok(environments.filter((e) => e.environment === "production").every((e) => Array.isArray(e.reviewers)));
    assert.equal(of("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable").length, 4);
});
