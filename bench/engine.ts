/**
 * Section `engine`: the real toolchain and control plane, each local-stack figure beside the engine's
 * floor (an empty program, same toolchain, same run) and a breakdown of where the rest goes.
 *
 * - toolchain: `scripts/toolchain/bootstrap` on a warm cache (target: under 5 s);
 * - control plane: `cp start` to ready with warm binaries;
 * - local stack: `up` from empty, a no-change `up`, a canary-weight `up`, previews with and without
 *   the policy pack (median of 3 each), and the empty program's no-change `up` and preview;
 * - breakdown (one run each): the type check the program no longer pays, the TypeScript policy pack
 *   the pack no longer is, `--refresh`, and the API server's share (the same preview offline).
 *
 * Cold builds (tens of minutes) are not repeated here; their figures are in scripts/toolchain and
 * scripts/control-plane READMEs.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { isolatedEnv, OFFLINE_KUBECONFIG, policyFlags, ROOT, run, toolchainEnv } from "../test/support/engine";
import { emptyProgram } from "./empty-program";
import { sdkLaunchedPolicyPack, typeScriptPolicyPack } from "./policy-pack-copy";
import { type BenchSection, median, type SectionResult, table } from "./section";
import { addEnvironmentReleases } from "../test/integration/environment-releases";

const RUNS = 3;
const WARM_BOOTSTRAP_TARGET_S = 5;
const TARGETS = { noChangeVsFloor: 2, policyVsNone: 1.3, weightChangeOverNoChangeS: 3 } as const;

type Result = { code: number; stdout: string; stderr: string };

async function timed(label: string, action: () => Promise<Result>): Promise<number> {
    const start = performance.now();
    const result = await action();
    const ms = performance.now() - start;
    if (result.code !== 0) {
        throw new Error(`${label} failed (${result.code}): ${(result.stdout + result.stderr).slice(-2000)}`);
    }
    return ms;
}

async function medianOf(label: string, action: () => Promise<Result>): Promise<number> {
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        runs.push(await timed(label, action));
    }
    return median(runs);
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
const verdict = (ok: boolean): string => (ok ? "PASS" : "FAIL");

export const section: BenchSection = {
    name: "engine",
    title: "real engine: local stack against an empty program's floor, with a breakdown of the difference",
    unavailable: async () => {
        try {
            await toolchainEnv();
            return undefined;
        } catch (error) {
            return (error as Error).message;
        }
    },
    run: async (): Promise<SectionResult> => {
        const { env, dir } = await isolatedEnv({ apiserver: 30443, etcd: 30379 });
        const configFile = join(dir, "Pulumi.local.yaml");
        copyFileSync(join(ROOT, "Pulumi.local.yaml"), configFile);
        addEnvironmentReleases(configFile);
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        const offlineKubeconfig = join(dir, "offline.kubeconfig");
        writeFileSync(offlineKubeconfig, OFFLINE_KUBECONFIG);
        const pulumi = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
            run("pulumi", [...args, "--stack", "local", "--non-interactive", "--config-file", configFile], {
                ...env,
                ...extra,
            });
        const floor = await emptyProgram(env);
        const tsPack = typeScriptPolicyPack(dir);
        try {
            const bootstrap = await timed("bootstrap", () => run("bash", ["scripts/toolchain/bootstrap"], env));
            const cpStart = await timed("cp start", () => run("bash", ["scripts/control-plane/cp", "start"], env));
            await timed("stack init", () => run("pulumi", ["stack", "select", "--create", "local"], env));
            // The floor first: a broken floor should fail the section before the long runs.
            await timed("floor up", () => floor.pulumi(["up", "--yes", "--skip-preview"]));
            const floorUp = await medianOf("floor no-change up", () => floor.pulumi(["up", "--yes", "--skip-preview"]));
            const floorPreview = await medianOf("floor preview", () => floor.pulumi(["preview"]));
            const policy = await policyFlags("local", env);
            // After policyFlags, which compiles the pack: this copy carries its dist/.
            const sdkLaunchedPack = sdkLaunchedPolicyPack(dir);
            const up = (more: string[] = []) => pulumi(["up", "--yes", "--skip-preview", ...policy, ...more]);

            const fromEmpty = await timed("up from empty", () => up());
            const noChange = await medianOf("no-change up", () => up());
            const weightChanges: number[] = [];
            for (const percent of ["50", "25", "50"]) {
                await timed("config", () =>
                    pulumi(["config", "set", "--path", "cicd-platform:apps[0].canaryPercent", percent]),
                );
                weightChanges.push(await timed("weight-change up", () => up()));
            }
            const weightChange = median(weightChanges);
            const withoutPolicy = await medianOf("preview", () => pulumi(["preview"]));
            const withPolicy = await medianOf("preview+policy", () => pulumi(["preview", ...policy]));

            // Breakdown: one run each, beside the figure it explains.
            const typeChecked = await timed("preview, type-checked", () =>
                pulumi(["preview"], { PULUMI_NODEJS_TRANSPILE_ONLY: "false" }),
            );
            const tsPolicy = await timed("preview, TypeScript pack", () =>
                pulumi(["preview", "--policy-pack", tsPack.dir, ...policy.slice(2)]),
            );
            const sdkLaunched = await timed("preview, compiled pack, SDK's launcher", () =>
                pulumi(["preview", "--policy-pack", sdkLaunchedPack.dir, ...policy.slice(2)]),
            );
            const refreshed = await timed("no-change up --refresh", () => up(["--refresh"]));
            const offline = await timed("preview offline", () =>
                pulumi(["preview"], { KUBECONFIG: offlineKubeconfig }),
            );
            await timed("destroy", () => pulumi(["destroy", "--yes", "--skip-preview"]));

            const targets = {
                noChange: noChange <= TARGETS.noChangeVsFloor * floorUp,
                policy: withPolicy <= TARGETS.policyVsNone * withoutPolicy,
                weight: weightChange <= noChange + TARGETS.weightChangeOverNoChangeS * 1000,
            };
            const pass = bootstrap / 1000 < WARM_BOOTSTRAP_TARGET_S && Object.values(targets).every(Boolean);
            const rows = [
                ["toolchain bootstrap, warm", seconds(bootstrap), ""],
                ["control plane start to ready (warm binaries)", seconds(cpStart), ""],
                ["engine floor: empty program, no-change up (median of 3)", seconds(floorUp), "1.00x"],
                ["engine floor: empty program, preview (median of 3)", seconds(floorPreview), "1.00x"],
                ["local up from empty", seconds(fromEmpty), ratio(fromEmpty, floorUp)],
                ["local up, no change (median of 3)", seconds(noChange), ratio(noChange, floorUp)],
                ["local up, canary weight change (median of 3)", seconds(weightChange), ratio(weightChange, floorUp)],
                [
                    "preview local without policy pack (median of 3)",
                    seconds(withoutPolicy),
                    ratio(withoutPolicy, floorPreview),
                ],
                ["preview local with policy pack (median of 3)", seconds(withPolicy), ratio(withPolicy, floorPreview)],
            ];
            const breakdown = [
                [
                    "preview, program type-checked at run time (as before)",
                    seconds(typeChecked),
                    seconds(typeChecked - withoutPolicy),
                ],
                ["preview, policy pack as TypeScript (as before)", seconds(tsPolicy), seconds(tsPolicy - withPolicy)],
                [
                    "preview, compiled pack started by the SDK's launcher (ts-node)",
                    seconds(sdkLaunched),
                    seconds(sdkLaunched - withPolicy),
                ],
                ["no-change up with --refresh", seconds(refreshed), seconds(refreshed - noChange)],
                [
                    "preview against no API server (offline kubeconfig)",
                    seconds(offline),
                    seconds(withoutPolicy - offline),
                ],
            ];
            return {
                status: pass ? "pass" : "fail",
                lines: [
                    ...table(["measure", "seconds", "vs floor"], rows),
                    "",
                    ...table(["breakdown (one run each)", "seconds", "cost of it"], breakdown),
                    "  (cost: type check = type-checked - transpile-only preview; TS pack = TS - compiled;",
                    "   SDK's launcher = with it - with typescript: false;",
                    "   refresh = with - without; API server = real - offline preview)",
                    "",
                    `no-change up <= ${TARGETS.noChangeVsFloor}x floor: ${ratio(noChange, floorUp)} ${verdict(targets.noChange)}`,
                    `preview with/without policy pack <= ${TARGETS.policyVsNone}x: ${ratio(withPolicy, withoutPolicy)} ${verdict(targets.policy)}`,
                    `weight change <= no-change up + ${TARGETS.weightChangeOverNoChangeS} s: +${seconds(weightChange - noChange)} s ${verdict(targets.weight)}`,
                    `warm bootstrap under ${WARM_BOOTSTRAP_TARGET_S} s: ${verdict(bootstrap / 1000 < WARM_BOOTSTRAP_TARGET_S)}`,
                ],
                data: {
                    bootstrap,
                    cpStart,
                    fromEmpty,
                    noChange,
                    weightChanges,
                    withPolicy,
                    withoutPolicy,
                    floorUp,
                    floorPreview,
                    breakdown: { typeChecked, tsPolicy, sdkLaunched, refreshed, offline },
                },
            };
        } finally {
            floor.dispose();
            await run("bash", ["scripts/control-plane/cp", "stop"], env);
            rmSync(dir, { recursive: true, force: true });
        }
    },
};
