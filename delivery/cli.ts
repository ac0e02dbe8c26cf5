/**
 * `npm run canary -- promote --stack <s> --app <name> --image-version <v2> [options]`
 * `npm run canary -- switch --stack <s> --release <name> --to <blue|green> [options]` (switch-command.ts)
 *
 * Exit codes: 0 promoted (switched), 3 rolled back (switched back), 4 interrupted (rolled back or
 * held, as printed), 1 error, 2 usage error.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";

import { parseCommandLine, type PromoteArgs, USAGE, UsageError } from "./canary/promote-args";
import { EXIT_CODES, runCanary } from "./canary/controller";
import { listenForInterrupt } from "./shared/interrupt";
import { PrometheusCanaryMetrics, PrometheusClient } from "./shared/prometheus";
import { writeReport } from "./canary/report";
import { openStack, prometheusUrl } from "./shared/open-stack";
import { StackDriver } from "./canary/stack-driver";
import { parseSwitchCommandLine, runSwitchCommand, SWITCH_USAGE } from "./blue-green/switch-command";

export interface CliIO {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly env: NodeJS.ProcessEnv;
    /** Where SIGINT/SIGTERM come from. @default process */
    readonly signals?: Pick<NodeJS.Process, "on" | "off">;
}

const defaultIO: CliIO = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
};

export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
    if (argv[0] === "switch") {
        let switchArgs;
        try {
            switchArgs = parseSwitchCommandLine(argv, io.env, (message) => new UsageError(message));
        } catch (error) {
            if (error instanceof UsageError) {
                io.err(`canary: ${error.message}\n\n${SWITCH_USAGE}`);
                return EXIT_CODES.usage;
            }
            throw error;
        }
        return runSwitchCommand(switchArgs, { out: io.out, err: io.err, signals: io.signals ?? process });
    }
    let args: PromoteArgs | "help";
    try {
        args = parseCommandLine(argv, io.env);
    } catch (error) {
        if (error instanceof UsageError) {
            io.err(`canary: ${error.message}\n\n${USAGE}`);
            return EXIT_CODES.usage;
        }
        throw error;
    }
    if (args === "help") {
        io.out(USAGE);
        return 0;
    }

    let opened;
    try {
        opened = await openStack({ stackName: args.stack, workDir: args.workDir });
    } catch (error) {
        io.err(
            `canary: cannot open stack ${args.stack} in ${args.workDir}: ${String(error instanceof Error ? error.message : error)}`,
        );
        return EXIT_CODES.error;
    }

    const interrupt = listenForInterrupt(
        io.signals ?? process,
        io.err,
        args.onInterrupt === "hold" ? "holding at the last completed step" : "rolling back",
    );
    try {
        const driver = new StackDriver(opened.stack, {
            layout: opened.layout,
            app: args.app,
            imageVersion: args.imageVersion,
            ...(args.imageRepository === undefined ? {} : { imageRepository: args.imageRepository }),
            stackFile: opened.stackFile,
            ...(args.intervalSeconds === undefined ? {} : { intervalSeconds: args.intervalSeconds }),
            onOutput: (text) => {
                for (const line of text.split("\n")) {
                    if (line.trim() !== "") {
                        io.err(`  | ${line}`);
                    }
                }
            },
        });
        const metrics = new PrometheusCanaryMetrics(
            new PrometheusClient({ url: await prometheusUrl(args, opened), timeoutMs: args.queryTimeoutMs }),
            args.app,
        );
        const result = await runCanary({
            rollout: driver,
            metrics,
            interrupt: interrupt.signal,
            onInterrupt: args.onInterrupt,
            log: io.out,
        });
        if (result.configChange && result.configChange.diff.length > 0) {
            io.out(`[canary] ${result.configChange.file} changed (commit it: it is what runs now):`);
            for (const line of result.configChange.diff) {
                io.out(`  ${line}`);
            }
        }
        const reportPath =
            args.report ?? join(tmpdir(), `canary-${args.stack.replace(/[^\w.-]/g, "_")}-${args.app}-${Date.now()}.md`);
        const written = await writeReport(result, reportPath, args.jsonOut);
        io.out(
            `[canary] report: ${written.markdown} (chart ${written.chart}` +
                `${written.json === undefined ? "" : `, JSON ${written.json}`})`,
        );
        io.out(`[canary] CI job summary: cat '${written.markdown}' >> "$GITHUB_STEP_SUMMARY"`);
        return result.exitCode;
    } finally {
        interrupt.dispose();
        await opened.dispose();
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (error: unknown) => {
            process.stderr.write(
                `canary: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
            );
            process.exitCode = EXIT_CODES.error;
        },
    );
}
