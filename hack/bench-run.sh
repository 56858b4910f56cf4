#!/usr/bin/env bash
# Times `scow run --rm busybox true` and, when podman is installed,
# `podman --runtime runc run --rm` on the same image, both rootless as the
# same user, interleaved run by run so that noise hits both alike. Prints
# medians and their ratio. As root it measures as the test user.
#
#   hack/bench-run.sh [RUNS]        (default 21)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
scow=$PWD/bin/scow
archive=$PWD/tests/.cache/busybox.tar
test_user=${SCOW_TEST_USER:-scowtest}
[ -x "$scow" ] && [ -f "$archive" ] || { echo "bench-run: run make build image first" >&2; exit 1; }

work=$(mktemp -d /tmp/scow-bench-XXXXXX)
chmod 755 "$work"
cp "$scow" "$archive" "$work/"
trap 'rm -rf "$work"' EXIT

as_user=()
if [ "$(id -u)" = 0 ]; then
	home=$(getent passwd "$test_user" | cut -d: -f6)
	as_user=(runuser -u "$test_user" -- env HOME="$home" PATH="$PATH")
	chown "$test_user" "$work"
fi
u() { (cd "$work" && "${as_user[@]}" "$@"); }

s=("$work/scow" --root "$work/scow-root" --runroot "$work/scow-run")
u "${s[@]}" load -q -i "$work/busybox.tar"
have_podman=0
if command -v podman >/dev/null; then
	have_podman=1
	p=(podman --runtime runc)
	u "${p[@]}" load -q -i "$work/busybox.tar" >/dev/null
fi

# ms prints a command's wall time in milliseconds.
ms() {
	local t0 t1
	t0=$(date +%s%N)
	u "$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Warm caches and namespaces once each.
ms "${s[@]}" run --rm busybox true >/dev/null
[ "$have_podman" = 1 ] && ms "${p[@]}" run --rm localhost/busybox true >/dev/null
: >"$work/scow.ms"
: >"$work/podman.ms"
for _ in $(seq "$runs"); do
	ms "${s[@]}" run --rm busybox true >>"$work/scow.ms"
	[ "$have_podman" = 1 ] && ms "${p[@]}" run --rm localhost/busybox true >>"$work/podman.ms"
done
sm=$(median <"$work/scow.ms")
echo "scow   run --rm busybox true: median ${sm} ms over $runs runs (rootless, $(u "$work/scow" --version))"
if [ "$have_podman" = 1 ]; then
	pm=$(median <"$work/podman.ms")
	echo "podman run --rm busybox true: median ${pm} ms over $runs runs (rootless, runc, $(podman --version))"
	awk -v s="$sm" -v p="$pm" 'BEGIN {printf "ratio scow/podman: %.2f (target: at most 0.50)\n", s / p}'
else
	echo "podman is not installed: no comparison (apt-get install podman)"
fi
