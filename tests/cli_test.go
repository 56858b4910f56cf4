//go:build e2e

package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestListingAndExistsFlags covers Podman's listing flags (--noheading,
// --sort), rmi --all/--ignore, the exists commands and the global flags
// scripts pass.
func TestListingAndExistsFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("tag", "busybox", "zz:1")
		s.must("tag", "busybox", "aa:1")

		// images: -n/--noheading, --sort.
		if got := s.must("images", "--noheading", "--format", "table {{.Repository}}"); strings.Contains(got, "REPOSITORY") || !strings.Contains(got, "localhost/aa") {
			t.Errorf("images --noheading: %q", got)
		}
		got := strings.Fields(s.must("images", "-n", "--sort", "repository", "--format", "{{.Repository}}"))
		if len(got) != 3 || got[0] != "localhost/aa" || got[2] != "localhost/zz" {
			t.Errorf("images --sort repository: %v", got)
		}
		wantError(t, s.scow("images", "--sort", "colour"), 125, "colour")

		// untag: names go, the image stays; without names, every one.
		s.must("tag", "busybox", "gone:1", "gone:2")
		s.must("untag", "busybox", "gone:1")
		s.must("image", "untag", "busybox", "localhost/gone:2")
		if got := s.must("image", "inspect", "--format", "{{len .RepoTags}}", "busybox"); got != "3\n" {
			t.Errorf("names after untag: %q", got)
		}
		wantError(t, s.scow("untag", "busybox", "never:1"), 125, "never:1")
		s.must("tag", "busybox", "solo:1")
		id := strings.TrimSpace(s.must("image", "inspect", "--format", "{{.Id}}", "solo:1"))
		s.must("untag", "solo:1")
		if got := s.must("image", "inspect", "--format", "{{len .RepoTags}}", id); got != "0\n" {
			t.Errorf("untag without names left %q names", got)
		}
		s.must("tag", id, "busybox", "zz:1", "aa:1")

		// ps: --noheading, --sort names.
		s.must("create", "--name", "b2", "busybox", "true")
		s.must("create", "--name", "a1", "-h", "given", "busybox", "true")
		if got := s.must("ps", "-a", "--noheading"); strings.Contains(got, "CONTAINER ID") || strings.Count(got, "\n") != 2 {
			t.Errorf("ps -a --noheading: %q", got)
		}
		if got := strings.Fields(s.must("ps", "-a", "--sort", "names", "--format", "{{.Names}}")); strings.Join(got, " ") != "a1 b2" {
			t.Errorf("ps --sort names: %v", got)
		}
		if got := strings.Fields(s.must("ps", "-a", "--format", "{{.Names}}")); strings.Join(got, " ") != "a1 b2" {
			t.Errorf("ps, newest first: %v", got)
		}
		wantError(t, s.scow("ps", "--sort", "colour"), 125, "colour")
		// run/create -h is --hostname; inspect -t is --type.
		if got := s.must("inspect", "-t", "container", "--format", "{{.Config.Hostname}}", "a1"); got != "given\n" {
			t.Errorf("create -h given: hostname %q", got)
		}

		// exists: silent, 0 or 1.
		for _, c := range []struct {
			args []string
			code int
		}{
			{[]string{"container", "exists", "a1"}, 0},
			{[]string{"container", "exists", "nosuch"}, 1},
			{[]string{"container", "exists", "--external", "a1"}, 0},
			{[]string{"container", "exists", "--external", "nosuch"}, 1},
			{[]string{"image", "exists", "aa:1"}, 0},
			{[]string{"image", "exists", "nosuch"}, 1},
			{[]string{"volume", "exists", "nosuch"}, 1},
			{[]string{"network", "exists", "nosuch"}, 1},
		} {
			r := s.scow(c.args...)
			if r.code != c.code || r.stdout != "" || r.stderr != "" {
				t.Errorf("%v: %s, want exit %d and no output", c.args, r, c.code)
			}
		}
		wantError(t, s.scow("container", "exists"), 125, "usage")

		// Global flags: --noout, the remote client's, --log-level.
		if got := s.must("--noout", "images"); got != "" {
			t.Errorf("--noout images printed %q", got)
		}
		wantError(t, s.scow("--url", "unix:///run/podman.sock", "ps"), 125, "no remote mode")
		wantError(t, s.scow("-r", "ps"), 125, "no remote mode")
		wantError(t, s.scow("--log-level", "loud", "ps"), 125, "loud")
		s.must("--log-level", "trace", "ps")

		// rmi --ignore, --all; in use without --force.
		s.must("rmi", "--ignore", "nosuch")
		wantError(t, s.scow("rmi", "nosuch"), 125, "nosuch")
		wantError(t, s.scow("rmi", "--all", "busybox"), 125, "not both")
		wantError(t, s.scow("rmi", "--all"), 125, "used by container", "--force")
		s.must("rm", "--all")
		s.must("rmi", "--all")
		if got := s.must("images", "-q"); got != "" {
			t.Errorf("images after rmi --all: %q", got)
		}
	})
}

// TestLatestFlag: the commands on one container take -l for the one
// created last, and refuse a name with it.
func TestLatestFlag(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		wantError(t, s.scow("logs", "-l"), 125, "no containers")
		s.must("run", "-d", "--name", "old", "busybox", "sleep", "300")
		s.must("run", "-d", "--name", "new", "-p", "127.0.0.1::80", "busybox", "sh", "-c", "echo hello; exec sleep 300")
		mustWaitFor(t, 5*time.Second, "new says hello", func() bool { return s.must("logs", "-l") == "hello\n" })
		if got := s.must("exec", "-l", "hostname"); got != s.must("inspect", "--format", "{{.Config.Hostname}}", "new") {
			t.Errorf("exec -l hostname: %q", got)
		}
		if got := s.must("inspect", "-l", "--format", "{{.Name}}"); got != "new\n" {
			t.Errorf("inspect -l: %q", got)
		}
		if got := s.must("port", "-l", "80"); !strings.HasPrefix(got, "127.0.0.1:") {
			t.Errorf("port -l 80: %q", got)
		}
		if got := s.must("top", "-l"); !strings.Contains(got, "sleep") {
			t.Errorf("top -l: %q", got)
		}
		s.must("diff", "-l")
		wantError(t, s.scow("logs", "-l", "old"), 125, "--latest")
		s.must("rm", "-f", "-t", "0", "--all")
	})
}

