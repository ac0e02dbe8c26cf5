/**
 * Section `release`: a release stack (release/, the local demo storefront as tenant shop) against
 * the empty program's floor from the same run, with the whole local stack's `up` beside it.
 *
 * - floor: the empty program's no-change `up`, run right after each timed `up` of the stacks, so
 *   the machine's drift during the run (a busy minute, a warm cache) moves both alike; each ratio is
 *   the median of the stack's runs over the median of the floor runs beside them;
 * - local stack: `up` from empty (the environment stack: namespaces, tenants, registry credentials,
 *   runner), then its no-change `up` (median of 5);
 * - release stack: `up` from empty, a no-change `up` (median of 5) and a canary weight change of a
 *   running canary (median of 3), each with the policy pack, as every up of a release stack runs
 *   it, and with the tenant's credential from its own state backend; as a breakdown, the no-change
 *   `up` without the pack.
 *
 * Targets: no-change `up` of a release stack <= 1.5x the floor; a weight change <= floor + 3 s.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { isolatedEnv, policyFlags, ROOT, run, toolchainEnv } from "../test/support/engine";
import { emptyProgram } from "./empty-program";
import { type BenchSection, median, type SectionResult, table } from "./section";

const RUNS = 5;
const TARGETS = { noChangeVsFloor: 1.5, weightChangeOverFloorS: 3 } as const;
const RELEASE_STACK = "storefront-local";
const PASSPHRASE = "cicd-release-local-storefront";

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

/** A measure and the floor beside it: medians of runs each followed by one floor run. */
interface Paired {
    readonly ms: number;
    readonly floorMs: number;
}

/** Times `action` `runs` times, each time followed by a floor run (`prepare` untimed before each). */
async function paired(
    label: string,
    action: () => Promise<Result>,
    floor: () => Promise<Result>,
    { runs = RUNS, prepare }: { runs?: number; prepare?: (run: number) => Promise<Result> } = {},
): Promise<Paired & { runs: number[] }> {
    const times: number[] = [];
    const floors: number[] = [];
    for (let i = 0; i < runs; i++) {
        if (prepare !== undefined) await timed(`${label} (prepare)`, () => prepare(i));
        times.push(await timed(label, action));
        floors.push(await timed("floor no-change up", floor));
    }
    return { ms: median(times), floorMs: median(floors), runs: times };
}

