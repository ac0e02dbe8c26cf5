import type { StackValidationPolicy } from "@pulumi/policy";

import { environmentSchema, productionStackSubjects } from "../lib/policy";
import { isUnknown, str } from "../lib/values";
import { GITLAB_VARIABLE_TYPES } from "./production-ci-credentials-protected";

const USER_RUNNER = "gitlab:index/userRunner:UserRunner";
/**
 * What GitLab can mask (and so also hide): one line of at least 8 characters of the Base64 alphabet
 * and `@:.~-_`. A kubeconfig or a PEM block is not; the platform's fan-out sends those base64-encoded.
 */
const MASKABLE = /^[A-Za-z0-9+/=@:.~_-]{8,}$/;
/**
 * What a policy gets for a secret it cannot see: the display placeholder, or an empty string for a
 * secret not known yet at preview (the engine sends that for a secret unknown). Nothing to judge;
 * GitLab itself refuses an empty value.
 */
const NOT_VISIBLE: ReadonlySet<string> = new Set(["[secret]", ""]);

function kindOf(type: string): string {
    return type.split(":").pop() ?? type;
}

/**
 * Production's GitLab CI/CD variables reach only protected branches and tags, and a masked or
 * hidden one holds a value GitLab can mask: a multi-line credential is base64-encoded first (the
 * documented form of the fan-out's TENANT_KUBECONFIG), never left masked in a form GitLab refuses.
 */
export const productionGitlabVariablesProtected: StackValidationPolicy = {
    name: "production-gitlab-variables-protected",
    description:
        "Production only: every GitLab ProjectVariable/GroupVariable/InstanceVariable is protected, and one that is masked or hidden holds a value GitLab can mask (at least 8 characters of A-Z a-z 0-9 + / = @ : . ~ - _, one line): a kubeconfig or PEM key is base64-encoded first.",
    remediationSteps:
        "Set protected: true. For a kubeconfig or a PEM key, set the value to its base64 encoding (GitLabVariables' base64-masked form) and decode it in the job (ci/steps' kubeconfig_file does).",
    enforcementLevel: "mandatory",
    configSchema: environmentSchema,
    validateStack: (args, reportViolation) => {
        for (const subject of productionStackSubjects(args)) {
            if (!GITLAB_VARIABLE_TYPES.has(subject.type)) {
                continue;
            }
            const props = subject.props;
            const key = str(props.key) ?? subject.name;
            const label = `GitLab CI variable ${key} (${kindOf(subject.type)} "${subject.name}")`;
            if (props.protected !== true && !isUnknown(props.protected)) {
                reportViolation(
                    `${label} is not protected, so a pipeline of any branch, including an unreviewed merge request's, reads it. Fix: set protected: true.`,
                    subject.urn,
                );
            }
            const value = str(props.value);
            const masked = props.masked === true || props.hidden === true;
            const visible = value !== undefined && !NOT_VISIBLE.has(value) && !isUnknown(props.value);
            if (masked && visible && !MASKABLE.test(value)) {
                reportViolation(
                    `${label} is masked but GitLab cannot mask its value (more than one line, whitespace, a character outside the Base64 alphabet and @:.~-_, or under 8 characters); GitLab refuses it. Fix: base64-encode the value (GitLabVariables' base64-masked form) and decode it in the job.`,
                    subject.urn,
                );
            }
        }
    },
};

/** Production runners take only jobs of protected branches and tags. */
export const productionGitlabRunnersProtected: StackValidationPolicy = {
    name: "production-gitlab-runners-protected",
    description:
        'Production only: every GitLab UserRunner has accessLevel "ref_protected", so only pipelines of protected branches and tags run on the runners that hold production\'s credentials.',
    remediationSteps:
        'Set accessLevel: "ref_protected" on the gitlab.UserRunner (platform/gitlab-runners.ts does in production).',
    enforcementLevel: "mandatory",
    configSchema: environmentSchema,
    validateStack: (args, reportViolation) => {
        for (const subject of productionStackSubjects(args)) {
            if (subject.type !== USER_RUNNER || isUnknown(subject.props.accessLevel)) {
                continue;
            }
            if (subject.props.accessLevel !== "ref_protected") {
                reportViolation(
                    `GitLab runner "${subject.name}" (UserRunner, tags ${JSON.stringify(subject.props.tagLists ?? [])}) has accessLevel ${JSON.stringify(subject.props.accessLevel ?? "not_protected")}, so a pipeline of any branch can run on it. Fix: set accessLevel: "ref_protected".`,
                    subject.urn,
                );
            }
        }
    },
};
