import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { canaryPercentInRange } from "./policies/canary-percent-in-range";
import { imagePinnedByDigest } from "./policies/image-pinned-by-digest";
import { imageTagNotLatest } from "./policies/image-tag-not-latest";
import { namespaceDefaultDeny } from "./policies/namespace-default-deny";
import { namespacePodSecurityRestricted } from "./policies/namespace-pod-security-restricted";
import { nginxUpstreamWeights } from "./policies/nginx-upstream-weights";
import { noCredentialsOutsideSecrets } from "./policies/no-credentials-outside-secrets";
import { podDropAllCapabilities } from "./policies/pod-drop-all-capabilities";
import { podNoHostNamespacesOrPaths } from "./policies/pod-no-host-namespaces-or-paths";
import { podNoPrivilegeEscalation } from "./policies/pod-no-privilege-escalation";
import { podNoPrivilegedContainers } from "./policies/pod-no-privileged-containers";
import { podReadOnlyRootFilesystem } from "./policies/pod-read-only-root-filesystem";
import { podResourceRequestsAndLimits } from "./policies/pod-resource-requests-and-limits";
import { podRunAsNonRoot } from "./policies/pod-run-as-non-root";
import { podSeccompRuntimeDefault } from "./policies/pod-seccomp-runtime-default";
import { policyConfigMatchesStack } from "./policies/policy-config-matches-stack";
import { productionCiCredentialsProtected } from "./policies/production-ci-credentials-protected";
import { productionGithubEnvironmentReviewers } from "./policies/production-github-environment-reviewers";
import { productionGitlabRunnersProtected, productionGitlabVariablesProtected } from "./policies/production-gitlab";
import { productionGitlabEnvironmentApproval } from "./policies/production-gitlab-environment-approval";
import { productionReplicasAndPdb } from "./policies/production-replicas-and-pdb";
import { rbacNoWildcards } from "./policies/rbac-no-wildcards";
import { runnerConfigUnprivileged } from "./policies/runner-config-unprivileged";
import { runnerRbacNamespaced } from "./policies/runner-rbac-namespaced";
import { serviceNoExternalExposure } from "./policies/service-no-external-exposure";

/** Name of the pack, as `pulumi preview` prints it next to each violation. */
export const PACK_NAME = "cicd-platform-policies";

export const resourcePolicies: readonly ResourceValidationPolicy[] = [
    podNoPrivilegedContainers,
    podNoPrivilegeEscalation,
    podRunAsNonRoot,
    podDropAllCapabilities,
    podSeccompRuntimeDefault,
    podReadOnlyRootFilesystem,
    podResourceRequestsAndLimits,
    podNoHostNamespacesOrPaths,
    imageTagNotLatest,
    imagePinnedByDigest,
    serviceNoExternalExposure,
    noCredentialsOutsideSecrets,
    runnerConfigUnprivileged,
    runnerRbacNamespaced,
    rbacNoWildcards,
    nginxUpstreamWeights,
    namespacePodSecurityRestricted,
];

export const stackPolicies: readonly StackValidationPolicy[] = [
    canaryPercentInRange,
    namespaceDefaultDeny,
    productionReplicasAndPdb,
    productionGithubEnvironmentReviewers,
    productionGitlabEnvironmentApproval,
    productionCiCredentialsProtected,
    productionGitlabVariablesProtected,
    productionGitlabRunnersProtected,
    policyConfigMatchesStack,
];

/** Every policy of the pack; mandatory unless the stack's pack config (policy/config/<stack>.json) says otherwise. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [...resourcePolicies, ...stackPolicies];