// TestRunEnvAndLabelFlags covers run's environment flags (--env-merge,
// --unsetenv[-all], --env-host, --http-proxy) and --label-file,
// --annotation, --expose, the platform flags and Docker's no-op.
func TestRunEnvAndLabelFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		env := func(hostEnv []string, args ...string) []string {
			t.Helper()
			r := execute(t, m.cmdEnv(context.Background(), s.root, s.run, hostEnv, append([]string{"run", "--rm"}, args...)...), "")
			if r.code != 0 {
				t.Fatalf("%s", r)
			}
			return strings.Split(strings.TrimSpace(r.stdout), "\n")
		}
		has := func(list []string, kv string) bool { return slices.Contains(list, kv) }

		got := env(nil, "--env-merge", "PATH=${PATH}:/opt/x", "busybox", "env")
		if !slices.ContainsFunc(got, func(kv string) bool {
			return strings.HasPrefix(kv, "PATH=") && strings.HasSuffix(kv, ":/opt/x") && len(kv) > len("PATH=:/opt/x")
		}) {
			t.Errorf("--env-merge PATH: %v", got)
		}
		// The OCI runtime sets HOME itself when the spec has none.
		got = env(nil, "--unsetenv", "HOSTNAME", "--unsetenv", "container", "busybox", "env")
		if slices.ContainsFunc(got, func(kv string) bool { return strings.HasPrefix(kv, "HOSTNAME=") || strings.HasPrefix(kv, "container=") }) || !slices.ContainsFunc(got, func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }) {
			t.Errorf("--unsetenv HOSTNAME --unsetenv container: %v", got)
		}
		got = slices.DeleteFunc(env(nil, "--unsetenv-all", "-e", "ONLY=1", "busybox", "/usr/bin/env"), func(kv string) bool { return strings.HasPrefix(kv, "HOME=") })
		if len(got) != 1 || got[0] != "ONLY=1" {
			t.Errorf("--unsetenv-all -e ONLY=1: %v", got)
		}
		host := []string{"SCOW_E2E_HOST=yes", "http_proxy=http://127.0.0.1:3128"}
		if got = env(host, "busybox", "env"); !has(got, "http_proxy=http://127.0.0.1:3128") || has(got, "SCOW_E2E_HOST=yes") {
			t.Errorf("default --http-proxy: %v", got)
		}
		if got = env(host, "--http-proxy=false", "--env-host", "busybox", "env"); !has(got, "SCOW_E2E_HOST=yes") {
			t.Errorf("--env-host: %v", got)
		}
		if got = env(host, "--http-proxy=false", "busybox", "env"); has(got, "http_proxy=http://127.0.0.1:3128") {
			t.Errorf("--http-proxy=false still passed the proxy: %v", got)
		}

		labels := m.userFile(t, "labels", "# team file\nteam=a\nowner=ops\n")
		s.must("create", "--name", "l", "--label-file", labels, "--label", "team=b", "--annotation", "io.scow.test=1",
			"--platform", "linux/"+runtime.GOARCH, "--disable-content-trust", "busybox", "true")
		if got := s.must("inspect", "--format", "{{.Config.Labels.team}} {{.Config.Labels.owner}} {{index .Config.Annotations \"io.scow.test\"}}", "l"); got != "b ops 1\n" {
			t.Errorf("labels and annotations: %q", got)
		}
		wantError(t, s.scow("create", "--label-file", labels+".none", "busybox", "true"), 125, "--label-file")
		wantError(t, s.scow("create", "--expose", "http", "busybox", "true"), 125, "--expose")
		wantError(t, s.scow("create", "--env-merge", "novalue", "busybox", "true"), 125, "--env-merge")

		// --expose adds to what -P publishes.
		s.must("run", "-d", "--name", "x", "--expose", "8081", "-P", "busybox", "sleep", "300")
		if got := s.must("port", "x", "8081"); !strings.Contains(got, ":") {
			t.Errorf("port x 8081 after --expose 8081 -P: %q", got)
		}
		s.must("rm", "-f", "-t", "0", "--all")
	})
}

// TestRunMonitorFlags covers what the monitor does for run's flags:
// --log-driver, --timeout, --pidfile and --conmon-pidfile.
func TestRunMonitorFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)

		s.must("run", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "unseen")
		wantError(t, s.scow("logs", "quiet"), 125, "none")
		s.must("run", "--name", "json", "--log-driver", "json-file", "busybox", "echo", "seen")
		if got := s.must("logs", "json"); got != "seen\n" {
			t.Errorf("logs of a json-file container: %q", got)
		}
		if got := s.must("inspect", "--format", "{{.HostConfig.LogConfig.Type}}", "json"); got != "k8s-file\n" {
			t.Errorf("json-file is k8s-file: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--log-driver", "journald", "busybox", "true"), 125, "journald")
		wantError(t, s.scow("run", "--rm", "--log-driver", "syslog", "busybox", "true"), 125, "syslog")

		// --timeout ends a run with SIGKILL.
		r := s.scow("run", "--timeout", "1", "busybox", "sleep", "300")
		if r.code != 137 {
			t.Errorf("run --timeout 1 sleep 300: %s, want exit 137", r)
		}

		dir := m.userDir(t)
		pidfile, monfile := filepath.Join(dir, "ctr.pid"), filepath.Join(dir, "mon.pid")
		s.must("run", "-d", "--name", "p", "--pidfile", pidfile, "--conmon-pidfile", monfile, "busybox", "sleep", "300")
		pid, err := os.ReadFile(pidfile)
		if err != nil || string(pid) != strings.TrimSpace(s.must("inspect", "--format", "{{.State.Pid}}", "p")) {
			t.Errorf("--pidfile holds %q (%v), want the container's PID", pid, err)
		}
		mon, err := os.ReadFile(monfile)
		if err != nil {
			t.Fatalf("--conmon-pidfile: %v", err)
		}
		if cmdline, err := os.ReadFile("/proc/" + string(mon) + "/cmdline"); err != nil || !strings.Contains(string(cmdline), "__monitor") {
			t.Errorf("--conmon-pidfile holds %q, not a running monitor (%q, %v)", mon, cmdline, err)
		}
		s.must("rm", "-f", "-t", "0", "--all")
	})
}

// TestRunProcessFlags covers --umask, --tz and --no-hostname.
func TestRunProcessFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		if got := s.must("run", "--rm", "--umask", "0077", "busybox", "sh", "-c", "umask"); got != "0077\n" {
			t.Errorf("--umask 0077: %q", got)
		}
		if got := s.must("run", "--rm", "--tz", "Asia/Tokyo", "busybox", "date", "+%Z"); got != "JST\n" {
			t.Errorf("--tz Asia/Tokyo: date says %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--tz", "Mars/Olympus", "busybox", "true"), 125, "Mars/Olympus")
		wantError(t, s.scow("run", "--rm", "--umask", "999", "busybox", "true"), 125, "--umask")
		if got := s.must("run", "--rm", "--no-hostname", "busybox", "sh", "-c", "grep -c /etc/hostname /proc/mounts; true"); got != "0\n" {
			t.Errorf("--no-hostname still binds /etc/hostname: %q", got)
		}
		if got := s.must("run", "--rm", "busybox", "grep", "-c", "/etc/hostname", "/proc/mounts"); got != "1\n" {
			t.Errorf("without --no-hostname, /etc/hostname mounts: %q", got)
		}
	})
}

// TestImageFilters covers images --filter with Podman's keys and image
// prune --filter.
func TestImageFilters(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "--name", "c", "busybox", "sh", "-c", "echo x > /x")
		s.must("commit", "-q", "--change", "LABEL tier=web", "c", "web:1")
		s.must("commit", "-q", "c") // unnamed: dangling
		s.must("rm", "c")
		names := func(filters ...string) string {
			args := []string{"images", "--format", "{{.Repository}}:{{.Tag}}", "--sort", "repository"}
			for _, f := range filters {
				args = append(args, "--filter", f)
			}
			return strings.Join(strings.Fields(s.must(args...)), " ")
		}
		for _, c := range []struct {
			filters []string
			want    string
		}{
			{[]string{"label=tier=web"}, "localhost/web:1"},
			{[]string{"label!=tier"}, "<none>:<none> localhost/busybox:latest"},
			{[]string{"dangling=true"}, "<none>:<none>"},
			{[]string{"dangling=false"}, "localhost/busybox:latest localhost/web:1"},
			{[]string{"reference=busy*"}, "localhost/busybox:latest"},
			{[]string{"reference=web:1"}, "localhost/web:1"},
			{[]string{"since=busybox", "dangling=false"}, "localhost/web:1"},
			{[]string{"before=web:1"}, "localhost/busybox:latest"},
			{[]string{"until=1h"}, "localhost/busybox:latest"}, // made long ago
			{[]string{"readonly=true"}, ""},
			{[]string{"intermediate=false", "reference=web"}, "localhost/web:1"},
		} {
			if got := names(c.filters...); got != c.want {
				t.Errorf("images --filter %v: %q, want %q", c.filters, got, c.want)
			}
		}
		wantError(t, s.scow("images", "--filter", "colour=red"), 125, "colour")
		wantError(t, s.scow("images", "--filter", "dangling=maybe"), 125, "true or false")
		wantError(t, s.scow("images", "--filter", "since=nosuch"), 125, "nosuch")
		wantError(t, s.scow("images", "--filter", "dangling=true", "busybox"), 125, "not both")

		// image prune --filter: unnamed and labelled web only.
		if got := s.must("image", "prune", "-f", "--filter", "label=tier=web"); got != "" {
			t.Errorf("image prune --filter label=tier=web removed %q: the web image has a name", got)
		}
		if got := s.must("image", "prune", "-a", "-f", "--filter", "label=tier=web"); strings.Count(got, "\n") != 1 {
			t.Errorf("image prune -a --filter label=tier=web removed %q", got)
		}
		if got := names(); got != "<none>:<none> localhost/busybox:latest" {
			t.Errorf("images after prune: %q", got)
		}
	})
}

