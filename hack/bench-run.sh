#!/usr/bin/env bash
# Benchmarks scow against podman (when installed), both rootless as the
# same user on the same image, podman with --runtime runc, and against the
# floor: a bare rootless `runc run` (and `crun run`, where crun works on
# this host) of the same rootfs. Each pair of measurements is interleaved
# run by run so that noise hits both alike; medians and ratios are
# printed. Then the start-up of `scow version` and `scow ps` with the
# package inits that run before main (GODEBUG=inittrace=1). As root it
# measures as the test user.
#
#   hack/bench-run.sh [RUNS] [PS_CONTAINERS]     (defaults 21 and 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
ps_count=${2:-1000}
scow=$PWD/bin/scow
archive=$PWD/tests/.cache/busybox.tar
[ -x "$scow" ] && [ -f "$archive" ] || { echo "bench-run: run make build image first" >&2; exit 1; }

. hack/bench-lib.sh
bench_workdir bench
cp "$archive" "$work/"

s=("$work/scow" --root "$work/scow-root" --runroot "$work/scow-run")
have_podman=0
p=()
if command -v podman >/dev/null; then
	have_podman=1
	# A store of its own, so that the user's podman containers stay out.
	p=(podman --runtime runc --root "$work/podman-root" --runroot "$work/podman-run")
