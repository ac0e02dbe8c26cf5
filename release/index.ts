import { loadReleaseConfig } from "../config/release-load";
import { createReleaseStack } from "../platform/release-stack";
import { redactSdkDebugOutput } from "../platform/sdk-debug-redaction";

// A release stack: its config in, one release in its tenant's namespace out, plain outputs only.
redactSdkDebugOutput();
const release = createReleaseStack(loadReleaseConfig());

export const environment = release.environment;
export const namespace = release.namespace;
export const tenant = release.tenant;
export const kind = release.release.kind;
export const name = release.release.name;
export const rollout = release.rollout;
export const prometheusUrl = release.prometheusUrl;
export const routerService = release.routerService;
export const weights = release.weights;
export const activeColor = release.activeColor;
export const service = release.service;