// TestRuntimeChoice: with no --runtime, scow runs a container with crun
// once and uses crun where that works, runc where it does not, and keeps
// the verdict in the run root. A crun that hands its work to runc stands
// for one that works.
func TestRuntimeChoice(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		name := s.must("info", "--format", "{{.Host.OCIRuntime.Name}}")
		verdict, err := os.ReadFile(filepath.Join(s.run, "crun-works"))
		if _, crunErr := exec.LookPath("crun"); crunErr == nil {
			// crun 1.8 fails on this host's hybrid cgroups; elsewhere it may
			// work: the runtime chosen is the one the verdict says.
			want := map[bool]string{true: "crun\n", false: "runc\n"}[strings.HasSuffix(string(verdict), "\nyes\n")]
			if err != nil || name != want {
				t.Errorf("runtime %q, verdict %q (%v)", name, verdict, err)
			}
		}
		if left, _ := filepath.Glob(filepath.Join(s.run, "probe-*")); len(left) != 0 {
			t.Errorf("probe left %v", left)
		}

		bin := m.userDir(t)
		fake := filepath.Join(bin, "crun")
		if err := os.WriteFile(fake, []byte("#!/bin/sh\nexec runc \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chown(fake, m.uid, m.gid)
		root, run := m.newDirs(t, "crun")
		env := []string{"PATH=" + bin + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		scow := func(args ...string) result {
			return execute(t, m.cmdEnv(context.Background(), root, run, env, args...), "")
		}
		t.Cleanup(func() { scow("rm", "-a", "-f", "-t", "0") })
		if r := scow("info", "--format", "{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}"); r.code != 0 || r.stdout != "crun "+fake+"\n" {
			t.Fatalf("with a crun that works: %s", r)
		}
		if r := scow("load", "-q", "-i", suite.image); r.code != 0 {
			t.Fatalf("load: %s", r)
		}
		if r := scow("run", "--rm", "busybox", "echo", "hi"); r.code != 0 || r.stdout != "hi\n" {
			t.Errorf("run with crun: %s", r)
		}
		// Its state is crun's, beside runc's.
		if r := scow("run", "-d", "--name", "c", "busybox", "sleep", "100"); r.code != 0 {
			t.Fatalf("run -d with crun: %s", r)
		}
		id := strings.TrimSpace(scow("inspect", "--format", "{{.Id}}", "c").stdout)
		state := filepath.Join(run, "crun", id)
		if _, err := os.Stat(state); err != nil {
			t.Errorf("crun's state of the container: %v", err)
		}
		// Once crun is not the default any more, the container is still
		// crun's: a monitor killed with kill -9 is cleaned up after with
		// crun, whose state goes.
		plain := func(args ...string) result {
			return execute(t, m.cmdIn(context.Background(), root, run, args...), "")
		}
		if r := plain("inspect", "--format", "{{.OCIRuntime}} {{.State.ConmonPid}}", "c"); !strings.HasPrefix(r.stdout, "crun ") {
			t.Errorf("inspect of crun's container with runc the default: %s", r)
		} else {
			pid, _ := strconv.Atoi(strings.Fields(r.stdout)[1])
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatalf("kill the monitor %d: %v", pid, err)
			}
		}
		if !waitFor(10*time.Second, func() bool {
			return strings.HasPrefix(plain("ps", "-a", "--filter", "name=c", "--format", "{{.Status}}").stdout, "Exited")
		}) {
			t.Errorf("a container whose monitor was killed is not exited: %s", plain("ps", "-a"))
		}
		if _, err := os.Stat(state); !os.IsNotExist(err) {
			t.Errorf("crun's state of the container after the clean-up: %v", err)
		}
		if r := plain("rm", "c"); r.code != 0 {
			t.Errorf("rm: %s", r)
		}
	})
}

// TestInfoAndVersionFormat: info and version --format over Podman's
// field names, json as one object.
func TestInfoAndVersionFormat(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		got := s.must("info", "--format", "{{.Host.Arch}} {{.Host.Distribution.Distribution}} {{.Host.OCIRuntime.Name}} {{.Host.Security.Rootless}} {{.Host.LogDriver}} {{.Host.CgroupsVersion}} {{.Store.GraphDriverName}}")
		want := fmt.Sprintf("%s debian runc %t k8s-file v1 ", runtime.GOARCH, m.rootless)
		if !strings.HasPrefix(got, want) || !strings.Contains(got, "overlay") {
			t.Errorf("info --format: %q, want %q and the overlay driver", got, want)
		}
		if got := s.must("info", "--format", "json"); !strings.HasPrefix(got, "{") || !strings.Contains(got, `"graphDriverName"`) {
			t.Errorf("info --format json: %.80q", got)
		}
		if got := s.must("version", "--format", "{{.Client.OsArch}}"); got != "linux/"+runtime.GOARCH+"\n" {
			t.Errorf("version --format {{.Client.OsArch}}: %q", got)
		}
		if got := s.must("version", "--format", "json"); !strings.HasPrefix(got, "{") || !strings.Contains(got, `"GoVersion"`) {
			t.Errorf("version --format json: %.80q", got)
		}
		wantError(t, s.scow("version", "--format", "{{.Nope"), 125, "format")
	})
}

// TestImageArchiveFlags covers save -m, import --message/--arch and
// history --human=false.
func TestImageArchiveFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("tag", "busybox", "second:2")
		dir := m.userDir(t)
		both := filepath.Join(dir, "both.tar")
		s.must("save", "-q", "-m", "-o", both, "busybox", "second:2")
		wantError(t, s.scow("save", "-o", filepath.Join(dir, "x.tar"), "busybox", "second:2"), 125, "usage")
		wantError(t, s.scow("save", "-m", "--format", "oci-archive", "-o", filepath.Join(dir, "x.tar"), "busybox", "second:2"), 125, "docker-archive")
		fresh := newStore(t, m)
		fresh.must("load", "-i", both)
		if got := fresh.must("images", "--format", "{{.Repository}}:{{.Tag}}", "--sort", "repository"); got != "localhost/busybox:latest\nlocalhost/second:2\n" {
			t.Errorf("images loaded from save -m: %q", got)
		}

		rootfs := rootfsTar(t, m)
		s.must("import", "-q", "--message", "from a tarball", "--arch", "arm64", "--variant", "v8", rootfs, "imported:1")
		if got := s.must("image", "inspect", "--format", "{{.Architecture}} {{(index .History 0).comment}}", "imported:1"); got != "arm64 from a tarball\n" {
			t.Errorf("import --arch --message: %q", got)
		}
		got := s.must("history", "--human=false", "--format", "{{.Size}} {{.Created}}", "imported:1")
		if f := strings.Fields(got); len(f) != 2 || strings.ContainsAny(f[0], "kMB") || !strings.Contains(f[1], "T") {
			t.Errorf("history --human=false: %q, want bytes and an RFC 3339 time", got)
		}
	})
}