fi
cleanup() {
	u "${s[@]}" rm -f --all >/dev/null 2>&1 || true
	u "${s[@]}" rmi -f busybox >/dev/null 2>&1 || true
	if [ "$have_podman" = 1 ]; then
		u "${p[@]}" rm -f --all >/dev/null 2>&1 || true
		u "${p[@]}" network rm -f benchrun >/dev/null 2>&1 || true
		u podman unshare rm -rf "$work/podman-root" "$work/podman-run" 2>/dev/null || true
	fi
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
u "${s[@]}" load -q -i "$work/busybox.tar"
[ "$have_podman" = 1 ] && u "${p[@]}" load -q -i "$work/busybox.tar" >/dev/null

# ms prints how long a command line (run through sh, as the user) takes,
# in ms to 0.1: timed inside that shell, so that switching users is not
# counted.
ms() {
	u sh -c "t0=\$(date +%s%N); { $1; } </dev/null >/dev/null || exit 1; t1=\$(date +%s%N); echo \$(((t1 - t0) / 100000))" | awk '{printf "%.1f\n", $1 / 10}'
}

# own_time runs a command line (through sh, as the user) that prints its
# own time in ms.
own_time() { u sh -c "$1"; }

# settle waits, untimed, until neither engine has work left in the
# background: podman's exit command (conmon runs "podman container
# cleanup" after the container ends) and scow's monitor hooks. Without it
# one engine's clean-up lands in the other's next measurement.
settle() {
	u sh -c 'for _ in $(seq 300); do pgrep -u "$(id -u)" -x podman >/dev/null || pgrep -u "$(id -u)" -f "[_]_monitor-hook" >/dev/null || exit 0; sleep 0.01; done; echo "bench: background work did not end in 3 s; measuring anyway" >&2'
}

# compare NAME SCOW-CMD OTHER-CMD [RUNS] [OTHER]: interleaved medians and
# their ratio; OTHER names what OTHER-CMD runs (default podman, measured
# only when installed; "... (timed)": it prints its own time).
compare() {
	local name=$1 sc=$2 pc=$3 n=${4:-$runs} other=${5:-podman} sm pm
	local have=1
	[ "$other" = podman ] && have=$have_podman
	: >"$work/s.ms"
	: >"$work/p.ms"
	# An OTHER-CMD that prints its own time (OTHER ends in "(timed)")
	# gives that, not the time around it.
	local timer=ms
	[ "${other%(timed)}" != "$other" ] && timer=own_time
	ms "$sc" >/dev/null # warm up
	[ "$have" = 1 ] && $timer "$pc" >/dev/null
	for _ in $(seq "$n"); do
		settle
		ms "$sc" >>"$work/s.ms"
		settle
		[ "$have" = 1 ] && $timer "$pc" >>"$work/p.ms"
	done
	sm=$(median <"$work/s.ms")
	if [ "$have" = 1 ]; then
		pm=$(median <"$work/p.ms")
		awk -v n="$name" -v s="$sm" -v p="$pm" -v o="$other" -v r="$n" 'BEGIN {printf "%-40s scow %7.1f ms   %s %7.1f ms   ratio %.2f   (median of %d)\n", n, s, o, p, s / p, r}'
	else
		printf "%-40s scow %7.1f ms   (median of %d; no podman to compare)\n" "$name" "$sm" "$n"
	fi
}

S="${s[*]}"
P="${p[*]}"
echo "scow: $(u "$work/scow" --version); podman: $( [ "$have_podman" = 1 ] && podman --version || echo none); rootless as $(u id -un)"

# The floor: the image's rootfs in a bundle of the runtime's own rootless
# spec, running true.
mkdir -p "$work/bundle/rootfs" "$work/layer"
tar -xf "$archive" -C "$work/layer"
for layer in $(sed 's/.*"Layers":\[\([^]]*\)\].*/\1/; s/[",]/ /g' "$work/layer/manifest.json"); do
	tar -xf "$work/layer/$layer" -C "$work/bundle/rootfs" --no-same-owner 2>/dev/null || true
done
chown -R "$(u id -u)" "$work/bundle"
# As the user: the spec maps the user's own ID to root.
u sh -c "cd $work/bundle && runc spec --rootless"
sed -i 's/"sh"/"true"/; s/"terminal": true/"terminal": false/' "$work/bundle/config.json"
# floor RUNTIME: scow against a bare run of the same rootfs by RUNTIME,
# each container named after its shell.
floor() {
	compare "run --rm --network none busybox true" "$S run --rm --network none busybox true" \
		"$1 --root $work/$1-state run -b $work/bundle floor\$\$ 2>$work/floor.err || { cat $work/floor.err >&2; exit 1; }" "$runs" "bare $1"
}
floor runc
# The floor of the container scow runs: the spec scow wrote for it (its
# seccomp profile, masked paths and mounts), its command true, its own
# network namespace, run by a bare runc inside scow's user namespace, as
# scow's monitor runs it. It is timed inside that namespace, so entering it
# is not counted. What scow adds to the runtime is the difference.
u "${s[@]}" run -d --name specsrc --network none busybox sleep 600 >/dev/null
spec_id=$(u "${s[@]}" inspect -f '{{.Id}}' specsrc)
mkdir -p "$work/ownspec"
python3 - "$work/scow-root/containers/$spec_id/bundle/config.json" "$work/ownspec/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"], c["process"]["terminal"] = ["true"], False
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"] + [{"type": "network"}]
c.pop("hooks", None)
json.dump(c, open(sys.argv[2], "w"))
PY
chown -R "$(u id -u)" "$work/ownspec"
cat >"$work/ownspec/time.sh" <<SH
#!/bin/sh
t0=\$(date +%s%N)
runc --root $work/ownspec/state run -b $work/ownspec own\$\$ </dev/null >/dev/null 2>$work/ownspec/err || { cat $work/ownspec/err >&2; exit 1; }
t1=\$(date +%s%N)
echo \$(((t1 - t0) / 100000)) | awk '{printf "%.1f\\n", \$1 / 10}'
SH
chmod 755 "$work/ownspec/time.sh"
compare "run --rm --network none busybox true" "$S run --rm --network none busybox true" \
	"$S unshare $work/ownspec/time.sh" "$runs" "runc, scow's spec (timed)"
u "${s[@]}" rm -f -t 0 specsrc >/dev/null
if command -v crun >/dev/null && u crun --root "$work/crun-state" run -b "$work/bundle" crunprobe </dev/null >/dev/null 2>&1; then
	floor crun
else
	echo "crun: does not run on this host (or is not installed); no crun floor"
