import type { ResourceValidationPolicy } from "@pulumi/policy";

import { isPinnedByDigest } from "../lib/images";
import { containerLabel, describe } from "../lib/kube";
import { imagesOf } from "./image-common";

/**
 * Every image is pinned by digest. Its own policy so each stack sets how much it matters through
 * its enforcement level: mandatory in production, advisory in staging, disabled locally.
 */
export const imagePinnedByDigest: ResourceValidationPolicy = {
    name: "image-pinned-by-digest",
    description:
        "Every container image is pinned by digest (image@sha256:<64 hex>), so what was reviewed is byte for byte what runs. Enforcement per stack: policy/config/*.json.",
    remediationSteps:
        "Use the image's digest: set the version fields to sha256:<digest> (the components then render repository@sha256:…), and give canary.routerImage and the runner images as repository@sha256:….",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const { subject, images } = imagesOf(args);
        for (const { ref, image } of images) {
            if (!isPinnedByDigest(image)) {
                reportViolation(
                    `${describe(subject)}: ${containerLabel(ref)} runs image "${image}", which is not pinned by digest; a tag can be moved to other content. ` +
                        "Fix: reference it as repository@sha256:<digest> (skopeo inspect docker://<image> prints the digest).",
                );
            }
        }
    },
};
