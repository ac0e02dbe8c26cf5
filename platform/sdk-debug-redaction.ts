/**
 * The Node.js SDK writes every resource RPC's whole request or response into its debug messages
 * (`resp: …`, and `obj=…` with excessive debug output), secret outputs in the clear: a Kubernetes
 * Secret's base64 data among them. The engine prints those messages under `--debug` or `-v=3` and
 * above, so one debugging run in CI would put the registry and runner credentials into its job log.
 * The messages stay, without their payloads; everything else the SDK logs passes unchanged.
 */
import * as pulumi from "@pulumi/pulumi";

const PAYLOAD = /(resp: |, (?:obj|outputs)=)[\s\S]*$/;

/** The SDK's debug message without the RPC payload it ends with, if it ends with one. */
export function withoutRpcPayload(message: string): string {
    return message.replace(PAYLOAD, "$1<not logged: may hold secret values>");
}

let redacting = false;

/**
 * Routes the SDK's debug messages through `withoutRpcPayload`. The SDK's runtime calls `debug`
 * through the log module's exports, so replacing that one export covers all of its callers.
 */
export function redactSdkDebugOutput(): void {
    if (redacting) return;
    redacting = true;
    const sdkDebug = pulumi.log.debug;
    const debug: typeof sdkDebug = (message, ...rest) => sdkDebug(withoutRpcPayload(message), ...rest);
    Object.assign(pulumi.log, { debug });
}
