/**
 * Section `engine`: the real toolchain and control plane.
 *
 * - toolchain: `scripts/toolchain/bootstrap` on a warm cache (target: under 5 s);
 * - control plane: `cp start` to ready with warm binaries;
 * - local stack: `up` from empty, a no-change `up`, a canary-weight `up` (median of 3 each);
 * - previews: `pulumi preview` of the local stack with and without the policy pack (ratio).
 *
 * Cold builds (tens of minutes) are not repeated here; their figures are in scripts/toolchain and
 * scripts/control-plane READMEs.
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

import { isolatedEnv, policyFlags, ROOT, run, toolchainEnv } from "../test/integration/engine";
import { type BenchSection, median, type SectionResult, table } from "./section";

const RUNS = 3;
const WARM_BOOTSTRAP_TARGET_S = 5;

async function timed(label: string, action: () => Promise<{ code: number; stdout: string; stderr: string }>) {
    const start = performance.now();
    const result = await action();
    const ms = performance.now() - start;
    if (result.code !== 0) {
        throw new Error(`${label} failed (${result.code}): ${(result.stdout + result.stderr).slice(-2000)}`);
    }
    return ms;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

export const section: BenchSection = {
    name: "engine",
    title: "real engine: warm toolchain, control-plane start, local stack up/no-change/weight change, preview ± policy",
    unavailable: async () => {
        try {
            await toolchainEnv();
            return undefined;
        } catch (error) {
            return (error as Error).message;
        }
    },
    run: async (): Promise<SectionResult> => {
        const { env, dir } = await isolatedEnv({ apiserver: 27443, etcd: 23379 });
        const configFile = join(dir, "Pulumi.local.yaml");
        copyFileSync(join(ROOT, "Pulumi.local.yaml"), configFile);
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        const pulumi = (args: string[]) =>
            run("pulumi", [...args, "--stack", "local", "--non-interactive", "--config-file", configFile], env);
        try {
            const bootstrap = await timed("bootstrap", () => run("bash", ["scripts/toolchain/bootstrap"], env));
            const cpStart = await timed("cp start", () => run("bash", ["scripts/control-plane/cp", "start"], env));
            await timed("stack init", () => run("pulumi", ["stack", "select", "--create", "local"], env));
            const policy = await policyFlags("local", env);
            const up = (): Promise<number> => timed("up", () => pulumi(["up", "--yes", "--skip-preview", ...policy]));

            const fromEmpty: number[] = [];
            const noChange: number[] = [];
            const weightChange: number[] = [];
            const percents = ["50", "25"];
            for (let i = 0; i < RUNS; i++) {
                fromEmpty.push(await up());
                noChange.push(await up());
                await timed("config", () =>
                    pulumi(["config", "set", "--path", "cicd-platform:apps[0].canaryPercent", percents[i % 2] ?? "50"]),
                );
                weightChange.push(await up());
                await timed("destroy", () => pulumi(["destroy", "--yes", "--skip-preview"]));
            }
            const withPolicy: number[] = [];
            const withoutPolicy: number[] = [];
            for (let i = 0; i < RUNS; i++) {
                withoutPolicy.push(await timed("preview", () => pulumi(["preview"])));
                withPolicy.push(await timed("preview+policy", () => pulumi(["preview", ...policy])));
            }
            const ratio = median(withPolicy) / median(withoutPolicy);
            const pass = bootstrap / 1000 < WARM_BOOTSTRAP_TARGET_S;
            const rows = [
                ["toolchain bootstrap, warm", seconds(bootstrap)],
                ["control plane start to ready (warm binaries)", seconds(cpStart)],
                ["local up from empty (median of 3)", seconds(median(fromEmpty))],
                ["local up, no change (median of 3)", seconds(median(noChange))],
                ["local up, canary weight change (median of 3)", seconds(median(weightChange))],
                ["preview local without policy pack (median of 3)", seconds(median(withoutPolicy))],
                ["preview local with policy pack (median of 3)", seconds(median(withPolicy))],
            ];
            return {
                status: pass ? "pass" : "fail",
                lines: [
                    ...table(["measure", "seconds"], rows),
                    `preview with/without policy pack: ${ratio.toFixed(2)}x`,
                    `warm bootstrap under ${WARM_BOOTSTRAP_TARGET_S} s: ${pass ? "PASS" : "FAIL"}`,
                ],
                data: { bootstrap, cpStart, fromEmpty, noChange, weightChange, withPolicy, withoutPolicy, ratio },
            };
        } finally {
            await run("bash", ["scripts/control-plane/cp", "stop"], env);
            rmSync(dir, { recursive: true, force: true });
        }
    },
};