// TestRunRequiresRmiAttach covers --requires, --rmi and -a.
func TestRunRequiresRmiAttach(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		state := func(name string) string {
			return strings.TrimSpace(s.must("inspect", "--format", "{{.State.Status}}", name))
		}
		// --requires starts the required containers first, at run and
		// at start; rm refuses them while others require them.
		s.must("create", "--name", "db", "busybox", "sleep", "300")
		s.must("create", "--name", "cache", "busybox", "sleep", "300")
		s.must("run", "-d", "--name", "app", "--requires", "db,cache", "busybox", "sleep", "300")
		for _, n := range []string{"db", "cache"} {
			if st := state(n); st != "running" {
				t.Errorf("%s after run --requires: %s", n, st)
			}
		}
		s.must("stop", "-t", "0", "app", "db", "cache")
		s.must("start", "app")
		if st := state("db"); st != "running" {
			t.Errorf("db after start app: %s", st)
		}
		wantError(t, s.scow("rm", "-f", "-t", "0", "db"), 125, "app", "--depend")
		wantError(t, s.scow("run", "--rm", "--requires", "nosuch", "busybox", "true"), 125, "nosuch")
		s.must("rm", "-f", "-t", "0", "--all")

		// -a stdout drops stderr; -a with -d conflicts.
		if r := s.scow("run", "--rm", "-a", "stdout", "busybox", "sh", "-c", "echo out; echo err >&2"); r.stdout != "out\n" || r.stderr != "" {
			t.Errorf("run -a stdout: %s", r)
		}
		if r := s.scow("run", "--rm", "-a", "stderr", "busybox", "sh", "-c", "echo out; echo err >&2"); r.stdout != "" || r.stderr != "err\n" {
			t.Errorf("run -a stderr: %s", r)
		}
		wantError(t, s.scow("run", "-d", "-a", "stdout", "busybox", "true"), 125, "conflict")
		// create -a: what start -a attaches later.
		s.must("create", "--name", "att", "-a", "stderr", "busybox", "sh", "-c", "echo out; echo err >&2")
		if r := s.scow("start", "-a", "att"); r.code != 0 || r.stdout != "" || r.stderr != "err\n" {
			t.Errorf("start -a of create -a stderr: %s", r)
		}
		s.must("rm", "att")
		wantError(t, s.scow("run", "--rm", "-a", "stdpipe", "busybox", "true"), 125, "stdpipe")

		// --rmi removes the image with the container, unless in use.
		s.must("run", "--name", "c", "busybox", "sh", "-c", "echo > /solo")
		s.must("commit", "-q", "c", "solo:1")
		s.must("rm", "c")
		s.must("create", "--name", "holder", "solo:1", "true")
		s.must("run", "--rmi", "solo:1", "true")
		if s.scow("image", "exists", "solo:1").code != 0 {
			t.Error("--rmi removed an image another container uses")
		}
		s.must("rm", "holder")
		s.must("run", "--rmi", "solo:1", "true")
		if s.scow("image", "exists", "solo:1").code != 1 {
			t.Error("--rmi kept the image")
		}
		// A run that cannot start removes both too.
		s.must("tag", "busybox", "solo:2")
		if r := s.scow("run", "--rmi", "solo:2", "/no/such/command"); r.code != 127 {
			t.Errorf("run --rmi of a missing command: %s", r)
		}
		if s.scow("image", "exists", "solo:2").code != 1 {
			t.Error("--rmi kept the image of a run that could not start")
		}
		if n := strings.Count(s.must("ps", "-aq"), "\n"); n != 0 {
			t.Errorf("--rmi left %d containers", n)
		}
	})
}

// TestPolicyTimeAndMountFlags covers pull --policy, volume and network
// rm -t, network reload --latest and mount's listing flags.
func TestPolicyTimeAndMountFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		// Nothing listens on port 1: only a pull that stays home works.
		s.must("tag", "busybox", "127.0.0.1:1/x/y:1")
		id := strings.TrimSpace(s.must("image", "inspect", "--format", "{{.Id}}", "busybox"))
		if got := s.must("pull", "--policy", "missing", "127.0.0.1:1/x/y:1"); got != id+"\n" {
			t.Errorf("pull --policy missing of a present image: %q, want %s", got, id)
		}
		if got := s.must("pull", "--policy", "never", "127.0.0.1:1/x/y:1"); got != id+"\n" {
			t.Errorf("pull --policy never of a present image: %q", got)
		}
		wantError(t, s.scow("pull", "--policy", "never", "127.0.0.1:1/x/y:2"), 125, "127.0.0.1:1/x/y:2")
		wantError(t, s.scow("pull", "--policy", "sometimes", "busybox"), 125, "sometimes")

		// rm -f -t of a volume and of a network in use.
		s.must("network", "create", "n1")
		s.must("run", "-d", "--name", "v", "-v", "vol:/data", "busybox", "sleep", "300")
		s.must("run", "-d", "--name", "n", "--network", "n1", "busybox", "sleep", "300")
		if got := s.must("network", "reload", "--latest"); !strings.HasPrefix(s.must("inspect", "--format", "{{.Id}}", "n"), strings.TrimSpace(got)) {
			t.Errorf("network reload --latest: %q, want n's ID", got)
		}
		s.must("volume", "rm", "-f", "-t", "0", "vol")
		s.must("network", "rm", "-f", "-t", "0", "n1")
		if s.scow("container", "exists", "v").code != 1 || s.scow("container", "exists", "n").code != 1 {
			t.Error("volume/network rm -f -t 0 left their containers")
		}

		if !m.rootless {
			s.must("create", "--name", "mnt", "busybox", "true")
			full := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "mnt"))
			s.must("mount", "mnt")
			if got := s.must("mount", "--no-trunc", "--format", "{{.ID}}"); got != full+"\n" {
				t.Errorf("mount --no-trunc --format {{.ID}}: %q, want %s", got, full)
			}
			if got := s.must("mount", "--format", "json"); !strings.Contains(got, `"Mountpoint"`) {
				t.Errorf("mount --format json: %q", got)
			}
			s.must("unmount", "mnt")
		}
	})
}

