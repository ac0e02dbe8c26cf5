import { z } from "zod";

import { NAMESPACE_DEFAULTS } from "../../components/shared/defaults";
import { dnsLabel, strict } from "../schema-fields";

/** The `namespaces` and `kubernetes` sections: where the platform runs and which cluster it talks to. */

export const namespacesSchema = strict({
    apps: dnsLabel,
    monitoring: dnsLabel.default(NAMESPACE_DEFAULTS.monitoring),
});

export const kubernetesSchema = strict({
    /** kubeconfig context; the ambient KUBECONFIG's current context when unset. */
    context: z.string().min(1).optional(),
});
