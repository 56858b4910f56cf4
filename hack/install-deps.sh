#!/usr/bin/env bash
# Installs what scow and its tests need on Debian 12, and nothing else.
# Idempotent: every step checks first. As root it acts; as a normal user it
# checks and prints the exact sudo command for whatever is missing.
#
#   hack/install-deps.sh            engine dependencies
#   hack/install-deps.sh --demo     also, as root, the user `make run` acts as
#   hack/install-deps.sh --test     also that user, a second one and the
#                                   test packages
#
# The test user (SCOW_TEST_USER, default "scowtest") is an unprivileged
# account with its own subuid/subgid range: root is not rootless, so as
# root `make run` runs its container as that user, and the end-to-end
# tests run the scow binary as that user. A second one, "scownosub", has
# no range, for the single-ID mapping path.
set -euo pipefail

want_user=0 want_test=0
case "${1:-}" in
--demo) want_user=1 ;;
--test) want_user=1 want_test=1 ;;
"") ;;
*)
	echo "usage: $0 [--demo|--test]" >&2
	exit 2
	;;
esac
test_user=${SCOW_TEST_USER:-scowtest}

# Packages the engine needs at run time, and those only the tests need.
engine_pkgs=(uidmap runc crun slirp4netns passt fuse-overlayfs fuse3 busybox-static catatonit iproute2 nftables)
test_pkgs=(docker-registry tzdata mmdebstrap)
build_pkgs=(gcc make libc6-dev)

pkgs=("${engine_pkgs[@]}" "${build_pkgs[@]}")
[ "$want_test" = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	else
		echo "install-deps: needs root: sudo $*" >&2
		return 1
	fi
}

rc=0
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "install-deps: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "install-deps: missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
		rc=1
	fi
fi

# Normal distributions give everyone access to these; rootless networking
# (slirp4netns, pasta) needs the first, fuse-overlayfs the second.
for dev in /dev/net/tun /dev/fuse; do
	[ -e "$dev" ] || continue
	if [ "$(stat -c %a "$dev")" != 666 ]; then
		as_root chmod 0666 "$dev" || rc=1
	fi
done

# A subordinate range of 65536 IDs where useradd did not allocate one
# (SUB_UID_COUNT=0 in login.defs): the first free one past every range
# already given out.
ensure_subids() {
	local user=$1 f start
	for f in /etc/subuid /etc/subgid; do
		grep -q "^$user:" "$f" 2>/dev/null && continue
		start=$(awk -F: 'BEGIN { e = 100000 } $2 + $3 > e { e = $2 + $3 } END { print e }' "$f" 2>/dev/null || echo 100000)
		as_root sh -c "echo '$user:$start:65536' >> $f" || rc=1
	done
}

# Only root needs a user to be rootless as; a normal user is one.
if [ "$want_user" = 1 ] && { [ "$want_test" = 1 ] || [ "$(id -u)" = 0 ]; }; then
	if ! id "$test_user" >/dev/null 2>&1; then
		as_root useradd --create-home --shell /bin/sh "$test_user" || rc=1
	fi
	ensure_subids "$test_user"
fi

if [ "$want_test" = 1 ]; then
	if ! id scownosub >/dev/null 2>&1; then
		as_root useradd --create-home --shell /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 scownosub || rc=1
	fi
	if grep -qs '^scownosub:' /etc/subuid /etc/subgid; then
		as_root sed -i '/^scownosub:/d' /etc/subuid /etc/subgid || rc=1
	fi
	# Root's --userns=auto takes its IDs from this user's ranges, as
	# Podman's does.
	if ! id containers >/dev/null 2>&1; then
		as_root useradd --system --no-create-home --shell /usr/sbin/nologin containers || rc=1
	fi
	ensure_subids containers
fi

user=${SUDO_USER:-$(id -un)}
if [ "$user" != root ] && ! grep -q "^$user:" /etc/subuid 2>/dev/null; then
	echo "install-deps: $user has no subordinate ID range; rootless containers will map only your own UID." >&2
	echo "install-deps: to add one: sudo usermod --add-subuids 400000-465535 --add-subgids 400000-465535 $user" >&2
fi
exit "$rc"
