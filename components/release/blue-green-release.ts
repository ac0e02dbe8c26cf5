import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type ChildOptions, childOf } from "../shared/component";
import { BLUE_GREEN_DEFAULTS } from "../shared/defaults";
import { DERIVED_NAMES, derivedNameProblems } from "../shared/names";
import { ArgChecks } from "../shared/validators";
import { LocalScript } from "../shared/local-script";
import { commonLabels } from "../shared/workload";
import { type AppTrack, createAppTrack } from "./app-track";
import { type AppWorkloadArgs, resolveWorkload } from "./app-workload";

export type Color = "blue" | "green";
export type GateExecutor = "command" | "dynamic";
/** @internal */
export const COLORS: readonly Color[] = ["blue", "green"];

export interface BlueGreenReleaseArgs extends AppWorkloadArgs {
    /** Tag or `sha256:` digest the blue Deployment runs. */
    readonly blueVersion: pulumi.Input<string>;
    /** Tag or digest the green Deployment runs. */
    readonly greenVersion: pulumi.Input<string>;
    /** The colour the live Service sends traffic to. A plain value: it picks which gate runs. */
    readonly activeColor: Color;
    /** Replicas of the idle colour; 0 frees its capacity but makes a switch back slower. @default replicas */
    readonly idleReplicas?: number;
    /**
     * Shell command that must succeed before traffic moves: retried up to `gateAttempts` times. It
     * sees TARGET_COLOR, TARGET_SERVICE, TARGET_DEPLOYMENT, TARGET_NAMESPACE, TARGET_URL and
     * TARGET_VERSION in its environment.
     */
    readonly healthCheck: pulumi.Input<string>;
    /** Shell command run once after the health check passed, with the same environment. */
    readonly smokeTest: pulumi.Input<string>;
    /** Health-check attempts before the gate fails. @default {@link BLUE_GREEN_DEFAULTS}.gateAttempts */
    readonly gateAttempts?: pulumi.Input<number>;
    /** Seconds between health-check attempts. @default {@link BLUE_GREEN_DEFAULTS}.gateIntervalSeconds */
    readonly gateIntervalSeconds?: pulumi.Input<number>;
    /**
     * What runs the gate: `command` (`@pulumi/command` local.Command) or `dynamic` (the program's own
     * process, for engines without the command plugin). Both run the same script with the same
     * environment and fail the `up` the same way. @default {@link BLUE_GREEN_DEFAULTS}.gateExecutor
     */
    readonly gateExecutor?: GateExecutor;
    /** Extra environment for the gate commands, e.g. KUBECONFIG. */
    readonly gateEnvironment?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * Runs the health check with retries, then the smoke test; any failure fails the `up`.
 * @internal
 */
export const GATE_SCRIPT = `set -euo pipefail
attempt=1
until bash -c "$GATE_HEALTH_CHECK"; do
  if [ "$attempt" -ge "$GATE_ATTEMPTS" ]; then
    echo "blue-green gate: health check of $TARGET_COLOR failed $attempt times; traffic stays where it was" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep "$GATE_INTERVAL_SECONDS"
done
echo "blue-green gate: health check of $TARGET_COLOR passed (attempt $attempt)"
if ! bash -c "$GATE_SMOKE_TEST"; then
  echo "blue-green gate: smoke test of $TARGET_COLOR failed; traffic stays where it was" >&2
  exit 1
fi
echo "blue-green gate: smoke test of $TARGET_COLOR passed; switching traffic"
`;

/**
 * Blue and green Deployments, a Service per colour for testing, and the live Service whose
 * selector follows `activeColor`. The selector only moves after a `@pulumi/command` gate ran the
 * health check and the smoke test against the newly active colour; if either fails, the `up` fails
 * and the live Service keeps its selector (the seed's blue-green script, done declaratively).
 */
export class BlueGreenRelease extends pulumi.ComponentResource {
    public readonly tracks: Readonly<Record<Color, AppTrack>>;
    public readonly gate: command.local.Command | LocalScript;
    public readonly service: k8s.core.v1.Service;
    public readonly activeColor: Color;

