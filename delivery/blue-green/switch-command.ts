/**
 * `npm run canary -- switch --stack <s> --release <name> --to <blue|green> [options]`: the blue-green
 * switch with a watch (switch.ts), from the command line.
 *
 * Exit codes: 0 switched (the watch passed), 3 switched back, 4 interrupted, 1 error, 2 usage error.
 */
import { type CommandIO, defaultReportPath, runOnStack, stackMetrics } from "../shared/command";
import { BlueGreenStackDriver } from "./driver";
import { writeSwitchReport } from "./report";
import type { SwitchArgs } from "./switch-args";
import { runSwitch } from "./switch";
import type { Colour } from "./types";

export async function runSwitchCommand(args: SwitchArgs, io: CommandIO): Promise<number> {
    const onInterrupt = { hold: "keeping the new colour", rollback: "switching back" };
    return runOnStack(args, io, onInterrupt, async ({ opened, interrupt, driverBase }) => {
        const target = new BlueGreenStackDriver(opened.stack, {
            ...driverBase,
            release: args.release,
            to: args.to,
            ...(args.watchSeconds === undefined ? {} : { watchSeconds: args.watchSeconds }),
        });
        const from: Colour = args.to === "blue" ? "green" : "blue";
        const metrics = await stackMetrics(args, opened, args.release, {
            label: args.trackLabel,
            canary: args.to,
            stable: from,
        });
        const result = await runSwitch({ target, metrics, interrupt, onInterrupt: args.onInterrupt, log: io.out });
        for (const line of result.configChange?.diff ?? []) {
            io.out(`  ${line}`);
        }
        const reportPath = args.report ?? defaultReportPath("switch", args.stack, args.release);
        const written = await writeSwitchReport(result, reportPath, args.jsonOut);
        io.out(`[switch] report: ${written.markdown}${written.json === undefined ? "" : ` (JSON ${written.json})`}`);
        return result.exitCode;
    });
}
