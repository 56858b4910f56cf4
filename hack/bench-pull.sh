#!/usr/bin/env bash
# Times pulling a 200 MB image of 5 layers of random data from a local
# registry (Debian's docker-registry on 127.0.0.1) into an empty store:
# scow against podman pull and skopeo copy to containers-storage when
# installed, as the same user, interleaved run by run. Prints medians,
# ratios and MB/s. As root it measures as the test user.
#
#   hack/bench-pull.sh [RUNS]      (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
scow=$PWD/bin/scow
command -v docker-registry >/dev/null || { echo "bench-pull: apt-get install docker-registry" >&2; exit 1; }
[ -x "$scow" ] || { echo "bench-pull: run make build first" >&2; exit 1; }

. hack/bench-lib.sh
bench_workdir bench-pull

# The image: five 40 MB layers of random data, as a docker-archive.
img=$work/img
mkdir -p "$img"
layers=()
diffids=()
for i in 1 2 3 4 5; do
	mkdir -p "$img/l$i"
	head -c $((40 * 1024 * 1024)) /dev/urandom >"$img/l$i/blob$i"
	tar -C "$img/l$i" -cf "$img/layer$i.tar" .
	sum=$(sha256sum "$img/layer$i.tar" | cut -d' ' -f1)
	mv "$img/layer$i.tar" "$img/$sum.tar"
	rm -rf "$img/l$i"
	layers+=("\"$sum.tar\"")
	diffids+=("\"sha256:$sum\"")
done
cfg=$(printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$(IFS=,; echo "${diffids[*]}")")
cfgsum=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
printf '%s' "$cfg" >"$img/$cfgsum.json"

port=$(freeport)
ref=127.0.0.1:$port/bench/big:1
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]' "$cfgsum" "$ref" "$(IFS=,; echo "${layers[*]}")" >"$img/manifest.json"
tar -C "$img" -cf "$work/big.tar" .
rm -rf "$img"
chmod 644 "$work/big.tar"

printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$work/registry" "$port" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry=$!
cleanup() {
	kill "$registry" 2>/dev/null || true
	rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

s=("$work/scow" --root "$work/s-load" --runroot "$work/s-load-run")
u "${s[@]}" load -q -i "$work/big.tar"
u "${s[@]}" push -q --tls-verify=false "$ref"
size_mb=200

# fresh_* pull into a store made empty first; each prints milliseconds.
ms_of() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
fresh_scow() {
	u "$work/scow" --root "$work/s" --runroot "$work/s-run" rmi -f "$ref" >/dev/null 2>&1 || true
	ms_of u "$work/scow" --root "$work/s" --runroot "$work/s-run" pull -q --tls-verify=false "$ref"
}
fresh_podman() {
	u podman --root "$work/p" --runroot "$work/p-run" rmi -f "$ref" >/dev/null 2>&1 || true
	ms_of u podman --root "$work/p" --runroot "$work/p-run" pull -q --tls-verify=false "$ref"
}
fresh_skopeo() {
	u podman --root "$work/p" --runroot "$work/p-run" rmi -f "$ref" >/dev/null 2>&1 || true
	ms_of u podman --root "$work/p" --runroot "$work/p-run" unshare skopeo copy -q --src-tls-verify=false "docker://$ref" "containers-storage:[overlay@$work/p+$work/p-run]$ref"
}

engines=(scow)
command -v podman >/dev/null && engines+=(podman)
command -v podman >/dev/null && command -v skopeo >/dev/null && engines+=(skopeo)
for e in "${engines[@]}"; do : >"$work/$e.ms"; done
for _ in $(seq "$runs"); do
	for e in "${engines[@]}"; do "fresh_$e" >>"$work/$e.ms"; done
done
sm=$(median <"$work/scow.ms")
echo "pull of a ${size_mb} MB, 5-layer image from a local registry into an empty store (median of $runs, rootless as $(u id -un)):"
for e in "${engines[@]}"; do
	m=$(median <"$work/$e.ms")
	awk -v e="$e" -v m="$m" -v s="$sm" -v mb="$size_mb" 'BEGIN {printf "  %-7s %7.0f ms  %6.1f MB/s  scow/%s %.2f\n", e, m, mb / (m / 1000), e, s / m}'
done
