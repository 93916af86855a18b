#!/usr/bin/env python3
"""Recompresses every layer of an OCI image layout as one zlib stream at level 9.

buildah's gzip (containers/image: parallel gzip in independent blocks, and a
blob cache that hands back an earlier compressed copy even when told not to
compress) makes layers about 5% larger than one zlib stream at level 9.
build-image.sh hands each layout buildah pushed to this script, which
decompresses every layer of every manifest in index.json (`.tar` or
`.tar+gzip`), checks it against the config's diff_id, writes it again as
`.tar+gzip` (mtime 0, no file name: the same tar gives the same bytes),
writes the new manifest blobs, points index.json at them and removes blobs
nothing refers to any more. The config is unchanged: its diff_ids name the
uncompressed tars.

Usage: scripts/oci-gzip-layers.py LAYOUT_DIR
"""
import hashlib
import json
import os
import sys
import zlib

TAR = "application/vnd.oci.image.layer.v1.tar"
TAR_GZIP = TAR + "+gzip"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CHUNK = 1 << 20


def fail(message):
    sys.exit(f"oci-gzip-layers: {message}")


def blob_path(layout, digest):
    algorithm, _, hex_digest = digest.partition(":")
    if algorithm != "sha256" or len(hex_digest) != 64:
        fail(f"unsupported digest {digest!r}")
    return os.path.join(layout, "blobs", "sha256", hex_digest)


def write_blob(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(layout, digest), "wb") as out:
        out.write(data)
    return digest


def gzip_blob(layout, digest, gzipped, diff_id):
    """Returns (digest, size) of the level-9 gzip form of a layer blob."""
    source = blob_path(layout, digest)
    check = hashlib.sha256()
    decompressor = zlib.decompressobj(31) if gzipped else None
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 16+15: a gzip header, mtime 0, no name
    sha = hashlib.sha256()
    tmp = os.path.join(layout, "blobs", "sha256", ".gzip-in-progress")
    size = 0
    with open(source, "rb") as src, open(tmp, "wb") as dst:
        while chunk := src.read(CHUNK):
            if decompressor is not None:
                try:
                    chunk = decompressor.decompress(chunk)
                except zlib.error as error:
                    os.unlink(tmp)
                    fail(f"layer {digest} is not valid gzip: {error}")
            check.update(chunk)
            out = compressor.compress(chunk)
            sha.update(out)
            dst.write(out)
            size += len(out)
        out = compressor.flush()
        sha.update(out)
        dst.write(out)
        size += len(out)
    if decompressor is not None and not decompressor.eof:
        os.unlink(tmp)
        fail(f"layer {digest} ends before its gzip stream does")
    if "sha256:" + check.hexdigest() != diff_id:
        os.unlink(tmp)
        fail(f"layer {digest} does not unpack to the config's diff_id {diff_id}")
    gz_digest = "sha256:" + sha.hexdigest()
    os.replace(tmp, blob_path(layout, gz_digest))
    return gz_digest, size


def main():
    if len(sys.argv) != 2:
        fail("usage: oci-gzip-layers.py LAYOUT_DIR")
    layout = sys.argv[1]
    index_path = os.path.join(layout, "index.json")
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (OSError, ValueError) as error:
        fail(f"cannot read {index_path}: {error}")

    used = set()  # blobs still referred to: every manifest, its config and its layers
    for entry in index.get("manifests", []):
        if entry.get("mediaType") != MANIFEST:
            fail(f"{entry.get('digest')}: expected an image manifest, got {entry.get('mediaType')!r}")
        with open(blob_path(layout, entry["digest"])) as f:
            manifest = json.load(f)
        with open(blob_path(layout, manifest["config"]["digest"])) as f:
            diff_ids = json.load(f)["rootfs"]["diff_ids"]
        if len(diff_ids) != len(manifest["layers"]):
            fail(f"{entry['digest']}: {len(manifest['layers'])} layers but {len(diff_ids)} diff_ids in the config")
        for layer, diff_id in zip(manifest["layers"], diff_ids):
            if layer["mediaType"] not in (TAR, TAR_GZIP):
                fail(f"layer {layer['digest']} has media type {layer['mediaType']!r}")
            layer["digest"], layer["size"] = gzip_blob(layout, layer["digest"], layer["mediaType"] == TAR_GZIP, diff_id)
            layer["mediaType"] = TAR_GZIP
        data = json.dumps(manifest, separators=(",", ":")).encode()
        entry["digest"] = write_blob(layout, data)
        entry["size"] = len(data)
        used.add(entry["digest"])
        used.add(manifest["config"]["digest"])
        used.update(layer["digest"] for layer in manifest["layers"])

    with open(index_path + ".tmp", "w") as f:
        json.dump(index, f, separators=(",", ":"))
    os.replace(index_path + ".tmp", index_path)

    folder = os.path.join(layout, "blobs", "sha256")
    for name in os.listdir(folder):
        if "sha256:" + name not in used:
            os.unlink(os.path.join(folder, name))


if __name__ == "__main__":
    main()
