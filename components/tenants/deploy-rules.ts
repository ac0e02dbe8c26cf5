import type * as k8s from "@pulumi/kubernetes";

const CHANGE = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];

/**
 * What a tenant's deploy identity may do in its own namespace: change exactly the kinds a release
 * creates (CanaryRelease: Deployments, Services, PodDisruptionBudgets and the router's ConfigMap;
 * BlueGreenRelease: Deployments and Services), and read what Pulumi's await logic and the blue-green
 * gate watch while those roll out. No Secrets, no RBAC, no ServiceAccounts, no pods/exec: a leaked
 * credential can run only the workloads a release could, and only here.
 * @internal
 */
export const TENANT_DEPLOY_RULES: readonly k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: ["apps"], resources: ["deployments"], verbs: CHANGE },
    { apiGroups: [""], resources: ["services", "configmaps"], verbs: CHANGE },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: CHANGE },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ },
    { apiGroups: [""], resources: ["pods", "endpoints", "events", "persistentvolumeclaims"], verbs: READ },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
];