async function json(result: Promise<Result>, what: string): Promise<unknown> {
    const out = await result;
    if (out.code !== 0) {
        throw new Error(`${what}: ${out.stderr}`);
    }
    return JSON.parse(out.stdout);
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
const verdict = (ok: boolean): string => (ok ? "PASS" : "FAIL");

export const section: BenchSection = {
    name: "release",
    title: "real engine: a release stack's no-change up and canary weight change against the empty program's floor",
    unavailable: async () => {
        try {
            await toolchainEnv();
            return undefined;
        } catch (error) {
            return (error as Error).message;
        }
    },
    run: async (): Promise<SectionResult> => {
        const { env, dir } = await isolatedEnv({ apiserver: 34443, etcd: 34379 });
        const localConfig = join(dir, "Pulumi.local.yaml");
        copyFileSync(join(ROOT, "Pulumi.local.yaml"), localConfig);
        const releaseConfig = join(dir, `Pulumi.${RELEASE_STACK}.yaml`);
        copyFileSync(join(ROOT, "release", `Pulumi.${RELEASE_STACK}.yaml`), releaseConfig);
        mkdirSync(join(dir, "state", "backend"), { recursive: true });
        const local = (args: string[]) =>
            run("pulumi", [...args, "--stack", "local", "--non-interactive", "--config-file", localConfig], env);
        // `stack output` takes no --config-file: outputs are the state's, not the config's.
        const localOutput = (name: string, secret = false) =>
            run(
                "pulumi",
                ["stack", "output", "--json", ...(secret ? ["--show-secrets"] : []), name, "--stack", "local"],
                env,
            );
        const floor = await emptyProgram(env);
        try {
            await timed("cp start", () => run("bash", ["scripts/control-plane/cp", "start"], env));
            await timed("stack init", () => run("pulumi", ["stack", "select", "--create", "local"], env));
            const floorUp = () => floor.pulumi(["up", "--yes", "--skip-preview"]);
            await timed("floor up", floorUp);

            const localPolicy = await policyFlags("local", env);
            const localUp = () => local(["up", "--yes", "--skip-preview", ...localPolicy]);
            const localFromEmpty = await paired("local up from empty", localUp, floorUp, { runs: 1 });
            const localNoChange = await paired("local no-change up", localUp, floorUp);

            // The release stack as tenant shop: its credential and state backend from the local stack.
            const settings = (await json(localOutput("releaseSettings"), "releaseSettings")) as {
                tenants: Record<string, { stateBackend: string }>;
            };
            const kubeconfigs = (await json(localOutput("tenantKubeconfigs", true), "tenantKubeconfigs")) as Record<
                string,
                string
            >;
            const backend = settings.tenants.shop?.stateBackend ?? "";
            mkdirSync(backend.replace(/^file:\/\//, ""), { recursive: true });
            const kubeconfig = join(dir, "shop.kubeconfig");
            writeFileSync(kubeconfig, kubeconfigs.shop ?? "", { mode: 0o600 });
            const tenantEnv = {
                ...env,
                PULUMI_BACKEND_URL: backend,
                KUBECONFIG: kubeconfig,
                PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            };
            const release = (args: string[]) =>
                run(
                    "pulumi",
                    [...args, "--stack", RELEASE_STACK, "--non-interactive", "--config-file", releaseConfig],
                    tenantEnv,
                    { cwd: join(ROOT, "release") },
                );
            const releasePolicy = (
                await run("bash", ["scripts/policy-args", "--release", RELEASE_STACK], env).then((r) => r.stdout)
            )
                .trim()
                .split("\n");
            await timed("release stack init", () =>
                run("pulumi", ["stack", "init", RELEASE_STACK, "--non-interactive"], tenantEnv, {
                    cwd: join(ROOT, "release"),
                }),
            );
            const releaseUp = () => release(["up", "--yes", "--skip-preview", ...releasePolicy]);
            const releaseFromEmpty = await paired("release up from empty", releaseUp, floorUp, { runs: 1 });
            const releaseNoChange = await paired("release no-change up", releaseUp, floorUp);
            // What the policy pack costs of it (an up without the pack is never run for real).
            const withoutPolicy = await paired(
                "release no-change up without the policy pack",
                () => release(["up", "--yes", "--skip-preview"]),
                floorUp,
            );
            // The canary starts first (its Deployment and Service are created): a weight change moves
            // the share of a canary that runs already, as each step of a promotion does.
            await timed("canary version", () =>
                release(["config", "set", "--path", "cicd-release:canary.canaryVersion", "1.1.0"]),
            );
            await timed("canary percent", () =>
                release(["config", "set", "--path", "cicd-release:canary.canaryPercent", "10"]),
            );
            await timed("canary start up", releaseUp);
            const percents = ["25", "50", "75"];
            const weightChange = await paired("release weight-change up", releaseUp, floorUp, {
                runs: percents.length,
                prepare: (i) =>
                    release(["config", "set", "--path", "cicd-release:canary.canaryPercent", percents[i] ?? ""]),
            });
            await timed("release destroy", () => release(["destroy", "--yes", "--skip-preview"]));
            await timed("local destroy", () => local(["destroy", "--yes", "--skip-preview"]));

            const targets = {
                noChange: releaseNoChange.ms <= TARGETS.noChangeVsFloor * releaseNoChange.floorMs,
                weight: weightChange.ms <= weightChange.floorMs + TARGETS.weightChangeOverFloorS * 1000,
            };
            const row = (what: string, measure: Paired) => [
                what,
                seconds(measure.ms),
                seconds(measure.floorMs),
                ratio(measure.ms, measure.floorMs),
                `+${seconds(measure.ms - measure.floorMs)}`,
            ];
            const rows = [
                row("local stack up from empty (environment stack)", localFromEmpty),
                row(`local stack up, no change (median of ${RUNS})`, localNoChange),
                row("release stack up from empty", releaseFromEmpty),
                row(`release stack up, no change (median of ${RUNS})`, releaseNoChange),
                row(`  the same without the policy pack (breakdown, median of ${RUNS})`, withoutPolicy),
                row(`release stack up, canary weight change (median of ${percents.length})`, weightChange),
            ];
            return {
                status: Object.values(targets).every(Boolean) ? "pass" : "fail",
                lines: [
                    ...table(
                        [
                            "measure (release stack ups with the policy pack)",
                            "seconds",
                            "floor",
                            "vs floor",
                            "over floor",
                        ],
                        rows,
                    ),
                    "  (floor: the empty program's no-change up, run after each of the measure's runs)",
                    "",
                    `release no-change up <= ${TARGETS.noChangeVsFloor}x floor: ${ratio(releaseNoChange.ms, releaseNoChange.floorMs)} ${verdict(targets.noChange)}`,
                    `release weight change <= floor + ${TARGETS.weightChangeOverFloorS} s: +${seconds(weightChange.ms - weightChange.floorMs)} s ${verdict(targets.weight)}`,
                ],
                data: { localFromEmpty, localNoChange, releaseFromEmpty, releaseNoChange, withoutPolicy, weightChange },
            };
        } finally {
            floor.dispose();
            await run("bash", ["scripts/control-plane/cp", "stop"], env);
            rmSync(dir, { recursive: true, force: true });
        }
    },
};
