//go:build e2e

package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// otherUser is a mode for another unprivileged account.
func otherUser(t *testing.T, name string) *mode {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("user %s: %v (hack/install-deps.sh --test creates it)", name, err)
		}
		t.Skipf("user %s: %v (run hack/install-deps.sh --test)", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &mode{name: name, rootless: true, uid: uid, gid: gid, home: u.HomeDir}
}

func TestNoSubordinateRange(t *testing.T) {
	m := otherUser(t, "scownosub")
	// The warning is the namespace's maker's to give.
	endNamespace(t, m.uid)
	s := newStore(t, m)
	r := s.scow("load", "-i", suite.image)
	if r.code != 0 || !strings.Contains(r.stderr, "no range in /etc/subuid") || !strings.Contains(r.stderr, "usermod --add-subuids") {
		t.Fatalf("load without a subordinate range must work and say how to add one: %s", r)
	}
	if got := s.must("run", "--rm", "busybox", "cat", "/proc/self/uid_map"); len(strings.Fields(got)) != 3 || strings.Fields(got)[2] != "1" {
		t.Errorf("want a single-ID mapping, got %q", got)
	}
	// Files the image gives to uid 1000 belong to root here.
	if got := s.must("run", "--rm", "busybox", "stat", "-c", "%u", "/home/tester"); got != "0\n" {
		t.Errorf("owner of /home/tester: %q", got)
	}
	if !strings.Contains(s.must("info"), "size: 1") {
		t.Error("info does not show the single mapping")
	}
}

func TestMissingNewuidmap(t *testing.T) {
	m := getModes(t)[0]
	endNamespace(t, m.uid)
	root, run := m.newDirs(t, "nomap")
	r := execute(t, m.cmdEnv(context.Background(), root, run, []string{"PATH=/nonexistent"}, "images"), "")
	wantError(t, r, 125, "newuidmap", "apt-get install uidmap")
}

func TestStorageDrivers(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		tests := []struct {
			name   string
			flags  []string
			conf   string
			driver string
		}{
			{"auto", nil, "", "overlay"},
			{"vfs", []string{"--storage-driver", "vfs"}, "", "vfs"},
			{"fuse-overlayfs", nil, "mount_program = \"/usr/bin/fuse-overlayfs\"\n", "overlay (via fuse-overlayfs)"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				root, run := m.newDirs(t, "drv")
				var env []string
				if tc.conf != "" {
					env = []string{"SCOW_CONF=" + m.userFile(t, "scow.conf", tc.conf)}
				}
				scow := func(args ...string) result {
					return execute(t, m.cmdEnv(context.Background(), root, run, env, append(tc.flags, args...)...), "")
				}
				if r := scow("load", "-i", suite.image); r.code != 0 {
					t.Fatal(r)
				}
				if r := scow("info", "--format", "{{.Store.GraphDriverName}}"); r.stdout != tc.driver+"\n" {
					t.Errorf("driver: %s", r)
				}
				if r := scow("run", "--rm", "busybox", "sh", "-c", "echo hi > /tmp/f && cat /tmp/f"); r.code != 0 || r.stdout != "hi\n" {
					t.Errorf("run on %s: %s", tc.name, r)
				}
				if _, err := os.Stat(filepath.Join(root, "storage", "scow-driver.json")); tc.flags == nil && tc.conf == "" && err != nil {
					t.Errorf("the automatic driver choice was not recorded: %v", err)
				}
			})
		}
	})
}

func TestRuntimeSelectionAndFailure(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		wantError(t, m.scow(t, "--runtime", "nosuchruntime", "run", "--rm", "busybox", "true"), 125, "nosuchruntime", "not found")
		r := m.scow(t, "--runtime", "runc", "run", "--rm", "busybox", "echo", "explicit")
		if r.code != 0 || r.stdout != "explicit\n" {
			t.Errorf("--runtime runc: %s", r)
		}
		// A mount the runtime cannot make: a file over a directory.
		before := containerCount(t, m.root)
		r = m.scow(t, "run", "--rm", "-v", m.userFile(t, "afile", "x")+":/etc", "busybox", "true")
		wantError(t, r, 125, "runc")
		if after := containerCount(t, m.root); after != before {
			t.Errorf("a failed start left a container")
		}
	})
}

