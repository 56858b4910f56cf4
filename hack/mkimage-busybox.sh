#!/usr/bin/env bash
# Makes a docker-archive image from the host's busybox-static: /bin/busybox
# with its applet links, /etc/passwd, /etc/group and /tmp. The archive is
# byte-for-byte reproducible (fixed times, owners and order), so the image
# ID is the same on every machine with the same busybox.
#
#   hack/mkimage-busybox.sh OUT.tar [REPO:TAG]     (default localhost/busybox:latest)
#   hack/mkimage-busybox.sh --rootfs OUT.tar       only the rootfs tarball (for scow import)
set -euo pipefail

rootfs_only=0
if [ "${1:-}" = "--rootfs" ]; then rootfs_only=1; shift; fi
out=${1:?usage: mkimage-busybox.sh [--rootfs] OUT.tar [REPO:TAG]}
tag=${2:-localhost/busybox:latest}
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkimage-busybox: $bb missing: apt-get install busybox-static" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,proc,sys,dev,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
cp "$bb" "$root/bin/busybox"
for applet in $("$bb" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	[ -e "$root/$applet" ] || ln "$root/bin/busybox" "$root/$applet"
done
cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
tester:x:1000:1000:tester:/home/tester:/bin/sh
P
cat > "$root/etc/group" <<'G'
root:x:0:
daemon:x:1:
bin:x:2:
tty:x:5:
users:x:100:tester
nogroup:x:65534:
tester:x:1000:
G
mkdir -p "$root/home/tester"
chown 1000:1000 "$root/home/tester" 2>/dev/null || true

tarflags=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --hard-dereference -C "$root")
if [ "$rootfs_only" = 1 ]; then
	tar "${tarflags[@]}" -cf "$out" .
	exit 0
fi
# home/tester keeps its owner: the tarball records ownership explicitly.
tar --sort=name --mtime=@0 --numeric-owner -C "$root" -cf "$work/layer.tar" \
	--owner=0 --group=0 --exclude=./home/tester . \
	&& tar --sort=name --mtime=@0 --numeric-owner -C "$root" -rf "$work/layer.tar" \
	--owner=1000 --group=1000 ./home/tester

diffid=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
# The busybox binary's own date: reproducible for one package version.
created=$(date -u -d "@$(stat -c %Y "$bb")" +%Y-%m-%dT%H:%M:%SZ)
printf '{"architecture":"amd64","os":"linux","created":"%s","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"hack/mkimage-busybox.sh"}]}' \
	"$created" "$diffid" "$created" > "$work/config.json"
cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mkdir "$work/archive"
mv "$work/config.json" "$work/archive/$cfg.json"
mv "$work/layer.tar" "$work/archive/$diffid.tar"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s.tar"]}]' "$cfg" "$tag" "$diffid" > "$work/archive/manifest.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/archive" -cf "$out" .
