/** What the GitLab engine tests need built: the CLI and our gitlab plugin at the SDK's version. */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const TOOLCHAIN = join(process.env.CICD_CACHE ?? join(homedir(), ".cache/cicd-platform"), "toolchain");
const sdkVersion = (require("@pulumi/gitlab/package.json") as { version: string }).version; // eslint-disable-line @typescript-eslint/no-require-imports
export const GITLAB_PLUGIN = join(
    TOOLCHAIN,
    "pulumi-home",
    `plugins/resource-gitlab-v${sdkVersion}/pulumi-resource-gitlab`,
);

/** A describe's `skip`: why its tests cannot run here (what is not built), or false. */
export function toolchainSkip(...alsoNeeded: string[]): string | false {
    const missing = [join(TOOLCHAIN, "bin", "pulumi"), GITLAB_PLUGIN, ...alsoNeeded].filter((f) => !existsSync(f));
    return missing.length > 0
        ? `toolchain not built (missing ${missing.join(", ")}): run scripts/toolchain/bootstrap --offline`
        : false;
}
