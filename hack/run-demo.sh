#!/usr/bin/env bash
# The `make run` demo: loads the busybox image if this user has no image
# yet, then runs a container with it, rootless. Invoked as root, it acts
# as the unprivileged test user (argument 1, made by install-deps.sh
# --demo), since root is not rootless.
set -euo pipefail
cd "$(dirname "$0")/.."
scow=$PWD/bin/scow
archive=$PWD/tests/.cache/busybox.tar
test_user=${1:-scowtest}

as_user() {
	if [ "$(id -u)" = 0 ]; then
		local home
		home=$(getent passwd "$test_user" | cut -d: -f6)
		# Root's own session directories are not the user's.
		(cd / && runuser -u "$test_user" -- env -u XDG_RUNTIME_DIR -u XDG_DATA_HOME -u XDG_CONFIG_HOME \
			HOME="$home" PATH="$PATH" "$@")
	else
		"$@"
	fi
}

if [ "$(id -u)" = 0 ]; then
	if ! id "$test_user" >/dev/null 2>&1; then
		echo "run-demo: no user $test_user: run SCOW_TEST_USER=$test_user hack/install-deps.sh --demo" >&2
		exit 1
	fi
	# The checkout may sit where the test user cannot reach (under
	# /root): it runs copies from a directory of its own.
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	chmod 0755 "$tmp"
	install -m 0755 "$scow" "$scow-full" "$scow-monitor" "$tmp/"
	install -m 0644 "$archive" "$tmp/busybox.tar"
	scow=$tmp/scow archive=$tmp/busybox.tar
fi
if [ -z "$(as_user "$scow" images -q)" ]; then
	as_user "$scow" load -i "$archive"
fi
echo "+ scow run --rm busybox echo hello from scow"
as_user "$scow" run --rm busybox echo hello from scow
