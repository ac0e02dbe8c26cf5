import { loadReleaseConfig } from "../config/release-load";
import { createReleaseStack } from "../platform/release-stack";
import { redactSdkDebugOutput } from "../platform/sdk-debug-redaction";

// A release stack: its config in, one release in its tenant's namespace out, plain outputs only.
// Async: the tenant's settings are read (and checked) before the release's resources exist.
export = async () => {
    redactSdkDebugOutput();
    const { release, ...outputs } = await createReleaseStack(loadReleaseConfig());
    return { ...outputs, kind: release.kind, name: release.name };
};
