#!/usr/bin/env bash
# Makes a Debian 12 (bookworm) minbase rootfs tarball with mmdebstrap, from
# the Debian mirrors this host's apt uses, for the tests that need a
# distribution (dpkg, useradd): scow import OUT.tar NAME makes the image.
#
#   hack/mkimage-debian.sh OUT.tar
set -euo pipefail

out=${1:?usage: mkimage-debian.sh OUT.tar}
command -v mmdebstrap >/dev/null || { echo "mkimage-debian: mmdebstrap missing: hack/install-deps.sh --test installs it" >&2; exit 1; }

# The host's own apt sources of bookworm: the mirror it can reach.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && grep -qs '^[^#]*bookworm' "$f" && sources+=("$f")
done
if [ "${#sources[@]}" = 0 ]; then
	echo "mkimage-debian: no apt source of bookworm in /etc/apt" >&2
	exit 1
fi

tmp=$out.tmp
trap 'rm -f "$tmp"' EXIT
mmdebstrap --quiet --variant=minbase --format=tar \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
	bookworm "$tmp" "${sources[@]}"
mv "$tmp" "$out"
