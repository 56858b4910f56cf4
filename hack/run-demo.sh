#!/usr/bin/env bash
# The `make run` demo: loads the busybox image if this user has no image
# yet, then runs a container with it, rootless. Invoked as root, it acts
# as the unprivileged test user (argument 1), since root is not rootless.
set -euo pipefail
cd "$(dirname "$0")/.."
scow=$PWD/bin/scow
archive=$PWD/tests/.cache/busybox.tar
test_user=${1:-scowtest}

as_user() {
	if [ "$(id -u)" = 0 ]; then
		local home
		home=$(getent passwd "$test_user" | cut -d: -f6)
		(cd / && runuser -u "$test_user" -- env HOME="$home" PATH="$PATH" "$@")
	else
		"$@"
	fi
}

if [ "$(id -u)" = 0 ]; then
	# The test user must be able to read the binary and the archive.
	chmod o+rx "$PWD" "$PWD/bin" "$PWD/tests" "$PWD/tests/.cache" 2>/dev/null || true
	chmod o+r "$archive"
fi
if [ -z "$(as_user "$scow" images -q)" ]; then
	as_user "$scow" load -i "$archive"
fi
echo "+ scow run --rm busybox echo hello from scow"
as_user "$scow" run --rm busybox echo hello from scow