fi
compare "run --rm busybox true" "$S run --rm busybox true" "$P run --rm localhost/busybox true"
# On a named network: a bridge in the user's infra namespace (scow's
# holder, podman's rootless-netns), kept up by a running container so
# that each run measures joining it.
u "${s[@]}" network create benchrun >/dev/null
[ "$have_podman" = 1 ] && u "${p[@]}" network create benchrun >/dev/null
u "${s[@]}" run -d --network benchrun busybox sleep 600 >/dev/null
[ "$have_podman" = 1 ] && u "${p[@]}" run -d --network benchrun localhost/busybox sleep 600 >/dev/null
compare "run --rm --network NAME busybox true" "$S run --rm --network benchrun busybox true" "$P run --rm --network benchrun localhost/busybox true"
u "${s[@]}" rm -f --all >/dev/null
[ "$have_podman" = 1 ] && u "${p[@]}" rm -f --all >/dev/null
compare "run -d + stop -t0 + rm (cycle)" \
	"id=\$($S run -d busybox sleep 600) && $S stop -t 0 \$id && $S rm \$id" \
	"id=\$($P run -d localhost/busybox sleep 600) && $P stop -t 0 \$id && $P rm \$id"
# start of an exited container, attached to its end; exec in a running one.
u "${s[@]}" create --name once --network none busybox true >/dev/null
[ "$have_podman" = 1 ] && u "${p[@]}" create --name once --network none localhost/busybox true >/dev/null
compare "start -a (a container running true)" "$S start -a once" "$P start -a once"
u "${s[@]}" run -d --name busy --network none busybox sleep 600 >/dev/null
[ "$have_podman" = 1 ] && u "${p[@]}" run -d --name busy --network none localhost/busybox sleep 600 >/dev/null
compare "exec (true, in a running container)" "$S exec busy true" "$P exec busy true"
u "${s[@]}" rm -f -t 0 once busy >/dev/null
[ "$have_podman" = 1 ] && u "${p[@]}" rm -f -t 0 once busy >/dev/null

# Memory of what keeps a detached container: scow's monitor, podman's
# conmon. RSS counts the binary's pages that every scow process shares;
# private (anonymous) memory and PSS say what one more container costs.
mem() { awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} /^Anonymous:/ {a=$2} END {printf "RSS %d kB, PSS %d kB, private %d kB", r, p, a}' "/proc/$1/smaps_rollup"; }
u "${s[@]}" run -d --name rss busybox sleep 600 >/dev/null
sleep 1
mon=$(pgrep -u "$(u id -u)" -f '__monitor' | head -1)
echo "monitor memory: scow monitor: $(mem "$mon")"
if [ "$have_podman" = 1 ]; then
	u "${p[@]}" run -d --name rss localhost/busybox sleep 600 >/dev/null
	sleep 1
	conmon=$(pgrep -u "$(u id -u)" -n conmon)
	echo "monitor memory: podman conmon: $(mem "$conmon")"
	u "${p[@]}" rm -t 0 -f rss >/dev/null
fi
u "${s[@]}" rm -f rss >/dev/null

# Start-up: what a command costs before it does anything, and the package
# inits that run before main (their clock time summed, and the costliest).
for cmd in version ps; do
	: >"$work/v.ms"
	for _ in $(seq "$runs"); do ms "$S $cmd" >>"$work/v.ms"; done
	printf "%-40s scow %7.1f ms   (median of %d)\n" "start-up: scow $cmd" "$(median <"$work/v.ms")" "$runs"
done
u env GODEBUG=inittrace=1 "$work/scow" version 2>&1 >/dev/null | grep '^init ' >"$work/inits" || true
awk '{n++; t += $5; b += $8} END {printf "inits before main: %d packages, %.1f ms clock, %.1f MB allocated; the costliest:\n", n, t, b / 1e6}' "$work/inits"
awk '{printf "  %5.2f ms %s\n", $5, $2}' "$work/inits" | sort -rn | head -8

# ps -a over many exited containers.
echo "creating $ps_count exited containers for each engine..."
seq "$ps_count" | u xargs -P 2 -I{} "$work/scow" --root "$work/scow-root" --runroot "$work/scow-run" run busybox true >/dev/null
[ "$have_podman" = 1 ] && seq "$ps_count" | u xargs -P 2 -I{} "${p[@]}" run localhost/busybox true >/dev/null 2>&1
compare "ps -a with $ps_count exited containers" "$S ps -a" "$P ps -a" 11
