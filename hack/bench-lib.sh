# Shared by the benchmark scripts: sourced, not run.
#
# bench_workdir NAME makes a scratch directory that the test user (when
# run as root; ${SCOW_TEST_USER:-scowtest}) may use, with copies of
# bin/scow, bin/scow-full and bin/scow-monitor, and defines u, which runs
# a command there as that user.
bench_workdir() {
	local test_user=${SCOW_TEST_USER:-scowtest} home
	work=$(mktemp -d "/tmp/scow-$1-XXXXXX")
	chmod 755 "$work"
	cp bin/scow bin/scow-full bin/scow-monitor "$work/"
	as_user=()
	if [ "$(id -u)" = 0 ]; then
		home=$(getent passwd "$test_user" | cut -d: -f6)
		as_user=(runuser -u "$test_user" -- env HOME="$home" PATH="$PATH")
		chown "$test_user" "$work"
	fi
}
u() { (cd "$work" && "${as_user[@]}" "$@"); }

# median prints the median of the numbers on stdin.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# freeport prints a TCP port free on 127.0.0.1.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