// TestGlobalPassThroughFlags covers --out, --events-backend,
// --runtime-flag, --storage-opt, --transient-store and
// --cgroup-manager.
func TestGlobalPassThroughFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		out := filepath.Join(m.userDir(t), "out.txt")
		if got := s.must("--out", out, "run", "--rm", "busybox", "echo", "to-terminal"); got != "to-terminal\n" {
			t.Errorf("--out took the container's output: %q", got)
		}
		if got := s.must("--out", out, "images", "-q"); got != "" {
			t.Errorf("--out images printed %q on stdout", got)
		}
		if data, err := os.ReadFile(out); err != nil || len(strings.TrimSpace(string(data))) != 12 {
			t.Errorf("--out file holds %q (%v), want the image ID", data, err)
		}

		events := filepath.Join(s.root, "events.jsonl")
		before, _ := os.ReadFile(events)
		s.must("--events-backend", "none", "run", "--rm", "busybox", "true")
		if after, _ := os.ReadFile(events); len(after) != len(before) {
			t.Errorf("--events-backend none wrote %d bytes of events", len(after)-len(before))
		}
		wantError(t, s.scow("--events-backend", "journald", "ps"), 125, "journald")
		wantError(t, s.scow("--cgroup-manager", "systemd", "ps"), 125, "cgroupfs")
		s.must("--cgroup-manager", "cgroupfs", "ps")

		// Runtime flags reach runc: a good one works, a bad one fails.
		s.must("--runtime-flag", "log-format=json", "run", "--rm", "busybox", "true")
		wantError(t, s.scow("--runtime-flag", "no-such-runc-flag", "run", "--rm", "busybox", "true"), 125, "runc")

		// Storage options reach containers/storage.
		fresh := newStore(t, m)
		fresh.must("--transient-store", "--storage-opt", "overlay.mountopt=nodev", "load", "-i", suite.image)
		fresh.must("--transient-store", "--storage-opt", "overlay.mountopt=nodev", "run", "--rm", "busybox", "true")
		bad := newStore(t, m)
		wantError(t, bad.scow("--storage-opt", "overlay.colour=red", "images"), 125, "colour")
	})
}

// TestLogsOfSeveral: logs of several containers prefix each line with
// the container's ID, name (--names) or colored (--color).
func TestLogsOfSeveral(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "--name", "la", "busybox", "echo", "from-a")
		s.must("run", "--name", "lb", "busybox", "echo", "from-b")
		ida := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "la"))[:12]
		if got := s.must("logs", "la", "lb"); !strings.Contains(got, ida+" from-a\n") || !strings.Contains(got, " from-b\n") {
			t.Errorf("logs la lb: %q", got)
		}
		if got := s.must("logs", "--names", "la", "lb"); got != "la from-a\nlb from-b\n" {
			t.Errorf("logs --names la lb: %q", got)
		}
		if got := s.must("logs", "--names", "--color", "la", "lb"); !strings.Contains(got, "\x1b[") || !strings.Contains(got, "from-b") {
			t.Errorf("logs --color: %q", got)
		}
		if got := s.must("logs", "-f", "-n", "la", "lb"); !strings.Contains(got, "la from-a\n") || !strings.Contains(got, "lb from-b\n") {
			t.Errorf("logs -f of two stopped containers: %q", got)
		}
		if got := s.must("logs", "la"); got != "from-a\n" {
			t.Errorf("logs of one has no prefix: %q", got)
		}
	})
}

// TestPsSizeAndWatch covers ps --size and --watch.
func TestPsSizeAndWatch(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "--name", "big", "busybox", "sh", "-c", "head -c 300000 /dev/zero > /blob")
		got := s.must("ps", "-a", "--size")
		if !strings.Contains(got, "SIZE") || !strings.Contains(got, "(virtual ") {
			t.Errorf("ps --size:\n%s", got)
		}
		if got := s.must("ps", "-a", "--size", "--format", "{{.Size}}"); !strings.HasPrefix(got, "30") || !strings.Contains(got, "kB (virtual") {
			t.Errorf("ps --size of 300 kB written: %q", got)
		}
		// --watch lists again until interrupted.
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		r := execute(t, m.cmdIn(ctx, s.root, s.run, "ps", "-a", "--watch", "1", "--format", "{{.Names}}"), "")
		if n := strings.Count(r.stdout, "big\n"); n < 2 {
			t.Errorf("ps --watch 1 over 2.5 s listed %d times: %s", n, r)
		}
	})
}

// TestCommitFlags covers commit --format, --iidfile, --include-volumes
// and --config.
func TestCommitFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "--name", "c", "-v", "data:/data", "busybox", "sh", "-c", "echo hi > /hi")
		dir := m.userDir(t)
		iid := filepath.Join(dir, "iid")
		config := m.userFile(t, "config.json", `{"config": {"Env": ["FROM_CONFIG=1"], "WorkingDir": "/tmp", "Labels": {"from": "config"}}}`)
		id := strings.TrimSpace(s.must("commit", "--iidfile", iid, "--include-volumes", "--config", config, "c", "oci:1"))
		if data, err := os.ReadFile(iid); err != nil || string(data) != "sha256:"+id {
			t.Errorf("--iidfile holds %q (%v), want sha256:%s", data, err, id)
		}
		got := s.must("image", "inspect", "--format", "{{.ManifestType}} {{.Config.WorkingDir}} {{.Labels.from}} {{range $k, $v := .Config.Volumes}}{{$k}}{{end}}", "oci:1")
		if got != "application/vnd.oci.image.manifest.v1+json /tmp config /data\n" {
			t.Errorf("commit --config --include-volumes: %q", got)
		}
		if got := s.must("run", "--rm", "oci:1", "sh", "-c", "echo $FROM_CONFIG; cat /hi"); got != "1\nhi\n" {
			t.Errorf("run of the committed image: %q", got)
		}
		s.must("commit", "-q", "--format", "docker", "c", "docker:1")
		if got := s.must("image", "inspect", "--format", "{{.ManifestType}}", "docker:1"); got != "application/vnd.docker.distribution.manifest.v2+json\n" {
			t.Errorf("commit --format docker: %q", got)
		}
		if got := s.must("run", "--rm", "docker:1", "cat", "/hi"); got != "hi\n" {
			t.Errorf("run of the docker-format image: %q", got)
		}
		wantError(t, s.scow("commit", "--format", "v1", "c", "x:1"), 125, "v1")
		wantError(t, s.scow("commit", "--config", filepath.Join(dir, "none.json"), "c", "x:1"), 125, "--config")
	})
}

// TestVolumeOwnerAndCpOverwrite covers volume create --uid/--gid and
// cp --overwrite.
func TestVolumeOwnerAndCpOverwrite(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("volume", "create", "--uid", "1000", "--gid", "1001", "owned")
		if got := s.must("run", "--rm", "-v", "owned:/d", "busybox", "stat", "-c", "%u:%g", "/d"); got != "1000:1001\n" {
			t.Errorf("volume create --uid 1000 --gid 1001: /d is %q", got)
		}

		s.must("run", "--name", "c", "busybox", "sh", "-c", "mkdir /target && echo file > /target/d")
		dir := m.userDir(t)
		if err := os.MkdirAll(filepath.Join(dir, "d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "d", "f"), []byte("in a dir\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if m.rootless {
			os.Chown(filepath.Join(dir, "d"), m.uid, m.gid)
			os.Chown(filepath.Join(dir, "d", "f"), m.uid, m.gid)
		}
		if r := s.scow("cp", filepath.Join(dir, "d"), "c:/target/"); r.code == 0 {
			t.Errorf("cp of a directory over a file without --overwrite: %s", r)
		}
		s.must("cp", "--overwrite", filepath.Join(dir, "d"), "c:/target/")
		s.must("start", "c") // its command fails now: /target exists; the copy is what counts
		if got := s.must("cp", "c:/target/d/f", "-"); !strings.Contains(got, "in a dir") {
			t.Errorf("cp --overwrite did not put the directory in place: %.60q", got)
		}
	})
}

