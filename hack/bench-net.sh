#!/usr/bin/env bash
# Benchmarks published ports, scow against podman (when installed), both
# rootless as the same user on the same busybox image, podman with
# --runtime runc: the throughput of a 1 GiB download from busybox httpd
# in a container through -p, and the request rate of that httpd (a new
# connection per request, 16 at a time), for each port handler:
# slirp4netns + rootlesskit (the default), slirp4netns's own, pasta, and
# a named network (a bridge in the user's infra namespace, rootlesskit).
# Runs are interleaved engine by engine; medians and ratios are printed.
#
#   hack/bench-net.sh [RUNS] [SECONDS]     (defaults 3 and 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
secs=${2:-5}
archive=$PWD/tests/.cache/busybox.tar
[ -x bin/scow ] && [ -f "$archive" ] || { echo "bench-net: run make build image first" >&2; exit 1; }

. hack/bench-lib.sh
bench_workdir bench-net
cp "$archive" "$work/"
go build -o "$work/netbench" ./hack/netbench

s=("$work/scow" --root "$work/scow-root" --runroot "$work/scow-run")
have_podman=0
if command -v podman >/dev/null; then
	have_podman=1
	p=(podman --runtime runc --root "$work/podman-root" --runroot "$work/podman-run")
fi
cleanup() {
	u "${s[@]}" rm -f --all >/dev/null 2>&1 || true
	if [ "$have_podman" = 1 ]; then
		u "${p[@]}" rm -f --all >/dev/null 2>&1 || true
		u "${p[@]}" network rm -f benchnet >/dev/null 2>&1 || true
		u podman unshare rm -rf "$work/podman-root" "$work/podman-run" 2>/dev/null || true
	fi
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
u "${s[@]}" load -q -i "$work/busybox.tar" >/dev/null
[ "$have_podman" = 1 ] && u "${p[@]}" load -q -i "$work/busybox.tar" >/dev/null
u "${s[@]}" network create benchnet >/dev/null
[ "$have_podman" = 1 ] && { u "${p[@]}" network create benchnet >/dev/null 2>&1 || true; }

serve='mkdir -p /www && echo hi >/www/index.html && truncate -s 1G /www/big && exec httpd -f -p 80 -h /www'

# measure ENGINE NETWORK: prints "MB/s req/s" medians for one engine.
measure() {
	local engine=$1 network=$2 port name tput=() rate=()
	port=$(freeport)
	name=bench$RANDOM
	if [ "$engine" = scow ]; then
		u "${s[@]}" run -d --name "$name" --network "$network" -p "$port:80" busybox sh -c "$serve" >/dev/null
	else
		u "${p[@]}" run -d --name "$name" --network "$network" -p "$port:80" localhost/busybox sh -c "$serve" >/dev/null
	fi
	for _ in $(seq 50); do
		"$work/netbench" get "http://127.0.0.1:$port/index.html" >/dev/null 2>&1 && break
		sleep 0.1
	done
	for _ in $(seq "$runs"); do
		tput+=("$("$work/netbench" get "http://127.0.0.1:$port/big")")
		rate+=("$("$work/netbench" rate "http://127.0.0.1:$port/index.html" "$secs" 16)")
	done
	if [ "$engine" = scow ]; then u "${s[@]}" rm -f "$name" >/dev/null; else u "${p[@]}" rm -t 0 -f "$name" >/dev/null; fi
	echo "$(printf '%s\n' "${tput[@]}" | median) $(printf '%s\n' "${rate[@]}" | median)"
}

echo "scow: $(u "$work/scow" --version); podman: $( [ "$have_podman" = 1 ] && podman --version || echo none); rootless as $(u id -un); median of $runs"
for network in slirp4netns:port_handler=rootlesskit slirp4netns:port_handler=slirp4netns pasta benchnet; do
	read -r st sr <<<"$(measure scow "$network")"
	if [ "$have_podman" = 1 ] && ! u "${p[@]}" run --rm --network "$network" localhost/busybox true >/dev/null 2>&1; then
		printf "%-38s 1 GiB: scow %7.1f MB/s | httpd: scow %6.0f req/s (this podman cannot run on it)\n" "$network" "$st" "$sr"
	elif [ "$have_podman" = 1 ]; then
		read -r pt pr <<<"$(measure podman "$network")"
		awk -v n="$network" -v st="$st" -v pt="$pt" -v sr="$sr" -v pr="$pr" 'BEGIN {
			printf "%-38s 1 GiB: scow %7.1f MB/s  podman %7.1f MB/s  ratio %.2f | httpd: scow %6.0f req/s  podman %6.0f req/s  ratio %.2f\n", n, st, pt, st / pt, sr, pr, sr / pr }'
	else
		printf "%-38s 1 GiB: scow %7.1f MB/s | httpd: scow %6.0f req/s (no podman to compare)\n" "$network" "$st" "$sr"
	fi
done
