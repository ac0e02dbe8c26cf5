/**
 * A minimal OCI image layout, written by hand (one image, one gzipped layer of regular files), and
 * the layer read back from a layout skopeo wrote: the registry tests push and pull these.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** A POSIX ustar archive with regular files: enough for a one-layer image. */
export function tarArchive(files: Record<string, string>): Buffer {
    const blocks: Buffer[] = [];
    for (const [name, content] of Object.entries(files)) {
        const body = Buffer.from(content);
        const header = Buffer.alloc(512);
        const field = (offset: number, length: number, value: string): void => {
            header.write(value, offset, length, "ascii");
        };
        const octal = (offset: number, length: number, value: number): void => {
            field(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
        };
        field(0, 100, name);
        octal(100, 8, 0o644);
        octal(108, 8, 0);
        octal(116, 8, 0);
        octal(124, 12, body.length);
        octal(136, 12, 0);
        header.fill(" ", 148, 156); // checksum is computed with its own field as spaces
        field(156, 1, "0");
        field(257, 6, "ustar\0");
        field(263, 2, "00");
        let sum = 0;
        for (const byte of header) {
            sum += byte;
        }
        field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
        blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
    blocks.push(Buffer.alloc(1024));
    return Buffer.concat(blocks);
}

export interface OciImage {
    /** `oci:<dir>:<tag>` for skopeo. */
    readonly reference: string;
    readonly manifestDigest: string;
    readonly layerDigest: string;
    readonly configDigest: string;
}

/** Writes an OCI image layout holding one image with one layer containing `files`. */
export async function writeOciImage(dir: string, tag: string, files: Record<string, string>): Promise<OciImage> {
    const blobs = join(dir, "blobs", "sha256");
    await mkdir(blobs, { recursive: true });
    const putBlob = async (data: Buffer): Promise<{ digest: string; size: number }> => {
        const hex = sha256(data);
        await writeFile(join(blobs, hex), data);
        return { digest: `sha256:${hex}`, size: data.length };
    };
    // Gzipped, as registries expect and skopeo would otherwise compress it itself (new digests).
    const tar = tarArchive(files);
    const layer = await putBlob(gzipSync(tar));
    const config = await putBlob(
        Buffer.from(
            JSON.stringify({
                architecture: "amd64",
                os: "linux",
                config: { Cmd: ["/hello"] },
                rootfs: { type: "layers", diff_ids: [`sha256:${sha256(tar)}`] },
                history: [{ created_by: `cicd-platform registry test ${tag}` }],
            }),
        ),
    );
    const manifest = await putBlob(
        Buffer.from(
            JSON.stringify({
                schemaVersion: 2,
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
                layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
            }),
        ),
    );
    await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    await writeFile(
        join(dir, "index.json"),
        JSON.stringify({
            schemaVersion: 2,
            manifests: [
                {
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    ...manifest,
                    annotations: { "org.opencontainers.image.ref.name": tag },
                },
            ],
        }),
    );
    return {
        reference: `oci:${dir}:${tag}`,
        manifestDigest: manifest.digest,
        layerDigest: layer.digest,
        configDigest: config.digest,
    };
}

/** Reads the single layer of the image `tag` in an OCI layout skopeo wrote, as (uncompressed) tar bytes. */
export async function readOciLayer(dir: string, tag: string): Promise<{ manifestDigest: string; layer: Buffer }> {
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as {
        manifests: { digest: string; annotations?: Record<string, string> }[];
    };
    const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
    if (!entry) {
        throw new Error(`no ${tag} in ${dir}/index.json`);
    }
    const blob = (digest: string): Promise<Buffer> => readFile(join(dir, "blobs", "sha256", digest.slice(7)));
    const manifest = JSON.parse((await blob(entry.digest)).toString()) as { layers: { digest: string }[] };
    const layerDigest = manifest.layers[0]?.digest;
    if (layerDigest === undefined) {
        throw new Error("manifest without layers");
    }
    return { manifestDigest: entry.digest, layer: gunzipSync(await blob(layerDigest)) };
}
