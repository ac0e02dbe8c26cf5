import type { ResourceValidationPolicy } from "@pulumi/policy";

import { parseImage } from "../lib/images";
import { containerLabel, describe } from "../lib/kube";
import { imagesOf } from "./image-common";

/** No image runs as `latest`, spelled out or implied by a missing tag. */
export const imageTagNotLatest: ResourceValidationPolicy = {
    name: "image-tag-not-latest",
    description:
        "No container image uses the tag `latest` or no tag at all (which means latest): what runs must be reproducible and reviewable.",
    remediationSteps:
        "Pin the image to a version tag (registry/team/app:1.4.2) or, better, a digest (registry/team/app@sha256:…); the stack config's version fields take either.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const { subject, images } = imagesOf(args);
        for (const { ref, image } of images) {
            const parsed = parseImage(image);
            if (parsed.tag === "latest") {
                reportViolation(
                    `${describe(subject)}: ${containerLabel(ref)} runs image "${image}" with the tag "latest", which moves under you. ` +
                        "Fix: pin a version tag or a sha256 digest.",
                );
            } else if (parsed.tag === undefined && parsed.digest === undefined) {
                reportViolation(
                    `${describe(subject)}: ${containerLabel(ref)} runs image "${image}" without a tag or digest, which pulls "latest". ` +
                        "Fix: append a version tag (:1.2.3) or a digest (@sha256:…).",
                );
            }
        }
    },
};