// TestCompletion: the scripts of each shell, and the names scow offers
// for the word under the cursor.
func TestCompletion(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("create", "--name", "webapp", "busybox", "true")
		for _, sh := range []string{"bash", "zsh", "fish"} {
			if got := s.must("completion", sh); !strings.Contains(got, "__complete") {
				t.Errorf("completion %s: %q", sh, got)
			}
		}
		wantError(t, s.scow("completion", "tcsh"), 125, "tcsh")
		complete := func(words ...string) string {
			// The helper is argv[1]: no global flags before it.
			c := m.cmd(context.Background())
			c.Args = append([]string{suite.binary, "__complete", "--root", s.root, "--runroot", s.run}, words...)
			r := execute(t, c, "")
			return strings.Join(strings.Fields(r.stdout), " ")
		}
		if got := complete("rm", "web"); got != "webapp" {
			t.Errorf("complete rm web: %q", got)
		}
		if got := complete("run", "busy"); got != "busybox:latest" {
			t.Errorf("complete run busy: %q", got)
		}
		if got := complete("sta"); got != "start stats" && got != "start" {
			t.Errorf("complete sta: %q", got)
		}
	})
}

// TestMoreFlags covers port --all, unmount --force, images --history,
// push's compression flags and the global directory flags.
func TestMoreFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "p1", "-p", "127.0.0.1::80", "busybox", "sleep", "300")
		s.must("run", "-d", "--name", "p2", "busybox", "sleep", "300")
		id := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "p1"))[:12]
		if got := s.must("port", "--all"); !strings.HasPrefix(got, id+"\t80/tcp -> 127.0.0.1:") || strings.Count(got, "\n") != 1 {
			t.Errorf("port --all: %q", got)
		}
		wantError(t, s.scow("port", "--all", "p1"), 125, "not both")
		s.must("rm", "-f", "-t", "0", "--all")

		s.must("tag", "busybox", "renamed:1")
		s.must("rmi", "busybox")
		if got := s.must("images", "--history", "--format", "{{.History}}"); !strings.Contains(got, "localhost/busybox:latest") {
			t.Errorf("images --history: %q", got)
		}

		if !m.rootless {
			s.must("create", "--name", "mnt", "renamed:1", "true")
			s.must("mount", "mnt")
			s.must("mount", "mnt")
			s.must("unmount", "--force", "mnt")
			if got := s.must("mount"); got != "" {
				t.Errorf("mounts after unmount --force: %q", got)
			}
			// image mount: read-only, listed, undone.
			where := strings.TrimSpace(s.must("image", "mount", "renamed:1"))
			if _, err := os.Stat(filepath.Join(where, "bin", "busybox")); err != nil {
				t.Errorf("image mount printed %q: %v", where, err)
			}
			if err := os.WriteFile(filepath.Join(where, "x"), nil, 0o644); err == nil {
				t.Error("a mounted image is writable")
			}
			if got := s.must("image", "mount"); !strings.Contains(got, where) {
				t.Errorf("image mount's list: %q", got)
			}
			s.must("image", "unmount", "renamed:1")
			if got := s.must("image", "mount"); got != "" {
				t.Errorf("image mount's list after unmount: %q", got)
			}
		} else {
			wantError(t, s.scow("image", "mount", "renamed:1"), 125, "scow unshare")
		}

		// The global directory flags: a store whose volumes and network
		// records live elsewhere.
		dir := m.userDir(t)
		vols, nets := filepath.Join(dir, "vols"), filepath.Join(dir, "nets")
		if m.rootless {
			for _, d := range []string{vols, nets} {
				os.Mkdir(d, 0o700)
				os.Chown(d, m.uid, m.gid)
			}
		}
		s.must("--volumepath", vols, "volume", "create", "elsewhere")
		if _, err := os.Stat(filepath.Join(vols, "elsewhere")); err != nil {
			t.Errorf("--volumepath: %v", err)
		}
		if s.scow("volume", "exists", "elsewhere").code != 1 {
			t.Error("a volume made with --volumepath shows without it")
		}
		s.must("--network-config-dir", nets, "network", "create", "n9")
		if _, err := os.Stat(filepath.Join(nets, "n9.json")); err != nil {
			t.Errorf("--network-config-dir: %v", err)
		}
		s.must("--network-config-dir", nets, "network", "rm", "n9")
		// --imagestore keeps images apart: a store without it sees none.
		is := newStore(t, m)
		imgs := filepath.Join(m.userDir(t), "images")
		is.must("--imagestore", imgs, "load", "-i", suite.image)
		if got := is.must("--imagestore", imgs, "run", "--rm", "busybox", "echo", "ok"); got != "ok\n" {
			t.Errorf("run with --imagestore: %q", got)
		}
		if got := is.must("images", "-q"); got != "" {
			t.Errorf("images without --imagestore: %q", got)
		}
		if _, err := os.Stat(filepath.Join(imgs, "overlay-images")); err != nil {
			t.Errorf("--imagestore holds no images: %v", err)
		}

		// --tmpdir holds archives on their way; what a killed invocation
		// left there (an unlocked directory) goes with the next one.
		tmpd := m.userDir(t)
		stale := filepath.Join(tmpd, ".scow-save-stale")
		mine := filepath.Join(tmpd, "not-scows")
		os.Mkdir(mine, 0o700)
		os.Mkdir(stale, 0o700)
		os.Chown(stale, m.uid, m.gid)
		if out := is.must("--imagestore", imgs, "--tmpdir", tmpd, "save", "-o", "-", "busybox"); len(out) < 512 {
			t.Errorf("save -o - with --tmpdir wrote %d bytes", len(out))
		}
		if left, _ := filepath.Glob(filepath.Join(tmpd, ".scow-*-*")); len(left) != 0 {
			t.Errorf("--tmpdir keeps %v", left)
		}
		if _, err := os.Stat(mine); err != nil {
			t.Errorf("scow removed a directory of --tmpdir that is not its own: %v", err)
		}
		// --network-cmd-path is the slirp4netns that runs.
		wrapper := m.userFile(t, "slirp", "#!/bin/sh\ntouch \"$(dirname \"$0\")/ran\"\nexec slirp4netns \"$@\"\n")
		os.Chmod(wrapper, 0o755)
		is.must("--imagestore", imgs, "--network-cmd-path", wrapper, "run", "--rm", "--network", "slirp4netns", "busybox", "true")
		if _, err := os.Stat(filepath.Join(filepath.Dir(wrapper), "ran")); err != nil {
			t.Errorf("--network-cmd-path did not run: %v", err)
		}
		if r := is.scow("--imagestore", imgs, "--network-cmd-path", "/nonexistent/slirp", "run", "--rm", "--network", "slirp4netns", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "/nonexistent/slirp") {
			t.Errorf("a missing --network-cmd-path: %d %q", r.code, r.stderr)
		}
	})
}

// TestImageVolumeFlag: the image's VOLUMEs as anonymous volumes, tmpfs
// or nothing.
func TestImageVolumeFlag(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("import", "--change", "VOLUME /vol", "--change", "CMD /bin/sh", rootfsTar(t, m), "withvol")
		mountOf := func(args ...string) string {
			return s.must(append(append([]string{"run", "--rm"}, args...), "withvol", "sh", "-c", "grep ' /vol ' /proc/mounts | cut -d' ' -f3; true")...)
		}
		if got := mountOf("--image-volume", "tmpfs"); got != "tmpfs\n" {
			t.Errorf("--image-volume tmpfs: /vol is %q", got)
		}
		if got := mountOf("--image-volume", "ignore"); got != "" {
			t.Errorf("--image-volume ignore: /vol is %q", got)
		}
		if got := s.must("volume", "ls", "-q"); got != "" {
			t.Errorf("tmpfs and ignore made volumes: %q", got)
		}
		s.must("create", "--name", "b", "withvol")
		if got := s.must("volume", "ls", "-q"); strings.Count(got, "\n") != 1 {
			t.Errorf("the default (bind) made volumes %q, want one", got)
		}
		wantError(t, s.scow("create", "--image-volume", "nfs", "withvol"), 125, "--image-volume")
	})
}

