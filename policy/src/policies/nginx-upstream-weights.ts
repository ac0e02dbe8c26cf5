import type { ResourceValidationPolicy } from "@pulumi/policy";

import { describe, isKube } from "../lib/kube";
import { hasUpstream, parseUpstreams } from "../lib/nginx";
import { subjectOf } from "../lib/policy";
import { stringEntries } from "../lib/values";

/** nginx upstream weights in ConfigMaps are positive integers: nginx refuses weight=0. */
export const nginxUpstreamWeights: ResourceValidationPolicy = {
    name: "nginx-upstream-weights",
    description:
        "In every ConfigMap key ending in .conf that holds an nginx upstream block (our components write data nginx.conf), each server's weight= is a positive integer: nginx -t rejects weight=0 (the seed's promotion to 100% wrote it) and fractions.",
    remediationSteps:
        "Render the upstream with renderUpstream() in components/nginx-config.ts: it writes integer percentages and leaves a 0% track out of the upstream instead of writing weight=0.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isKube(args.type, "core", "ConfigMap")) {
            return;
        }
        const subject = subjectOf(args);
        for (const [key, text] of stringEntries(subject.props.data)) {
            if (!key.endsWith(".conf") || !hasUpstream(text)) {
                continue;
            }
            for (const upstream of parseUpstreams(text)) {
                for (const server of upstream.servers) {
                    if (server.weight === undefined) {
                        continue;
                    }
                    const where = `${describe(subject)}: data["${key}"] upstream ${upstream.name}, server ${server.address}`;
                    if (!/^[0-9]+$/.test(server.weight)) {
                        reportViolation(
                            `${where} has weight=${server.weight}, which is not an integer; nginx only accepts whole weights. ` +
                                "Fix: use integer percentages (e.g. 75 and 25), as renderUpstream() does.",
                        );
                    } else if (Number(server.weight) === 0) {
                        reportViolation(
                            `${where} has weight=0, which nginx rejects (nginx -t: invalid parameter "weight=0"), so the new config never loads. ` +
                                "Fix: leave a server that should get no traffic out of the upstream (renderUpstream() does) or mark it down.",
                        );
                    }
                }
            }
        }
    },
};
