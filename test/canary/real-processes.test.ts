/**
 * The canary cases on real nginx, real Prometheus, real backend processes and real load, deployed
 * WITHOUT the Pulumi engine: the stack is a real `Pulumi.<stack>.yaml` (FileConfigStack) and `up`
 * runs the fixture's track scripts and HostUpstream's command text in the engine's order
 * (directDeploy). Everything up to the engine is real; engine.test.ts runs the same cases through
 * the Automation API.
 */
import { join } from "node:path";
import { describe } from "node:test";

import { canaryCases } from "./cases";
import { FileConfigStack } from "./file-config-stack";
import { type CanaryLab, directDeploy, writeStackFile } from "./lab";
import type { StackFactory } from "./scenario";

const stackFileOf = (lab: CanaryLab): string => join(lab.settings.stateDir, "Pulumi.lab.yaml");

const directStack: StackFactory = async (lab, steps) => {
    const file = stackFileOf(lab);
    await writeStackFile(file, lab, steps);
    const stack = new FileConfigStack("lab", file, directDeploy(lab));
    await stack.up(); // stable 1.0.0, nginx routing to it
    return { stack, stackFile: file, dispose: () => Promise.resolve() };
};

describe("canary on real processes, without the engine", { timeout: 600_000 }, () => {
    canaryCases(directStack);
});
