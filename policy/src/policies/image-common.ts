import type { ResourceValidationArgs } from "@pulumi/policy";

import { type ContainerRef, containersOf, podSpecOf, type Subject } from "../lib/kube";
import { subjectOf } from "../lib/policy";

export interface ImageUse {
    readonly ref: ContainerRef;
    readonly image: string;
}

/** Every known image string of a workload's containers (init and ephemeral included). */
export function imagesOf(args: ResourceValidationArgs): { subject: Subject; images: ImageUse[] } {
    const subject = subjectOf(args);
    const pod = podSpecOf(subject);
    const images: ImageUse[] = [];
    for (const ref of pod ? containersOf(pod) : []) {
        if (typeof ref.container.image === "string") {
            images.push({ ref, image: ref.container.image });
        }
    }
    return { subject, images };
}
