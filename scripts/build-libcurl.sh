#!/usr/bin/env bash
# Builds the libcurl the OCI images ship: Debian's own curl source at the
# version of the installed libcurl4 (the upstream tarball plus Debian's
# patches, as the libcurl4 package is built), configured for what our HTTP
# client uses (Sources/HTTP/CurlEngine.swift restricts every transfer to
# http and https): OpenSSL, HTTP/2 through nghttp2, zlib content decoding,
# the threaded resolver, proxies and their Basic/Digest/NTLM auth, AWS SigV4.
# Left out, with the libraries they bring: LDAP (libldap, liblber, libsasl2),
# RTMP (librtmp, and through it GnuTLS, nettle, gmp, p11-kit, libunistring),
# SSH (libssh2), GSS-API/Kerberos (libkrb5 and friends), IDN (libidn2),
# the public suffix list (libpsl), brotli and zstd decoding, and the
# protocols no request of ours can name (FTP, FILE, SMTP, IMAP, ...).
#
# The result exports the same soname (libcurl.so.4) and symbol versions
# (CURL_OPENSSL_4) as Debian's libcurl4, which the binaries are linked
# against, so it drops in without relinking.
#
# Usage: scripts/build-libcurl.sh          prints the folder holding libcurl.so.4
# Environment: LIBCURL_OUT (out/libcurl).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "build-libcurl: $*" >&2; exit 1; }
log() { echo "build-libcurl: $*" >&2; }

version=$(dpkg-query -W -f='${Version}' libcurl4 2>/dev/null) || die "libcurl4 is not installed (scripts/bootstrap.sh installs libcurl4-openssl-dev)"
upstream=${version%%-*}
OUT=$(mkdir -p "${LIBCURL_OUT:-out/libcurl}" && cd "${LIBCURL_OUT:-out/libcurl}" && pwd)
DEST=$OUT/$version
if [ -f "$DEST/libcurl.so.4" ] && [ -f "$DEST/copyright" ]; then
    echo "$DEST"
    exit 0
fi

for tool in apt-get patch autoreconf libtoolize make cc pkg-config strip readelf; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/bootstrap.sh installs it)"
done
for dev in openssl libnghttp2 zlib; do
    pkg-config --exists "$dev" || die "the $dev development files are missing (scripts/bootstrap.sh installs them)"
done

WORK=$OUT/build-$version
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"

# Debian's source package through apt itself, so it comes from the machine's own
# archives and is verified as packages are: the signed Release file, then the
# Sources index's checksums of the .dsc and tarballs. A private state folder
# with deb-src twins of the system's deb entries leaves /etc/apt untouched.
apt_dir=$WORK/apt
mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" download
for f in /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ]; then sed 's/^Types:.*$/Types: deb-src/' "$f" >"$apt_dir/parts/$(basename "$f")"; fi
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    if [ -f "$f" ]; then sed -n 's/^deb \(.*\)$/deb-src \1/p' "$f" >"$apt_dir/parts/$(basename "$f").list"; fi
done
APT=(apt-get -qq -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/parts"
     -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Sandbox::User=$(id -un)")
log "fetching Debian's curl $version source through apt"
"${APT[@]}" update >apt.log 2>&1 || { tail -20 apt.log >&2; die "apt-get update for the deb-src entries failed"; }
(cd download && "${APT[@]}" source --download-only "curl=$version") >>apt.log 2>&1 \
    || { tail -20 apt.log >&2; die "apt-get source curl=$version failed (IMAGE_LIBCURL=debian ships Debian's libcurl4 instead)"; }
orig=download/curl_$upstream.orig.tar.gz
debian=download/curl_$version.debian.tar.xz
[ -f "$orig" ] && [ -f "$debian" ] || die "apt-get source gave no $orig and $debian"

mkdir src
tar -xzf "$orig" -C src --strip-components=1
tar -xJf "$debian" -C src
cd src
# Debian's OpenSSL flavour is built with every patch but the last two (GnuTLS and NSS).
mapfile -t patches < <(grep -v -e '^#' -e '^[[:space:]]*$' debian/patches/series | awk '{print $1}')
for p in "${patches[@]}"; do
    case "$p" in 90_gnutls.patch|99_nss.patch) continue ;; esac
    patch -p1 -s --no-backup-if-mismatch <"debian/patches/$p" || die "Debian patch $p does not apply"
done

log "configuring curl $version (http and https only)"
autoreconf -fi >autoreconf.log 2>&1 || { tail -20 autoreconf.log >&2; die "autoreconf failed"; }
./configure --quiet --prefix=/usr --disable-dependency-tracking \
    --enable-shared --disable-static --enable-versioned-symbols --enable-threaded-resolver \
    --with-openssl --with-nghttp2 --with-zlib \
    --with-ca-path=/etc/ssl/certs --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
    --without-brotli --without-zstd --without-libidn2 --without-librtmp \
    --without-libssh2 --without-libssh --without-wolfssh --without-libpsl --without-gssapi \
    --without-hyper --without-quiche --without-ngtcp2 --without-nghttp3 --without-msh3 \
    --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
    --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
    --disable-ftp --disable-file --disable-ntlm-wb --disable-manual --disable-docs \
    >configure.log 2>&1 || { tail -30 configure.log >&2; die "configure failed (see $WORK/src/config.log)"; }
log "compiling libcurl"
make -C lib -j"$(nproc)" >make.log 2>&1 || { tail -30 make.log >&2; die "make failed"; }

so=$(ls lib/.libs/libcurl.so.4.* | head -1)
[ -f "$so" ] || die "no libcurl.so.4.* after make"
# (grep reads all of readelf's output: an early exit would fail the pipe under pipefail)
readelf -d "$so" | grep -c 'SONAME.*\[libcurl.so.4\]' >/dev/null || die "$so has another soname than libcurl.so.4"
readelf -V "$so" | grep -c 'CURL_OPENSSL_4' >/dev/null || die "$so lacks the CURL_OPENSSL_4 symbol version Debian's libcurl4 has"
mkdir -p "$DEST.tmp"
cp "$so" "$DEST.tmp/libcurl.so.4"
strip --strip-unneeded "$DEST.tmp/libcurl.so.4"
{
    echo "libcurl $version built from Debian's source package by scripts/build-libcurl.sh,"
    echo "for http and https only (see the script for the configuration)."
    echo
    cat COPYING
    [ -f debian/copyright ] && { echo; cat debian/copyright; }
} >"$DEST.tmp/copyright"
{ echo "protocols: $(sh curl-config --protocols | tr '\n' ' ')"; echo "features: $(sh curl-config --features | tr '\n' ' ')"; } >"$DEST.tmp/configuration"
readelf -d "$DEST.tmp/libcurl.so.4" | awk '/NEEDED/ { gsub(/[][]/, "", $5); print $5 }' >"$DEST.tmp/needed"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
cd "$OUT"
rm -rf "$WORK"
log "$DEST/libcurl.so.4 needs: $(tr '\n' ' ' <"$DEST/needed")"
echo "$DEST"
