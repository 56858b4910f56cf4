#!/usr/bin/env bash
# Healthcheck cost: N containers (default 20) rootless, each checked every
# second by its own monitor, for SECONDS (default 60). Prints the monitors'
# memory (RSS, PSS) and the CPU the checks take: the monitors' own and
# their children's (runc exec and the check itself), as a share of one
# core. As root it measures as the test user.
#
#   hack/bench-health.sh [N] [SECONDS] [none]     (none: no healthcheck, the baseline)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
secs=${2:-60}
check=(--health-cmd true --health-interval 1s)
[ "${3:-}" = none ] && check=()
archive=$PWD/tests/.cache/busybox.tar
[ -x bin/scow ] && [ -f "$archive" ] || { echo "bench-health: run make build image first" >&2; exit 1; }

. hack/bench-lib.sh
bench_workdir health
cp "$archive" "$work/"
s=("$work/scow" --root "$work/scow-root" --runroot "$work/scow-run")
cleanup() {
	u "${s[@]}" rm -f -t 0 --all >/dev/null 2>&1 || true
	u "${s[@]}" unshare rm -rf "$work/scow-root" "$work/scow-run" >/dev/null 2>&1 || true
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
u "${s[@]}" load -q -i "$work/busybox.tar" >/dev/null
for i in $(seq "$n"); do
	u "${s[@]}" run -d --name "h$i" "${check[@]}" busybox sleep 3600 >/dev/null
done
# The monitors: the processes recorded as each container's.
monitors() {
	for i in $(seq "$n"); do u "${s[@]}" inspect --format '{{.State.ConmonPid}}' "h$i" 2>/dev/null || true; done
}
pids=$(monitors | tr '\n' ' ')
ticks() { # utime stime cutime cstime of the pids, summed
	local sum=0 p
	for p in $pids; do
		[ -r "/proc/$p/stat" ] || continue
		sum=$((sum + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat")))
	done
	echo "$sum"
}
t0=$(ticks)
sleep "$secs"
t1=$(ticks)
hz=$(getconf CLK_TCK)
rss=0
pss=0
for p in $pids; do
	rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status")))
	pss=$((pss + $(awk '/^Pss:/ {s += $2} END {print s + 0}' "/proc/$p/smaps_rollup")))
done
healthy=$(u "${s[@]}" ps --filter health=healthy -q | wc -l)

awk -v n="$n" -v s="$secs" -v d="$((t1 - t0))" -v hz="$hz" -v rss="$rss" -v pss="$pss" -v h="$healthy" -v c="${#check[@]}" 'BEGIN {
	printf "healthchecks: %d containers, %s, for %ds (%d healthy at the end)\n", n, c ? "checked every 1s" : "no healthcheck", s, h
	printf "  CPU of the monitors and their checks: %.1f%% of one core (%.1f ms a check)\n", 100 * d / hz / s, 1000 * d / hz / (n * s)
	printf "  memory of the monitors: RSS %.1f MiB (%.2f each), PSS %.1f MiB (%.2f each)\n", rss / 1024, rss / 1024 / n, pss / 1024, pss / 1024 / n
}'

