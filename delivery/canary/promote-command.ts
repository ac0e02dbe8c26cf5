/**
 * `npm run canary -- promote --stack <s> --app <name> --image-version <v2> [options]`: the canary
 * (controller.ts) from the command line, with its report.
 *
 * Exit codes: 0 promoted, 3 rolled back, 4 interrupted (rolled back or held, as printed), 1 error.
 */
import { type CommandIO, defaultReportPath, runOnStack, stackMetrics } from "../shared/command";
import { runCanary } from "./controller";
import type { PromoteArgs } from "./promote-args";
import { writeReport } from "./report";
import type { CanaryResult } from "./rollout-types";
import { StackDriver } from "./stack-driver";

export async function runPromoteCommand(args: PromoteArgs, io: CommandIO): Promise<number> {
    const onInterrupt = { hold: "holding at the last completed step", rollback: "rolling back" };
    return runOnStack(args, io, onInterrupt, async ({ opened, interrupt, driverBase }) => {
        const driver = new StackDriver(opened.stack, {
            ...driverBase,
            app: args.app,
            imageVersion: args.imageVersion,
            ...(args.imageRepository === undefined ? {} : { imageRepository: args.imageRepository }),
            ...(args.intervalSeconds === undefined ? {} : { intervalSeconds: args.intervalSeconds }),
        });
        const metrics = await stackMetrics(args, opened, args.app);
        const result = await runCanary({
            rollout: driver,
            metrics,
            interrupt,
            onInterrupt: args.onInterrupt,
            log: io.out,
        });
        printConfigChange(result, io.out);
        const reportPath = args.report ?? defaultReportPath("canary", args.stack, args.app);
        const written = await writeReport(result, reportPath, args.jsonOut);
        io.out(
            `[canary] report: ${written.markdown} (chart ${written.chart}` +
                `${written.json === undefined ? "" : `, JSON ${written.json}`})`,
        );
        io.out(`[canary] CI job summary: cat '${written.markdown}' >> "$GITHUB_STEP_SUMMARY"`);
        return result.exitCode;
    });
}

function printConfigChange(result: CanaryResult, out: (line: string) => void): void {
    if (result.configChange && result.configChange.diff.length > 0) {
        out(`[canary] ${result.configChange.file} changed (commit it: it is what runs now):`);
        for (const line of result.configChange.diff) {
            out(`  ${line}`);
        }
    }
}