    constructor(name: string, args: BlueGreenReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        validateBlueGreenReleaseArgs(name, args);
        super("cicd:release:BlueGreenRelease", name, {}, opts);

        const children = createBlueGreenRelease(name, this, args);
        this.tracks = children.tracks;
        this.activeColor = args.activeColor;
        this.gate = children.gate;
        this.service = children.service;
        this.registerOutputs({
            activeColor: this.activeColor,
            serviceName: this.service.metadata.name,
            blueDeployment: this.tracks.blue.deployment.metadata.name,
            greenDeployment: this.tracks.green.deployment.metadata.name,
        });
    }
}

/** What a BlueGreenRelease registers: both colours' tracks, the gate and the live Service. */
export interface BlueGreenReleaseChildren {
    readonly tracks: Readonly<Record<Color, AppTrack>>;
    readonly gate: command.local.Command | LocalScript;
    readonly service: k8s.core.v1.Service;
}

/**
 * The release's children, parented to `parent`: the blue and green tracks, the gate that checks the
 * active colour, and the live Service, which moves only after the gate passed.
 * @internal
 */
export function createBlueGreenRelease(
    name: string,
    parent: pulumi.Resource,
    args: BlueGreenReleaseArgs,
    opts?: ChildOptions,
): BlueGreenReleaseChildren {
    const child = childOf(parent, opts);
    const executor = args.gateExecutor ?? BLUE_GREEN_DEFAULTS.gateExecutor;
    const common = { ...resolveWorkload(name, args), trackLabel: "color" };
    const { app, servicePort } = common;
    const active = args.activeColor;
    const versions: Record<Color, pulumi.Input<string>> = { blue: args.blueVersion, green: args.greenVersion };

    const track = (color: Color): AppTrack =>
        createAppTrack(
            `${name}-${color}`,
            parent,
            {
                ...common,
                track: color,
                version: versions[color],
                replicas: color === active ? args.replicas : (args.idleReplicas ?? args.replicas),
            },
            opts,
        );
    const tracks = { blue: track("blue"), green: track("green") };

    const target = tracks[active];
    const targetService = target.service as k8s.core.v1.Service;
    const gateArgs = {
        create: GATE_SCRIPT,
        environment: {
            ...args.gateEnvironment,
            TARGET_COLOR: active,
            TARGET_NAMESPACE: args.namespace,
            TARGET_SERVICE: targetService.metadata.name,
            TARGET_DEPLOYMENT: target.deployment.metadata.name,
            TARGET_VERSION: versions[active],
            TARGET_URL: pulumi.interpolate`http://${targetService.metadata.name}.${args.namespace}.svc:${servicePort}`,
            GATE_HEALTH_CHECK: args.healthCheck,
            GATE_SMOKE_TEST: args.smokeTest,
            GATE_ATTEMPTS: pulumi.output(args.gateAttempts ?? BLUE_GREEN_DEFAULTS.gateAttempts).apply(String),
            GATE_INTERVAL_SECONDS: pulumi
                .output(args.gateIntervalSeconds ?? BLUE_GREEN_DEFAULTS.gateIntervalSeconds)
                .apply(String),
        },
        // A new colour or version is a new release to check, not an edit of the old check.
        triggers: [active, versions[active], args.image],
    };
    const gateOpts = { ...child, dependsOn: [tracks.blue.deployment, tracks.green.deployment, targetService] };
    const gate =
        executor === "command"
            ? new command.local.Command(
                  `${name}-gate`,
                  { ...gateArgs, interpreter: ["/bin/bash", "-c"], update: GATE_SCRIPT },
                  gateOpts,
              )
            : new LocalScript(`${name}-gate`, gateArgs, gateOpts);

    const service = new k8s.core.v1.Service(name, liveServiceArgs(app, args.namespace, active, target, servicePort), {
        ...child,
        dependsOn: [gate],
    });
    return { tracks, gate, service };
}

/**
 * The live Service, named after the app, whose selector is the active colour's.
 * @internal
 */
export function liveServiceArgs(
    app: string,
    namespace: pulumi.Input<string>,
    active: Color,
    target: AppTrack,
    servicePort: number,
): k8s.core.v1.ServiceArgs {
    return {
        metadata: {
            name: app,
            namespace,
            labels: { ...commonLabels(app, "app"), app },
            annotations: { "cicd.platform/active-color": active },
        },
        spec: {
            type: "ClusterIP",
            selector: target.selector,
            ports: [{ name: "http", port: servicePort, targetPort: "http" }],
        },
    };
}

/**
 * Every problem of the plain arguments, thrown together before anything is registered.
 * @internal
 */
export function validateBlueGreenReleaseArgs(name: string, args: BlueGreenReleaseArgs): void {
    const checks = new ArgChecks("BlueGreenRelease", name);
    if (!COLORS.includes(args.activeColor)) {
        checks.add("activeColor", `"${args.activeColor as string}" must be "blue" or "green"`);
    }
    const executor = args.gateExecutor ?? BLUE_GREEN_DEFAULTS.gateExecutor;
    if (!(["command", "dynamic"] as readonly string[]).includes(executor)) {
        checks.add("gateExecutor", `"${executor as string}" must be "command" or "dynamic"`);
    }
    checks.addAll(derivedNameProblems(DERIVED_NAMES.blueGreenRelease, { name, app: args.app }));
    checks.throwIfAny();
}
