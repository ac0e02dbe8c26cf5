import * as gitlab from "@pulumi/gitlab";
import type * as pulumi from "@pulumi/pulumi";

import { GITLAB_DEFAULTS } from "../components/shared/defaults";
import { PROJECT } from "../config/stack-values";
import type { GitLabTarget } from "./gitlab";

/** Which runner of the stack: `kubernetes`, `build`, or a Podman host's name. */
export type RunnerName = string;

/**
 * The runner's registration in GitLab, its token handed straight to the runner that polls with it.
 * A production runner takes only jobs of protected branches and tags, so an unprotected branch can
 * never reach production's credentials through it. A new rotation label replaces the registration:
 * the new runner and token exist first, the runner's config follows in the same `up`, then the old
 * registration (and with it the old token) is deleted.
 */
export function createUserRunner(
    gl: GitLabTarget,
    name: RunnerName,
    resourceName: string,
    tags: readonly string[],
): gitlab.UserRunner {
    const { type, projectId, groupId, rotations } = gl.config.runners;
    const rotation = rotations[name] ?? GITLAB_DEFAULTS.runnerRotation;
    return new gitlab.UserRunner(
        resourceName,
        {
            runnerType: type,
            ...(type === "project_type" ? { projectId } : {}),
            ...(type === "group_type" ? { groupId } : {}),
            description: `${PROJECT} ${gl.environment} ${name}`,
            maintenanceNote: `Managed by the ${PROJECT} ${gl.environment} stack; rotation ${rotation}`,
            tagLists: [...tags],
            untagged: false,
            accessLevel: gl.environment === "production" ? "ref_protected" : "not_protected",
            // Only a project runner can be locked to its project; GitLab ignores it for the others.
            locked: type === "project_type",
            paused: false,
        },
        { provider: gl.provider, replaceOnChanges: ["maintenanceNote"] },
    );
}

/**
 * The token a runner polls with: its UserRunner's with the GitLab integration, else the one the
 * operator set (`runnerToken` and friends), or undefined when there is none.
 */
export function runnerToken(
    gl: GitLabTarget | undefined,
    name: RunnerName,
    resourceName: string,
    tags: readonly string[],
    byHand: pulumi.Output<string> | undefined,
): pulumi.Output<string> | undefined {
    return gl === undefined ? byHand : createUserRunner(gl, name, resourceName, tags).token;
}