// TestHostsFileFlag: what /etc/hosts starts with, and --chrootdirs.
func TestHostsFileFlag(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		base := m.userFile(t, "hosts", "10.9.8.7\tfrom-the-base\n")
		got := s.must("run", "--rm", "--hosts-file", base, "--add-host", "extra:10.1.1.1", "busybox", "cat", "/etc/hosts")
		if !strings.HasPrefix(got, "10.9.8.7\tfrom-the-base\n") || strings.Contains(got, "localhost") || !strings.Contains(got, "extra") {
			t.Errorf("--hosts-file FILE:\n%s", got)
		}
		if got := s.must("run", "--rm", "--hosts-file", "none", "busybox", "cat", "/etc/hosts"); strings.Contains(got, "localhost") {
			t.Errorf("--hosts-file none:\n%s", got)
		}
		if got := s.must("run", "--rm", "busybox", "cat", "/etc/hosts"); !strings.HasPrefix(got, "127.0.0.1\tlocalhost") {
			t.Errorf("default /etc/hosts:\n%s", got)
		}
		s.must("run", "--rm", "--hosts-file", "image", "busybox", "cat", "/etc/hosts")
		wantError(t, s.scow("run", "--rm", "--hosts-file", base+".none", "busybox", "true"), 125, "--hosts-file")

		// --chrootdirs: the managed files in a chroot as in the root.
		got = s.must("run", "--rm", "--hostname", "inner", "--add-host", "peer:10.2.2.2", "--chrootdirs", "/jail,/other", "busybox", "sh", "-c",
			"cat /jail/etc/hostname; grep -c peer /jail/etc/hosts /other/etc/hosts; cmp /etc/resolv.conf /jail/etc/resolv.conf && test -e /jail/run/.containerenv && echo same")
		if got != "inner\n/jail/etc/hosts:1\n/other/etc/hosts:1\nsame\n" {
			t.Errorf("--chrootdirs: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--chrootdirs", "jail", "busybox", "true"), 125, "--chrootdirs")
	})
}

// TestPasswdFlags: --passwd entries for a user the image lacks,
// --passwd-entry, --passwd=false and --hostuser.
func TestPasswdFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		// As with Podman, a UID alone runs with GID 0, which the image has.
		if got := s.must("run", "--rm", "--user", "1234", "busybox", "sh", "-c", "whoami; grep '^1234:' /etc/passwd"); got != "1234\n1234:*:1234:0:container user:/:/bin/sh\n" {
			t.Errorf("--user 1234: %q", got)
		}
		if got := s.must("run", "--rm", "--user", "1234:4321", "busybox", "sh", "-c", "id -gn; grep '^4321:' /etc/group"); got != "4321\n4321:x:4321:1234\n" {
			t.Errorf("--user 1234:4321: %q", got)
		}
		if got := s.must("run", "--rm", "--user", "1234", "--passwd-entry", "builder:x:$UID:$GID::$HOME:/bin/sh", "busybox", "whoami"); got != "builder\n" {
			t.Errorf("--passwd-entry: %q", got)
		}
		if r := s.scow("run", "--rm", "--user", "1234", "--passwd=false", "busybox", "whoami"); r.code == 0 {
			t.Errorf("--passwd=false still named UID 1234: %s", r)
		}
		if got := s.must("run", "--rm", "--hostuser", suite.user.Username, "busybox", "grep", "-c", "^"+suite.user.Username+":", "/etc/passwd"); got != "1\n" {
			t.Errorf("--hostuser %s: %q", suite.user.Username, got)
		}
		wantError(t, s.scow("run", "--rm", "--hostuser", "no-such-user-here", "busybox", "true"), 125, "--hostuser")
		// The entries go into the container's own files, which tools that
		// replace them by a rename (useradd) can still replace, as they
		// could not a bind mount; read-only, they are bound over the
		// image's.
		got := s.must("run", "--rm", "--hostuser", suite.user.Username, "busybox", "sh", "-c",
			"cp /etc/passwd /etc/passwd+ && echo 'newcomer:x:4242:4242::/:/bin/sh' >> /etc/passwd+ && mv /etc/passwd+ /etc/passwd && "+
				"grep -c -e '^newcomer:' -e '^"+suite.user.Username+":' /etc/passwd")
		if got != "2\n" {
			t.Errorf("adduser in a container with added entries: %q", got)
		}
		if got := s.must("run", "--rm", "--read-only", "--user", "1234", "busybox", "sh", "-c", "whoami; grep -c ' /etc/passwd ' /proc/mounts"); got != "1234\n1\n" {
			t.Errorf("--read-only --user 1234: %q", got)
		}
	})
}

// TestNetworkCreateFlags covers --interface-name, --dns, --opt,
// --ipam-driver and --disable-dns.
func TestNetworkCreateFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		br := "scowt" + m.name[:4]
		s.must("network", "create", "--interface-name", br, "--dns", "10.0.0.53", "--disable-dns", "--ipam-driver", "host-local", "named")
		if got := s.must("network", "inspect", "--format", "{{.network_interface}} {{index .network_dns_servers 0}}", "named"); got != br+" 10.0.0.53\n" {
			t.Errorf("network inspect: %q", got)
		}
		got := s.must("run", "--rm", "--network", "named", "busybox", "sh", "-c", "grep nameserver /etc/resolv.conf; ip -4 addr show eth0 | grep -c inet")
		if got != "nameserver 10.0.0.53\n1\n" {
			t.Errorf("a container on the network: %q", got)
		}
		if got := s.must("run", "--rm", "--network", "named", "--dns", "10.0.0.54", "busybox", "grep", "nameserver", "/etc/resolv.conf"); got != "nameserver 10.0.0.54\n" {
			t.Errorf("--dns over the network's: %q", got)
		}
		// network update: what containers started from now on get.
		s.must("network", "update", "--dns-add", "10.0.0.55", "--dns-drop", "10.0.0.53", "named")
		if got := s.must("run", "--rm", "--network", "named", "busybox", "grep", "nameserver", "/etc/resolv.conf"); got != "nameserver 10.0.0.55\n" {
			t.Errorf("after network update: %q", got)
		}
		wantError(t, s.scow("network", "update", "--dns-drop", "10.9.9.9", "named"), 125, "10.9.9.9")
		wantError(t, s.scow("network", "update", "--dns-add", "resolver", "named"), 125, "resolver")
		wantError(t, s.scow("network", "update", "--dns-add", "10.0.0.1", "scow"), 125, "built in")
		s.must("network", "create", "-o", "com.docker.network.bridge.name="+br+"x", "viaopt")
		if got := s.must("network", "inspect", "--format", "{{.network_interface}}", "viaopt"); got != br+"x\n" {
			t.Errorf("--opt com.docker.network.bridge.name: %q", got)
		}
		wantError(t, s.scow("network", "create", "--interface-name", br, "again"), 125, "another network")
		wantError(t, s.scow("network", "create", "--interface-name", "a-name-far-too-long", "x1"), 125, "--interface-name")
		wantError(t, s.scow("network", "create", "-o", "mtu=9000", "x2"), 125, "mtu")
		wantError(t, s.scow("network", "create", "--ipam-driver", "dhcp", "x3"), 125, "dhcp")
		wantError(t, s.scow("network", "create", "--dns", "resolver", "x4"), 125, "resolver")
		s.must("network", "rm", "named", "viaopt")
	})
}

