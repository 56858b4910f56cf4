#!/usr/bin/env bash
# Build benchmark: scow build against podman build (--runtime runc, when
# installed), rootless as the same user, on the same busybox image: a
# Containerfile of two stages and 11 steps with a COPY of 200 files, built
# cold (--no-cache) and fully cached. Runs are interleaved; medians and
# ratios are printed. As root it measures as the test user.
#
#   hack/bench-build.sh [RUNS]     (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
archive=$PWD/tests/.cache/busybox.tar
[ -x bin/scow ] && [ -f "$archive" ] || { echo "bench-build: run make build image first" >&2; exit 1; }

. hack/bench-lib.sh
bench_workdir build
cp "$archive" "$work/"
ctx=$work/ctx
mkdir -p "$ctx/files"
for i in $(seq 200); do head -c $((i * 37)) /dev/urandom >"$ctx/files/f$i"; done
cat >"$ctx/Containerfile" <<'CF'
FROM localhost/busybox AS builder
RUN mkdir /out && echo built > /out/artifact
RUN seq 1000 > /out/seq
FROM localhost/busybox
ENV APP=/app
WORKDIR /app
COPY files/ ./files/
RUN ls files | wc -l > count
COPY --from=builder /out /from-builder
LABEL bench=yes
CMD ["cat", "count"]
CF
[ "$(id -u)" = 0 ] && chown -R "${SCOW_TEST_USER:-scowtest}" "$ctx"

s=("$work/scow" --root "$work/scow-root" --runroot "$work/scow-run")
have_podman=0
p=()
if command -v podman >/dev/null; then
	have_podman=1
	p=(podman --root "$work/podman-root" --runroot "$work/podman-run")
fi
cleanup() {
	u "${s[@]}" unshare rm -rf "$work/scow-root" "$work/scow-run" >/dev/null 2>&1 || true
	[ "$have_podman" = 1 ] && { u podman unshare rm -rf "$work/podman-root" "$work/podman-run" 2>/dev/null || true; }
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
u "${s[@]}" load -q -i "$work/busybox.tar" >/dev/null
[ "$have_podman" = 1 ] && u "${p[@]}" load -q -i "$work/busybox.tar" >/dev/null

ms() {
	local t0 t1
	t0=$(date +%s%N)
	u sh -c "$1" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# compare NAME SCOW-CMD PODMAN-CMD: interleaved medians and ratio.
compare() {
	local name=$1 sc=$2 pc=$3 sm pm
	: >"$work/s.ms"
	: >"$work/p.ms"
	# Warm up, fill the cache, and check that both build.
	u sh -c "$sc" >/dev/null 2>&1 || { echo "bench-build: scow failed: $sc" >&2; exit 1; }
	if [ "$have_podman" = 1 ]; then
		u sh -c "$pc" >/dev/null 2>&1 || { echo "bench-build: podman failed: $pc" >&2; exit 1; }
	fi
	for _ in $(seq "$runs"); do
		ms "$sc" >>"$work/s.ms"
		[ "$have_podman" = 1 ] && ms "$pc" >>"$work/p.ms"
	done
	sm=$(median <"$work/s.ms")
	if [ "$have_podman" = 1 ]; then
		pm=$(median <"$work/p.ms")
		awk -v n="$name" -v s="$sm" -v p="$pm" -v r="$runs" 'BEGIN {printf "%-34s scow %8.1f ms   podman %8.1f ms   ratio %.2f   (median of %d)\n", n, s, p, s / p, r}'
	else
		printf "%-34s scow %8.1f ms   (median of %d; no podman to compare)\n" "$name" "$sm" "$runs"
	fi
}

S="${s[*]}"
P="${p[*]}"
echo "scow: $(u "$work/scow" --version); podman: $( [ "$have_podman" = 1 ] && podman --version || echo none); rootless as $(u id -un)"
u "${s[@]}" build -q -t bench "$ctx" >/dev/null
compare "build, cold (--no-cache)" "$S build --no-cache -t bench $ctx" "$P build --runtime runc --no-cache -t bench $ctx"
compare "build, fully cached" "$S build -t bench $ctx" "$P build --runtime runc -t bench $ctx"
