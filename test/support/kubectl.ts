/**
 * kubectl beyond a one-shot JSON get (that is `kubectlJson` in ./engine): a manifest on its stdin,
 * and a watch whose events a test collects while something else runs.
 */
import { spawn } from "node:child_process";

import type { Run } from "./engine";

/** kubectl with `input` on its stdin. */
export function kubectlWithInput(env: NodeJS.ProcessEnv, args: string[], input: string): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn("kubectl", args, { env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            resolve({ code: code ?? -1, stdout, stderr });
        });
        child.stdin.end(input);
    });
}

/**
 * `kubectl get <resource> -n <namespace> -l <selector> --watch --output-watch-events` printed with
 * the jsonpath `template`: the lines so far, and `stop` to end the watch.
 */
export function kubectlWatch(
    env: NodeJS.ProcessEnv,
    resource: string,
    namespace: string,
    selector: string,
    template: string,
): { lines: string[]; stop: () => void } {
    const lines: string[] = [];
    const child = spawn(
        "kubectl",
        [
            "get",
            resource,
            "-n",
            namespace,
            "-l",
            selector,
            "--watch",
            "--output-watch-events",
            "-o",
            `jsonpath=${template}`,
        ],
        { env },
    );
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        const parts = buffer.split("\n");
        buffer = parts.pop() ?? "";
        lines.push(...parts.filter((l) => l.trim() !== ""));
    });
    return { lines, stop: () => child.kill("SIGTERM") };
}