// holders lists the namespace holder processes of a user.
func holders(t *testing.T, uid int) []string {
	t.Helper()
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		comm, err := os.ReadFile(p + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "scow-userns-hol" {
			continue
		}
		if stat, _ := os.ReadFile(p + "/stat"); strings.Contains(string(stat), ") Z ") {
			continue // killed, not reaped yet
		}
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && int(st.Uid) == uid {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

// endNamespace ends the namespace that lingers after uid's last command,
// so that the next command makes a new one: one that fails as a first
// one does, or that sees the host's mounts made since (this host's / is
// a private mount, so they do not reach a namespace copied before them;
// on a systemd host, whose / is shared, they do). Nothing of uid may run.
func endNamespace(t *testing.T, uid int) {
	t.Helper()
	if !waitFor(5*time.Second, func() bool { return len(monitors(t, uid)) == 0 }) {
		t.Fatalf("the namespace of %d cannot end: monitors still run: %q", uid, monitors(t, uid))
	}
	for _, pid := range holders(t, uid) {
		n, _ := strconv.Atoi(pid)
		syscall.Kill(n, syscall.SIGKILL)
	}
	if !waitFor(5*time.Second, func() bool { return len(holders(t, uid)) == 0 }) {
		t.Fatalf("the namespace holder of %d did not end: %v", uid, holders(t, uid))
	}
	// As the holder does when it ends by itself (a killed one's record is
	// found stale by the next command).
	os.Remove(fmt.Sprintf("/tmp/scow-%d/userns/holder.pid", uid))
}

func TestUserNamespaceLifetime(t *testing.T) {
	m := getModes(t)[0]
	// The holder lingers 10 s (LINGER_SECONDS) after the last command
	// that joined, a previous test's too.
	gone := func() bool {
		for range 400 {
			if len(holders(t, m.uid)) == 0 {
				return true
			}
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
	if !gone() {
		t.Fatalf("a namespace holder outlived every scow process: %v", holders(t, m.uid))
	}
	m.must(t, "version")
	if _, err := os.Stat(fmt.Sprintf("/tmp/scow-%d/userns/holder.pid", m.uid)); err == nil {
		t.Error("version created a user namespace")
	}
	// Concurrent invocations share one namespace: a container sees the
	// namespace scow runs in.
	c := m.cmd(context.Background(), "run", "--rm", "busybox", "sh", "-c", "readlink /proc/self/ns/user; sleep 3")
	var first strings.Builder
	c.Stdout = &first
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	second := m.must(t, "run", "--rm", "busybox", "readlink", "/proc/self/ns/user")
	if len(holders(t, m.uid)) != 1 {
		t.Errorf("want one holder while containers run, got %v", holders(t, m.uid))
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("the first run: %v", err)
	}
	if first.String() == "" || first.String() != second {
		t.Errorf("containers in different user namespaces: %q and %q", first.String(), second)
	}
	// Nobody is inside now: the holder lingers, and the next command
	// joins its namespace instead of making one.
	if len(holders(t, m.uid)) != 1 {
		t.Errorf("want the holder to linger after the last container, got %v", holders(t, m.uid))
	}
	if third := m.must(t, "run", "--rm", "busybox", "readlink", "/proc/self/ns/user"); third != second {
		t.Errorf("a command right after the last one made a new namespace: %q, before %q", third, second)
	}
	// The linger counts from the last command that joined: 12 s after
	// that run, 6 s after a ps, the namespace is still there.
	time.Sleep(6 * time.Second)
	m.must(t, "ps")
	time.Sleep(6 * time.Second)
	if len(holders(t, m.uid)) != 1 {
		t.Errorf("the holder did not linger 10 s after the last command: %v", holders(t, m.uid))
	}
	if !gone() {
		t.Errorf("the holder did not go away after the last container: %v", holders(t, m.uid))
	}
}

// TestMakeRunFreshUser runs the README's first command as root does on a
// new machine: the user it runs the container as does not exist yet.
func TestMakeRunFreshUser(t *testing.T) {
	const name = "scowdemo"
	remove := func() {
		if u, err := user.Lookup(name); err == nil {
			// Its run root: no XDG_RUNTIME_DIR here.
			defer os.RemoveAll("/tmp/scow-" + u.Uid)
		}
		exec.Command("pkill", "-KILL", "-u", name).Run()
		for range 50 {
			if exec.Command("pgrep", "-u", name).Run() != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		exec.Command("userdel", "-r", name).Run()
	}
	remove()
	if _, err := user.Lookup(name); err == nil {
		t.Fatalf("user %s is left from before and cannot be removed", name)
	}
	t.Cleanup(remove)
	c := exec.Command("make", "-C", "..", "run", "TEST_USER="+name)
	// As from a root login, whose session directory is root's own.
	c.Env = append(os.Environ(), "XDG_RUNTIME_DIR=/run/user/0")
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\nhello from scow\n") {
		t.Fatalf("make run as root without the user: %v\n%s", err, out)
	}
	if _, err := user.Lookup(name); err != nil {
		t.Errorf("make run did not leave its user: %v", err)
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		data, _ := os.ReadFile(f)
		if !strings.Contains("\n"+string(data), "\n"+name+":") {
			t.Errorf("%s has no range for %s", f, name)
		}
	}
}
