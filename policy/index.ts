// The policy pack's entry point: `pulumi preview --policy-pack policy` runs it, compiled to dist/ by
// scripts/policy-build (PulumiPolicy.yaml says `typescript: false`), and talks to the gRPC server
// PolicyPack starts. The policies themselves live in src/, importable without starting a server
// (test/policy/ does).
import { PolicyPack } from "@pulumi/policy";

import { PACK_NAME, policies } from "./src/pack";

new PolicyPack(PACK_NAME, {
    description:
        "cicd-platform: restricted pods, pinned images, no exposed Services, no credentials outside Secrets, unprivileged GitLab runners, valid nginx weights, production approvals and redundancy.",
    enforcementLevel: "mandatory",
    policies,
});