// TestUnshareRootlessNetns: unshare --rootless-netns runs in the
// namespace of the rootless named networks, where their bridges are.
func TestUnshareRootlessNetns(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		if !m.rootless {
			wantError(t, s.scow("unshare", "--rootless-netns", "true"), 125, "rootless")
			return
		}
		s.must("load", "-i", suite.image)
		s.must("network", "create", "--interface-name", "scowns0", "nsnet")
		s.must("run", "-d", "--name", "on", "--network", "nsnet", "busybox", "sleep", "300")
		// /proc/net follows the reader's network namespace.
		if got := s.must("unshare", "--rootless-netns", "cat", "/proc/self/net/dev"); !strings.Contains(got, "scowns0") {
			t.Errorf("unshare --rootless-netns does not see the bridge:\n%s", got)
		}
		if got := s.must("unshare", "cat", "/proc/self/net/dev"); strings.Contains(got, "scowns0") {
			t.Errorf("plain unshare sees the bridge:\n%s", got)
		}
		wantError(t, s.scow("unshare", "--bogus", "true"), 125, "--bogus")
		s.must("rm", "-f", "-t", "0", "on")
	})
}

// TestLoadFromURL: load and import read an http(s) URL too.
func TestLoadFromURL(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(suite.image))))
	defer srv.Close()
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		if got := s.must("load", "-i", srv.URL+"/"+filepath.Base(suite.image)); !strings.Contains(got, "busybox") {
			t.Errorf("load from a URL printed %q", got)
		}
		wantError(t, s.scow("load", "-i", srv.URL+"/missing.tar"), 125, "404")
		if got := s.must("image", "inspect", "--format", "{{len .NamesHistory}}", "busybox"); got == "0\n" {
			t.Errorf("NamesHistory is empty: %q", got)
		}
	})
}

// TestInspectAnyKind: inspect finds a container, an image, a volume or
// a network by name, in that order, or the kind --type names.
func TestInspectAnyKind(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("volume", "create", "vol1")
		s.must("network", "create", "net1")
		if got := s.must("inspect", "--format", "{{.Name}} {{.Driver}}", "vol1"); got != "vol1 local\n" {
			t.Errorf("inspect vol1: %q", got)
		}
		if got := s.must("inspect", "--format", "{{.name}}", "net1"); got != "net1\n" {
			t.Errorf("inspect net1: %q", got)
		}
		if got := s.must("inspect", "--type", "volume", "--format", "{{.Name}}", "vol1"); got != "vol1\n" {
			t.Errorf("inspect --type volume: %q", got)
		}
		wantError(t, s.scow("inspect", "--type", "network", "vol1"), 125, "vol1")
		wantError(t, s.scow("inspect", "nosuch"), 125, "no container, image, volume or network")
		wantError(t, s.scow("inspect", "--type", "pod", "x"), 125, "--type")
	})
}

// TestCpBetweenContainersAndContainerenv: cp from one container to
// another, and the /run/.containerenv every container has.
func TestCpBetweenContainersAndContainerenv(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "--name", "from", "busybox", "sh", "-c", "mkdir -p /d/sub && echo one > /d/sub/f && echo two > /x")
		s.must("create", "--name", "to", "busybox", "sh", "-c", "cat /y /dir/sub/f")
		s.must("cp", "from:/x", "to:/y")
		s.must("cp", "from:/d", "to:/dir")
		if got := s.must("start", "-a", "to"); got != "two\none\n" {
			t.Errorf("files copied between containers: %q", got)
		}
		wantError(t, s.scow("cp", "from:/nosuch", "to:/"), 125, "nosuch")
		if got := s.must("run", "--rm", "busybox", "sh", "-c", "test -f /run/.containerenv && echo there"); got != "there\n" {
			t.Errorf("/run/.containerenv: %q", got)
		}
	})
}

// TestConnectMacAddress: network connect --mac-address, at once and at
// the next start.
func TestConnectMacAddress(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("network", "create", "one")
		s.must("network", "create", "two")
		s.must("run", "-d", "--name", "c", "--network", "one", "busybox", "sleep", "300")
		s.must("network", "connect", "--mac-address", "02:42:ac:11:00:42", "two", "c")
		if got := s.must("exec", "c", "cat", "/sys/class/net/eth1/address"); got != "02:42:ac:11:00:42\n" {
			t.Errorf("eth1's MAC after connect: %q", got)
		}
		s.must("restart", "-t", "0", "c")
		if got := s.must("exec", "c", "cat", "/sys/class/net/eth1/address"); got != "02:42:ac:11:00:42\n" {
			t.Errorf("eth1's MAC after a restart: %q", got)
		}
		wantError(t, s.scow("network", "connect", "--mac-address", "zz", "one", "c"), 125, "--mac-address")
		s.must("rm", "-f", "-t", "0", "c")
	})
}

// TestReviewFixes: system prune honours label!= for volumes, image
// prune honours reference=, restart --running --filter leaves stopped
// containers alone, and a --user entry yields to the user's own /etc/passwd.
func TestReviewFixes(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("volume", "create", "--label", "keep=1", "kept")
		s.must("volume", "create", "gone")
		s.must("system", "prune", "-f", "--volumes", "--filter", "label!=keep")
		if s.scow("volume", "exists", "kept").code != 0 || s.scow("volume", "exists", "gone").code != 1 {
			t.Error("system prune --filter label!=keep did not keep kept or did not remove gone")
		}
		s.must("tag", "busybox", "other:1")
		s.must("image", "prune", "-a", "-f", "--filter", "reference=nomatch")
		if s.scow("image", "exists", "busybox").code != 0 {
			t.Error("image prune --filter reference=nomatch removed busybox")
		}
		s.must("create", "--name", "stopped", "busybox", "true")
		s.must("run", "-d", "--name", "up", "busybox", "sleep", "300")
		if got := strings.TrimSpace(s.must("restart", "-t", "0", "--running", "--filter", "name=.*")); !strings.HasPrefix(s.must("inspect", "--format", "{{.Id}}", "up"), got) {
			t.Errorf("restart --running --filter restarted %q, want only the running one", got)
		}
		if st := s.must("inspect", "--format", "{{.State.Status}}", "stopped"); st != "created\n" {
			t.Errorf("restart --running --filter started a stopped container: %q", st)
		}
		own := m.userFile(t, "passwd", "root:x:0:0:root:/root:/bin/sh\nmine:x:1234:0::/:/bin/sh\n")
		if got := s.must("run", "--rm", "--user", "1234", "-v", own+":/etc/passwd:ro", "busybox", "whoami"); got != "mine\n" {
			t.Errorf("--user with the user's own /etc/passwd: %q", got)
		}
		s.must("rm", "-f", "-t", "0", "--all")
	})
}

// TestPsNamespaces: ps --ns shows the namespaces a container's process
// is in, the same the process sees.
func TestPsNamespaces(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "ns", "busybox", "sleep", "300")
		if got := s.must("ps", "--ns"); !strings.Contains(got, "CGROUPNS") || !strings.Contains(got, "USERNS") {
			t.Errorf("ps --ns:\n%s", got)
		}
		got := strings.TrimSpace(s.must("ps", "--ns", "--format", "{{.NET}} {{.MNT}}"))
		var nums []string
		for _, l := range strings.Fields(s.must("exec", "ns", "sh", "-c", "readlink /proc/1/ns/net; readlink /proc/1/ns/mnt")) {
			nums = append(nums, strings.Trim(l, "netm:[]")) // net:[N] mnt:[N]
		}
		inside := strings.Join(nums, " ")
		if got == "" || got != inside {
			t.Errorf("ps --ns says %q, the container sees %q", got, inside)
		}
		s.must("rm", "-f", "-t", "0", "ns")
	})
}
