/** An image reference split into repository, tag and digest: `registry:5000/team/app:1.2@sha256:…`. */
export interface ImageRef {
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

export function parseImage(image: string): ImageRef {
    const at = image.indexOf("@");
    const name = at >= 0 ? image.slice(0, at) : image;
    const digest = at >= 0 ? image.slice(at + 1) : undefined;
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    // A colon before the last slash belongs to the registry's port, not to a tag.
    if (colon > slash) {
        return { repository: name.slice(0, colon), tag: name.slice(colon + 1), digest };
    }
    return { repository: name, digest };
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isPinnedByDigest(image: string): boolean {
    const digest = parseImage(image).digest;
    return digest !== undefined && DIGEST.test(digest);
}
