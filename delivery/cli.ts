/**
 * `npm run canary -- promote --stack <s> --app <name> --image-version <v2> [options]` (canary/)
 * `npm run canary -- switch --stack <s> --release <name> --to <blue|green> [options]` (blue-green/)
 *
 * Exit codes: 0 promoted (switched), 3 rolled back (switched back), 4 interrupted (rolled back or
 * held, as printed), 1 error, 2 usage error.
 */
import { parseSwitchCommandLine, SWITCH_USAGE } from "./blue-green/switch-args";
import { runSwitchCommand } from "./blue-green/switch-command";
import { parseCommandLine, PROMOTE_USAGE, type PromoteArgs } from "./canary/promote-args";
import { runPromoteCommand } from "./canary/promote-command";
import { EXIT_CODES } from "./canary/rollout-types";
import { UsageError } from "./shared/command";

const USAGE = `${PROMOTE_USAGE}\n\n${SWITCH_USAGE}`;

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

/** The parsed arguments, or the exit code of a usage error (printed with `usage`). */
function parsed<T>(parse: () => T, usage: string, io: CliIO): T | number {
    try {
        return parse();
    } catch (error) {
        if (error instanceof UsageError) {
            io.err(`canary: ${error.message}\n\n${usage}`);
            return EXIT_CODES.usage;
        }
        throw error;
    }
}

export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
    const commandIO = { out: io.out, err: io.err, signals: io.signals ?? process };
    if (argv[0] === "switch") {
        const switchArgs = parsed(() => parseSwitchCommandLine(argv, io.env), SWITCH_USAGE, io);
        return typeof switchArgs === "number" ? switchArgs : runSwitchCommand(switchArgs, commandIO);
    }
    const args: PromoteArgs | "help" | number = parsed(() => parseCommandLine(argv, io.env), USAGE, io);
    if (typeof args === "number") {
        return args;
    }
    if (args === "help") {
        io.out(USAGE);
        return 0;
    }
    return runPromoteCommand(args, commandIO);
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
