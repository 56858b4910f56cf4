//go:build e2e

package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRunFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		envFile := m.userFile(t, "env", "# comment\nFROM_FILE=yes\n\nOVERRIDE=file\n")
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"echo", []string{"busybox", "echo", "hello"}, "hello\n"},
			{"image cmd", []string{"busybox"}, ""},
			{"env", []string{"-e", "A=1,2", "-e", "B=two words", "busybox", "sh", "-c", `echo "$A|$B"`}, "1,2|two words\n"},
			{"env file then -e", []string{"--env-file", envFile, "-e", "OVERRIDE=flag", "busybox", "sh", "-c", `echo $FROM_FILE $OVERRIDE`}, "yes flag\n"},
			{"image env kept", []string{"busybox", "sh", "-c", `echo $PATH`}, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"},
			{"hostname env and home", []string{"--hostname", "box1", "busybox", "sh", "-c", `echo $HOSTNAME $HOME $(hostname) $(cat /etc/hostname)`}, "box1 /root box1 box1\n"},
			{"workdir", []string{"-w", "/tmp", "busybox", "pwd"}, "/tmp\n"},
			{"workdir created", []string{"-w", "/new/dir", "busybox", "pwd"}, "/new/dir\n"},
			{"user by name", []string{"-u", "tester", "busybox", "sh", "-c", "id -u; id -g; echo $HOME"}, "1000\n1000\n/home/tester\n"},
			{"user uid:gid", []string{"-u", "1234:5678", "busybox", "sh", "-c", "id -u; id -g"}, "1234\n5678\n"},
			{"entrypoint", []string{"--entrypoint", "echo", "busybox", "from", "entrypoint"}, "from entrypoint\n"},
			{"entrypoint json", []string{"--entrypoint", `["sh","-c"]`, "busybox", "echo json"}, "json\n"},
			{"args after image are the container's", []string{"busybox", "ls", "-d", "/etc"}, "/etc\n"},
			{"network none has only loopback", []string{"--network", "none", "busybox", "ls", "/sys/class/net"}, "lo\n"},
			{"hosts file", []string{"--hostname", "h2", "busybox", "grep", "-c", "h2", "/etc/hosts"}, "1\n"},
			{"capabilities are Podman's", []string{"busybox", "sh", "-c", "grep CapEff /proc/self/status"}, "CapEff:\t00000000800405fb\n"},
			{"firmware masked", []string{"busybox", "ls", "/sys/firmware"}, ""},
			{"proc/sys read-only", []string{"busybox", "sh", "-c", "grep ' /proc/sys ' /proc/mounts | grep -c ro,"}, "1\n"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out := m.must(t, append([]string{"run", "--rm"}, tc.args...)...)
				if out != tc.want {
					t.Errorf("got %q, want %q", out, tc.want)
				}
			})
		}
	})
}

func TestRunNetworkHost(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		out := m.must(t, "run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")
		host, _ := os.ReadDir("/sys/class/net")
		if len(strings.Fields(out)) != len(host) {
			t.Errorf("container sees interfaces %q, host has %d", out, len(host))
		}
		hn, _ := os.Hostname()
		if got := m.must(t, "run", "--rm", "--network", "host", "busybox", "hostname"); got != hn+"\n" {
			t.Errorf("hostname %q, want the host's %q", got, hn)
		}
	})
}

func TestRunExitCodes(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		tests := []struct {
			name string
			args []string
			code int
			err  string
		}{
			{"success", []string{"busybox", "true"}, 0, ""},
			{"container code", []string{"busybox", "sh", "-c", "exit 3"}, 3, ""},
			{"not found", []string{"busybox", "nosuchcommand"}, 127, "nosuchcommand"},
			{"not found by path", []string{"busybox", "/no/such/file"}, 127, "/no/such/file"},
			{"not executable", []string{"busybox", "/etc/passwd"}, 126, "/etc/passwd"},
			{"directory", []string{"busybox", "/tmp"}, 126, "/tmp"},
			{"engine error", []string{"nosuchimage:latest"}, 125, "nosuchimage"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := m.scow(t, append([]string{"run", "--rm"}, tc.args...)...)
				if tc.err != "" {
					wantError(t, r, tc.code, tc.err)
					return
				}
				if r.code != tc.code {
					t.Errorf("got exit %d, want %d\n%s", r.code, tc.code, r)
				}
			})
		}
		if n := containerCount(t, m.root); n != 0 {
			t.Errorf("--rm runs left %d containers", n)
		}
	})
}

func TestRunStdin(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		r := m.scowStdin(t, "piped line\n", "run", "--rm", "-i", "busybox", "cat")
		if r.code != 0 || r.stdout != "piped line\n" {
			t.Errorf("with -i: %s", r)
		}
		r = m.scowStdin(t, "ignored\n", "run", "--rm", "busybox", "cat")
		if r.code != 0 || r.stdout != "" {
			t.Errorf("without -i the container must see no input: %s", r)
		}
	})
}

func TestRunBindMounts(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		dir := m.userDir(t)
		os.WriteFile(filepath.Join(dir, "in.txt"), []byte("from host\n"), 0o644)
		if got := m.must(t, "run", "--rm", "-v", dir+":/data", "busybox", "sh", "-c", "cat /data/in.txt; echo written > /data/out.txt"); got != "from host\n" {
			t.Errorf("read through bind mount: %q", got)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "written\n" {
			t.Errorf("write through bind mount: %q %v", b, err)
		}
		r := m.scow(t, "run", "--rm", "-v", dir+":/data:ro", "busybox", "sh", "-c", "echo x > /data/ro.txt")
		if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
			t.Errorf("write to :ro mount: %s", r)
		}
		if _, err := os.Stat(filepath.Join(dir, "ro.txt")); err == nil {
			t.Error(":ro mount was writable")
		}
		// A missing host directory is refused, as by Podman, not made.
		missing := filepath.Join(dir, "made", "by", "scow")
		wantError(t, m.scow(t, "run", "--rm", "-v", missing+":/m", "busybox", "true"), 125, missing)
		if _, err := os.Stat(filepath.Join(dir, "made")); err == nil {
			t.Error("a missing -v source was created")
		}
	})
}

func TestRunRemoveLeavesNothing(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		root, run := m.newDirs(t, "rm")
		load := m.cmdIn(context.Background(), root, run, "load", "-i", suite.image)
		if r := execute(t, load, ""); r.code != 0 {
			t.Fatal(r)
		}
		for _, args := range [][]string{{"true"}, {"sh", "-c", "exit 5"}, {"nosuchcmd"}} {
			c := m.cmdIn(context.Background(), root, run, append([]string{"run", "--rm", "busybox"}, args...)...)
			execute(t, c, "")
		}
		// A --rm container need not survive a crash: as with Podman its
		// rootfs is a volatile overlay (no syncs), unlike a kept one's.
		rootfs := `grep " / / " /proc/self/mountinfo`
		for _, tc := range []struct {
			flags    []string
			volatile bool
		}{{[]string{"--rm"}, true}, {[]string{"--name", "kept"}, false}} {
			c := m.cmdIn(context.Background(), root, run, append(append([]string{"run"}, tc.flags...), "busybox", "sh", "-c", rootfs)...)
			r := execute(t, c, "")
			if r.code != 0 || !strings.Contains(r.stdout, " overlay ") {
				t.Fatalf("the rootfs of %v: %v", tc.flags, r)
			}
			if got := strings.Contains(r.stdout, "volatile"); got != tc.volatile {
				t.Errorf("the rootfs of %v is volatile: %v, want %v: %s", tc.flags, got, tc.volatile, r.stdout)
			}
		}
		if r := execute(t, m.cmdIn(context.Background(), root, run, "rm", "kept"), ""); r.code != 0 {
			t.Fatal(r)
		}
		if n := containerCount(t, root); n != 0 {
			t.Errorf("%d container records left", n)
		}
		names, _ := os.ReadDir(filepath.Join(root, "names"))
		if len(names) != 0 {
			t.Errorf("%d names left", len(names))
		}
		for _, f := range []string{"containers.json", "volatile-containers.json"} {
			data, err := os.ReadFile(filepath.Join(root, "storage", "overlay-containers", f))
			if err == nil && strings.TrimSpace(string(data)) != "[]" {
				t.Errorf("storage still has containers in %s: %s", f, data)
			}
		}
		mounts, _ := os.ReadFile("/proc/mounts")
		if strings.Contains(string(mounts), root) {
			t.Errorf("mounts left under %s", root)
		}
	})
}

func TestRunForwardsSignals(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1} {
			t.Run(sig.String(), func(t *testing.T) {
				script := `trap "exit 42" TERM INT USR1; echo ready; sleep 60 & wait`
				c := m.cmd(context.Background(), "run", "--rm", "busybox", "sh", "-c", script)
				out, err := c.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				line, _ := bufio.NewReader(out).ReadString('\n')
				if line != "ready\n" {
					c.Process.Kill()
					t.Fatalf("container said %q", line)
				}
				c.Process.Signal(sig)
				done := make(chan error, 1)
				go func() { done <- c.Wait() }()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					c.Process.Kill()
					t.Fatal("scow did not exit after the signal")
				}
				if code := c.ProcessState.ExitCode(); code != 42 {
					t.Errorf("got exit %d, want 42 from the container's trap", code)
				}
			})
		}
	})
}

func TestRunParallel(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		var wg sync.WaitGroup
		results := make([]result, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = execute(t, m.cmd(context.Background(), "run", "--rm", "busybox", "sh", "-c", "sleep 1; echo done"), "")
			}()
		}
		wg.Wait()
		for _, r := range results {
			if r.code != 0 || r.stdout != "done\n" {
				t.Errorf("parallel run: %s", r)
			}
		}
	})
}

func TestRunNameConflict(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		root, run := m.newDirs(t, "names")
		scow := func(args ...string) result {
			return execute(t, m.cmdIn(context.Background(), root, run, args...), "")
		}
		if r := scow("load", "-i", suite.image); r.code != 0 {
			t.Fatal(r)
		}
		if r := scow("run", "--name", "taken", "busybox", "true"); r.code != 0 {
			t.Fatal(r)
		}
		wantError(t, scow("run", "--name", "taken", "busybox", "true"), 125, `"taken"`, "already in use")
		if n := containerCount(t, root); n != 1 {
			t.Errorf("got %d containers after the conflict, want 1", n)
		}
		// Two runs racing for one name: exactly one wins.
		var wg sync.WaitGroup
		results := make([]result, 2)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = scow("run", "--rm", "--name", "race", "busybox", "sleep", "1")
			}()
		}
		wg.Wait()
		won := 0
		for _, r := range results {
			switch r.code {
			case 0:
				won++
			case 125:
				if !strings.Contains(r.stderr, "already in use") {
					t.Errorf("loser's error: %s", r)
				}
			default:
				t.Errorf("racing run: %s", r)
			}
		}
		if won != 1 {
			t.Errorf("%d runs won the name, want 1", won)
		}
		wantError(t, scow("run", "--name", "bad name!", "busybox", "true"), 125, "bad name!")
	})
}

// TestRelativePaths runs scow from a working directory with relative
// paths: joining the user namespace must not move it to /.
func TestRelativePaths(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		dir := m.userDir(t)
		if err := copyFile(suite.image, filepath.Join(dir, "img.tar")); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, "img.tar"), 0o644)
		os.WriteFile(filepath.Join(dir, "env"), []byte("FROM_FILE=rel\n"), 0o644)
		root, run := m.newDirs(t, "rel")
		scow := func(args ...string) result {
			c := m.cmdIn(context.Background(), root, run, args...)
			c.Dir = dir
			return execute(t, c, "")
		}
		if r := scow("load", "-i", "img.tar"); r.code != 0 {
			t.Fatalf("load -i with a relative path: %s", r)
		}
		r := scow("run", "--rm", "--env-file", "env", "-v", ".:/data", "busybox", "sh", "-c", "echo $FROM_FILE; ls /data")
		if r.code != 0 || r.stdout != "rel\nenv\nimg.tar\n" {
			t.Errorf("relative --env-file and -v: %s", r)
		}
		if r := scow("save", "-o", "out.tar", "busybox"); r.code != 0 {
			t.Errorf("save -o relative: %s", r)
		}
		if _, err := os.Stat(filepath.Join(dir, "out.tar")); err != nil {
			t.Errorf("save -o out.tar did not write into the working directory: %v", err)
		}
	})
}

// TestPreserveFDs: run and exec hand the caller's descriptors to the
// process, under their numbers; a gap is /dev/null.
func TestPreserveFDs(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		one, two := m.userFile(t, "one", "one\n"), m.userFile(t, "two", "two\n")
		withFiles := func(args ...string) result {
			t.Helper()
			var files []*os.File
			for _, p := range []string{one, two} {
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				files = append(files, f)
			}
			c := m.cmdIn(context.Background(), s.root, s.run, args...)
			c.ExtraFiles = files // fds 3 and 4
			return execute(t, c, "")
		}
		if r := withFiles("run", "--rm", "--preserve-fds", "2", "busybox", "sh", "-c", "cat <&3; cat <&4"); r.code != 0 || r.stdout != "one\ntwo\n" {
			t.Errorf("run --preserve-fds 2: %s", r)
		}
		if r := withFiles("run", "--rm", "--preserve-fd", "4", "busybox", "sh", "-c", "cat <&4; readlink /proc/self/fd/3; test -e /proc/self/fd/5 || echo no5"); r.code != 0 || r.stdout != "two\n/dev/null\nno5\n" {
			t.Errorf("run --preserve-fd 4: %s", r)
		}
		s.must("run", "-d", "--name", "fds", "busybox", "sleep", "300")
		if r := withFiles("exec", "--preserve-fds", "1", "fds", "sh", "-c", "cat <&3; test -e /proc/self/fd/4 || echo no4"); r.code != 0 || r.stdout != "one\nno4\n" {
			t.Errorf("exec --preserve-fds 1: %s", r)
		}
		if r := withFiles("exec", "--preserve-fd", "3,4", "fds", "sh", "-c", "cat <&4 <&3"); r.code != 0 || r.stdout != "one\n" {
			t.Errorf("exec --preserve-fd 3,4: %s", r)
		}
		// A descriptor not passed stays out of the monitor: a reader of
		// its pipe sees the end when scow exits, not when the container
		// does.
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		c := m.cmdIn(context.Background(), s.root, s.run, "run", "-d", "busybox", "sleep", "300")
		c.ExtraFiles = []*os.File{pw}
		if r := execute(t, c, ""); r.code != 0 {
			t.Fatalf("run -d with an inherited pipe: %s", r)
		}
		pw.Close()
		eof := make(chan struct{})
		go func() { io.Copy(io.Discard, pr); close(eof) }()
		select {
		case <-eof:
		case <-time.After(10 * time.Second):
			t.Error("a descriptor scow inherited stays open in the container's monitor")
		}
		pr.Close()
		// scow unshare passes what it inherited on.
		if m.rootless {
			if r := withFiles("unshare", "sh", "-c", "cat <&3"); r.code != 0 || r.stdout != "one\n" {
				t.Errorf("unshare with an inherited descriptor: %s", r)
			}
		}
		// Without the descriptors, or with one below 3: an error.
		wantError(t, s.scow("run", "--rm", "--preserve-fds", "1", "busybox", "true"), 125, "descriptor 3")
		wantError(t, s.scow("exec", "--preserve-fd", "7", "fds", "true"), 125, "descriptor 7")
		wantError(t, s.scow("run", "--rm", "--preserve-fd", "2", "busybox", "true"), 125, "--preserve-fd")
	})
}

// TestRootfs: a container on a directory of the host instead of an
// image; with :O its changes stay in an overlay that goes when it stops.
func TestRootfs(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		dir := filepath.Join(m.userDir(t), "root")
		os.Mkdir(dir, 0o755)
		if out, err := exec.Command("tar", "-xf", rootfsTar(t, m), "-C", dir).CombinedOutput(); err != nil {
			t.Fatalf("unpack the rootfs: %v\n%s", err, out)
		}
		if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", m.uid, m.gid), dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v\n%s", err, out)
		}
		// Without :O the container writes into the directory.
		if got := s.must("run", "--rm", "--rootfs", dir, "sh", "-c", "echo kept > /kept; cat /etc/hostname >/dev/null && echo ran"); got != "ran\n" {
			t.Errorf("run --rootfs: %q", got)
		}
		if data, err := os.ReadFile(filepath.Join(dir, "kept")); err != nil || string(data) != "kept\n" {
			t.Errorf("a write of a --rootfs container: %q %v", data, err)
		}
		// With :O it writes into an overlay, there while it runs.
		s.must("run", "-d", "--name", "ov", "--rootfs", dir+":O", "sh", "-c", "echo gone > /gone; sleep 300")
		if !waitFor(10*time.Second, func() bool { return s.scow("exec", "ov", "test", "-e", "/gone").code == 0 }) {
			t.Fatal("the overlay container never wrote /gone")
		}
		if _, err := os.Stat(filepath.Join(dir, "gone")); !os.IsNotExist(err) {
			t.Errorf("a :O container wrote into the directory: %v", err)
		}
		if got := s.must("cp", "ov:/gone", "-"); !strings.Contains(got, "gone\n") {
			t.Errorf("cp from a :O container: %q", got)
		}
		if got := s.must("inspect", "--format", "{{.Rootfs}} {{.ImageName}}|", "ov"); got != dir+" |\n" {
			t.Errorf("inspect of a --rootfs container: %q", got)
		}
		if got := s.must("ps", "--size", "--format", "{{.Names}} {{.Image}}|", "--filter", "name=ov"); got != "ov |\n" {
			t.Errorf("ps of a --rootfs container: %q", got)
		}
		// cp into it, and a mount and unmount, while it runs: the overlay
		// stays the monitor's.
		s.must("cp", m.userFile(t, "in", "in\n"), "ov:/in")
		if !m.rootless {
			s.must("mount", "ov")
			s.must("unmount", "ov")
		}
		if got := s.must("exec", "ov", "cat", "/in", "/gone"); got != "in\ngone\n" {
			t.Errorf("the overlay after cp, mount and unmount: %q", got)
		}
		wantError(t, s.scow("commit", "ov", "img"), 125, "--rootfs")
		wantError(t, s.scow("diff", "ov"), 125, "--rootfs")
		s.must("rm", "-f", "-t", "0", "ov")
		if _, err := os.Stat(filepath.Join(dir, "bin", "busybox")); err != nil {
			t.Errorf("the directory after rm of a :O container: %v", err)
		}
		// A restart starts from the directory again.
		s.must("create", "--name", "again", "--rootfs", dir+":O", "sh", "-c", "test -e /gone && echo leftover; echo x > /gone")
		if !m.rootless {
			s.must("unmount", "again") // never mounted: nothing to do
		}
		for range 2 {
			if got := s.must("start", "-a", "again"); got != "" {
				t.Errorf("start of a :O container kept changes: %q", got)
			}
		}
		if out := s.must("export", "again"); !strings.Contains(out, "bin/busybox") {
			t.Errorf("export of a --rootfs container: %d bytes without bin/busybox", len(out))
		}
		wantError(t, s.scow("cp", m.userFile(t, "lost", "x"), "again:/lost"), 125, "start it first")
		// A monitor killed with its container: the next command takes
		// the overlay down, and the next start has a fresh one.
		monfile := filepath.Join(m.userDir(t), "mon.pid")
		s.must("run", "-d", "--name", "killed", "--conmon-pidfile", monfile, "--rootfs", dir+":O", "sh", "-c", "test -e /gone && touch /leftover; echo x > /gone; exec sleep 300")
		if !waitFor(10*time.Second, func() bool { return s.scow("exec", "killed", "test", "-e", "/gone").code == 0 }) {
			t.Fatal("the container to kill never wrote /gone")
		}
		merged := filepath.Join(s.root, "containers", strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "killed")), "overlay", "merged")
		mountinfo := func() string {
			if m.rootless { // the overlay is in the user's namespace
				return s.must("unshare", "cat", "/proc/self/mountinfo")
			}
			data, _ := os.ReadFile("/proc/self/mountinfo")
			return string(data)
		}
		if !strings.Contains(mountinfo(), merged) {
			t.Errorf("the overlay of a running container is not mounted at %s", merged)
		}
		mon, err := os.ReadFile(monfile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(mon)))
		syscall.Kill(pid, syscall.SIGKILL)
		if !waitFor(10*time.Second, func() bool {
			return strings.TrimSpace(s.must("inspect", "--format", "{{.State.Status}}", "killed")) == "exited"
		}) {
			t.Fatal("the container of a killed monitor is not exited")
		}
		if strings.Contains(mountinfo(), merged) {
			t.Errorf("the overlay of a killed monitor stays mounted at %s", merged)
		}
		s.must("start", "killed")
		if !waitFor(10*time.Second, func() bool { return s.scow("exec", "killed", "test", "-e", "/gone").code == 0 }) {
			t.Fatal("the restarted container never wrote /gone")
		}
		if s.scow("exec", "killed", "test", "-e", "/leftover").code == 0 {
			t.Error("the restart after a killed monitor kept the old overlay's changes")
		}
		s.must("rm", "-f", "-t", "0", "again", "killed")
		if left, _ := filepath.Glob(filepath.Join(s.root, "*", "*", "overlay")); len(left) != 0 {
			t.Errorf("rm left overlays: %v", left)
		}
		wantError(t, s.scow("run", "--rm", "--rootfs", dir+"/none", "true"), 125, "not a directory")
		wantError(t, s.scow("run", "--rm", "--rootfs", dir+":X", "true"), 125, "only O")
		wantError(t, s.scow("run", "--rm", "--rootfs", dir), 125, "no command")
		wantError(t, s.scow("run", "--rm", "--userns=auto", "--rootfs", dir, "true"), 125, "--rootfs")
	})
}

// TestHooksDir: OCI hooks from --hooks-dir run at their stages, for the
// containers their conditions pick.
func TestHooksDir(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		dir := m.userDir(t)
		hooks := filepath.Join(dir, "hooks.d")
		os.Mkdir(hooks, 0o755)
		script := m.userFile(t, "hook.sh", "#!/bin/sh\ncat > \"$1\"\n")
		os.Chmod(script, 0o755)
		hook := func(name, when, stage string) {
			body := fmt.Sprintf(`{"version":"1.0.0","hook":{"path":%q,"args":["hook.sh",%q]},"when":%s,"stages":[%q]}`,
				script, filepath.Join(dir, name+".out"), when, stage)
			if err := os.WriteFile(filepath.Join(hooks, name+".json"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		hook("created", `{"always":true}`, "createRuntime")
		hook("stopped", `{"always":true}`, "poststop")
		hook("echoes", `{"commands":["^echo$"]}`, "createRuntime")
		id := strings.TrimSpace(s.must("--hooks-dir", hooks, "create", "busybox", "true"))
		s.must("--hooks-dir", hooks, "start", "-a", id)
		for _, name := range []string{"created", "stopped"} {
			// poststop runs as the monitor deletes the container, which
			// may be just after start -a hears of its exit.
			var data []byte
			if !waitFor(10*time.Second, func() bool {
				data, _ = os.ReadFile(filepath.Join(dir, name+".out"))
				return strings.Contains(string(data), id)
			}) {
				t.Errorf("the %s hook's state: %q", name, data)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "echoes.out")); !os.IsNotExist(err) {
			t.Errorf("a hook for echo ran for true: %v", err)
		}
		s.must("--hooks-dir", hooks, "run", "--rm", "busybox", "echo")
		if _, err := os.Stat(filepath.Join(dir, "echoes.out")); err != nil {
			t.Errorf("the hook for echo did not run for echo: %v", err)
		}
		os.WriteFile(filepath.Join(hooks, "broken.json"), []byte(`{"version":"9"}`), 0o644)
		wantError(t, s.scow("--hooks-dir", hooks, "run", "--rm", "busybox", "true"), 125, "broken.json")
	})
}

// TestSecurityFlags: capabilities, seccomp, no-new-privileges, masked
// paths, sysctls, ulimits, /dev/shm and the OOM score.
func TestSecurityFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		status := func(flags []string, field string) string {
			t.Helper()
			args := append(append([]string{"run", "--rm"}, flags...), "busybox", "sh", "-c", "grep '^"+field+":' /proc/1/status | cut -f2")
			return strings.TrimSpace(s.must(args...))
		}
		// Podman's eleven default capabilities, then drops and additions.
		for _, tc := range []struct {
			flags []string
			want  string
		}{
			{nil, "00000000800405fb"},
			{[]string{"--cap-add", "net_admin"}, "00000000800415fb"},
			{[]string{"--cap-drop", "ALL", "--cap-add", "CAP_CHOWN"}, "0000000000000001"},
			{[]string{"--cap-drop", "setfcap,Kill"}, "00000000000405db"},
		} {
			if got := status(tc.flags, "CapEff"); got != tc.want {
				t.Errorf("CapEff with %v: %s, want %s", tc.flags, got, tc.want)
			}
		}
		if r := s.scow("run", "--rm", "--cap-drop", "ALL", "busybox", "sh", "-c", "touch /f && chown 1 /f"); r.code == 0 {
			t.Error("chown worked without capabilities")
		}
		s.must("run", "--rm", "busybox", "sh", "-c", "touch /f && chown 1 /f")
		// Seccomp: Docker's profile by default, none when unconfined;
		// the default one refuses a user namespace.
		if got := status(nil, "Seccomp"); got != "2" {
			t.Errorf("Seccomp by default: %s", got)
		}
		if got := status([]string{"--security-opt", "seccomp=unconfined"}, "Seccomp"); got != "0" {
			t.Errorf("Seccomp unconfined: %s", got)
		}
		if r := s.scow("run", "--rm", "busybox", "unshare", "-U", "true"); r.code == 0 {
			t.Error("unshare -U worked under the default seccomp profile")
		}
		// keyctl too, which unconfined allows.
		probe := testBinary(t, m, "sechelper") + ":/probe:ro"
		if got := s.must("run", "--rm", "-v", probe, "busybox", "/probe", "keyctl"); got != "operation not permitted\n" {
			t.Errorf("keyctl under the default seccomp profile: %q", got)
		}
		if got := s.must("run", "--rm", "-v", probe, "--security-opt", "seccomp=unconfined", "busybox", "/probe", "keyctl"); got != "ok\n" {
			t.Errorf("keyctl with seccomp=unconfined: %q", got)
		}
		if got := status([]string{"--security-opt", "no-new-privileges"}, "NoNewPrivs"); got != "1" {
			t.Errorf("NoNewPrivs: %s", got)
		}
		// A set-user-ID root program run by user 1000 gains root, unless
		// no-new-privileges holds.
		suid := "cp /probe /bin/suid && chmod 4755 /bin/suid && /probe as 1000 /bin/suid euid"
		for _, tc := range []struct{ opt, want string }{{"no-new-privileges=false", "0\n"}, {"no-new-privileges", "1000\n"}} {
			if got := s.must("run", "--rm", "-v", probe, "--security-opt", tc.opt, "busybox", "sh", "-c", suid); got != tc.want {
				t.Errorf("set-user-ID root program with %s: euid %q, want %q", tc.opt, got, tc.want)
			}
		}
		// Only its own processes, and no mounts without CAP_SYS_ADMIN.
		if got := s.must("run", "--rm", "busybox", "sh", "-c", "echo /proc/[0-9]*; mount -t tmpfs none /mnt 2>/dev/null || echo refused"); got != "/proc/1\nrefused\n" {
			t.Errorf("processes and mounts seen in a container: %q", got)
		}
		// Masked paths: the defaults, more, fewer.
		got := s.must("run", "--rm", "--security-opt", "mask=/proc/version", "busybox", "sh", "-c", "test -c /proc/keys && echo keys; cat /proc/version | wc -c")
		if got != "keys\n0\n" {
			t.Errorf("masked paths: %q", got)
		}
		if got := s.must("run", "--rm", "--security-opt", "unmask=/proc/keys", "busybox", "sh", "-c", "test -c /proc/keys || echo open"); got != "open\n" {
			t.Errorf("unmask=/proc/keys: %q", got)
		}
		// Namespaced sysctls only; limits inside.
		got = s.must("run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.msgmax=4096", "--ulimit", "nofile=100:100",
			"--shm-size", "16m", "--oom-score-adj", "100", "busybox", "sh", "-c",
			"cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax; ulimit -n; df -k /dev/shm | tail -1 | awk '{print $2}'; cat /proc/self/oom_score_adj")
		if got != "1\n4096\n100\n16384\n100\n" {
			t.Errorf("sysctls, ulimit, shm-size, oom-score-adj: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--sysctl", "kernel.panic=1", "busybox", "true"), 125, "kernel.panic")
		wantError(t, s.scow("run", "--rm", "--cap-add", "flying", "busybox", "true"), 125, "flying")
		wantError(t, s.scow("run", "--rm", "--security-opt", "seccomp=/no/such.json", "busybox", "true"), 125, "such.json")
		wantError(t, s.scow("run", "--rm", "--ulimit", "nofile=lots", "busybox", "true"), 125, "--ulimit")
		// --privileged: every capability scow has, no seccomp, nothing
		// masked, the host's devices, and .containerenv says so.
		hostCaps := ""
		if data, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
					hostCaps = strings.TrimSpace(v)
				}
			}
		}
		if m.rootless {
			hostCaps = "000001ffffffffff" // every one, in scow's namespace
		}
		got = s.must("run", "--rm", "--privileged", "busybox", "sh", "-c",
			"grep -E '^(CapEff|Seccomp):' /proc/1/status | cut -f2; test -c /proc/keys || echo open; test -c /dev/fuse && echo fuse; grep -c rootless= /run/.containerenv")
		if want := hostCaps + "\n0\nopen\nfuse\n1\n"; got != want {
			t.Errorf("--privileged: %q, want %q", got, want)
		}
		// --cap-add ALL keeps the drops.
		mask, _ := strconv.ParseUint(hostCaps, 16, 64)
		if got := status([]string{"--cap-add", "all", "--cap-drop", "sys_admin"}, "CapEff"); got != fmt.Sprintf("%016x", mask&^(1<<21)) {
			t.Errorf("--cap-add all --cap-drop sys_admin: %s", got)
		}
		// --device, and a device not given is not there.
		if got := s.must("run", "--rm", "--device", "/dev/fuse:/dev/myfuse", "busybox", "sh", "-c", "test -c /dev/myfuse && echo yes; test -e /dev/fuse || echo no"); got != "yes\nno\n" {
			t.Errorf("--device /dev/fuse:/dev/myfuse: %q", got)
		}
		// A CDI device: its node (here the host's /dev/null), its
		// vendor's and its own environment, its mounts.
		cdiDir := filepath.Join(m.userDir(t), "cdi")
		os.MkdirAll(cdiDir, 0o755)
		os.WriteFile(filepath.Join(cdiDir, "test.yaml"), []byte(`cdiVersion: "0.6.0"
kind: example.com/test
containerEdits:
  env: ["CDI_VENDOR=example"]
devices:
- name: null0
  containerEdits:
    env: ["CDI_DEVICE=null0"]
    deviceNodes:
    - path: /dev/cdi-null
      hostPath: /dev/null
    mounts:
    - hostPath: `+cdiDir+`
      containerPath: /cdi
      options: [ro, bind]
`), 0o644)
		if got := s.must("--cdi-spec-dir", cdiDir, "run", "--rm", "--device", "example.com/test=null0", "busybox", "sh", "-c",
			"echo $CDI_VENDOR $CDI_DEVICE; test -c /dev/cdi-null && echo node; ls /cdi"); got != "example null0\nnode\ntest.yaml\n" {
			t.Errorf("CDI device example.com/test=null0: %q", got)
		}
		wantError(t, s.scow("--cdi-spec-dir", cdiDir, "run", "--rm", "--device", "example.com/test=null1", "busybox", "true"), 125, "example.com/test=null1", cdiDir)
		wantError(t, s.scow("--cdi-spec-dir", cdiDir, "run", "--rm", "--gpus", "all", "busybox", "true"), 125, "nvidia.com/gpu=all", "nvidia-ctk")
		wantError(t, s.scow("run", "--rm", "--device", "/etc/passwd", "busybox", "true"), 125, "not a device")
		wantError(t, s.scow("run", "--rm", "--device", "/dev/fuse:/dev/f:rwx", "busybox", "true"), 125, "r, w and m")
		// exec --privileged: every capability for that process only.
		s.must("run", "-d", "--name", "plain", "busybox", "sleep", "300")
		if got := strings.TrimSpace(s.must("exec", "--privileged", "plain", "sh", "-c", "grep ^CapEff: /proc/self/status | cut -f2")); got != hostCaps {
			t.Errorf("exec --privileged: %s, want %s", got, hostCaps)
		}
		if got := strings.TrimSpace(s.must("exec", "plain", "sh", "-c", "grep ^CapEff: /proc/self/status | cut -f2")); got != "00000000800405fb" {
			t.Errorf("exec: %s", got)
		}
		if got := s.must("exec", "plain", "wc", "-c", "/run/.containerenv"); !strings.HasPrefix(got, "0 ") {
			t.Errorf(".containerenv of an unprivileged container: %q", got)
		}
		s.must("rm", "-f", "-t", "0", "plain")
		// --seccomp-policy image: the profile of the image's label.
		profile := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`
		label, _ := json.Marshal(profile)
		s.must("import", "--change", "LABEL io.containers.seccomp.profile="+string(label), "--change", "CMD /bin/sh", rootfsTar(t, m), "withprofile")
		if r := s.scow("run", "--rm", "--seccomp-policy", "image", "withprofile", "mkdir", "/x"); r.code == 0 {
			t.Error("--seccomp-policy image: the image's profile did not refuse mkdir")
		}
		s.must("run", "--rm", "withprofile", "mkdir", "/x")
		// The image's profile wins; one that is not JSON is refused.
		if r := s.scow("run", "--rm", "--seccomp-policy", "image", "--security-opt", "seccomp=unconfined", "withprofile", "mkdir", "/x"); r.code == 0 {
			t.Error("--seccomp-policy image with seccomp=unconfined: the image's profile did not hold")
		}
		s.must("import", "--change", "LABEL io.containers.seccomp.profile=unconfined", "--change", "CMD /bin/sh", rootfsTar(t, m), "badprofile")
		wantError(t, s.scow("run", "--rm", "--seccomp-policy", "image", "badprofile", "true"), 125, "io.containers.seccomp.profile")
		wantError(t, s.scow("run", "--rm", "--seccomp-policy", "strict", "busybox", "true"), 125, "--seccomp-policy")
		// proc-opts: options of /proc's mount.
		if got := s.must("run", "--rm", "--security-opt", "proc-opts=subset=pid", "--security-opt", "proc-opts=hidepid=2", "busybox", "sh", "-c",
			"test -e /proc/meminfo || echo subset; grep ' /proc proc ' /proc/self/mounts | grep -c 'subset=pid.*hidepid\\|hidepid.*subset=pid'"); got != "subset\n1\n" {
			t.Errorf("proc-opts=subset=pid,hidepid=2: %q", got)
		}
		if m.rootless {
			wantError(t, s.scow("run", "--rm", "--pid", "host", "--security-opt", "proc-opts=hidepid=2", "busybox", "true"), 125, "proc-opts", "host's")
		}
		// --personality: the execution domain reaches the process.
		if got := s.must("run", "--rm", "--personality", "LINUX32", "busybox", "uname", "-m"); got != "i686\n" {
			t.Errorf("--personality LINUX32: uname -m says %q", got)
		}
		if got := s.must("run", "--rm", "busybox", "uname", "-m"); got != "x86_64\n" {
			t.Errorf("uname -m by default: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--personality", "BSD", "busybox", "true"), 125, "--personality")
		if _, err := os.Stat("/sys/fs/resctrl/info"); err != nil {
			wantError(t, s.scow("run", "--rm", "--rdt-class", "gold", "busybox", "true"), 125, "--rdt-class", "no resctrl")
		}
		// --group-add: by GID or by the image's name.
		if got := s.must("run", "--rm", "--user", "1234", "--group-add", "42", "--group-add", "daemon", "busybox", "id", "-G"); got != "0 1 42\n" {
			t.Errorf("--group-add 42 --group-add daemon: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--group-add", "nosuchgroup", "busybox", "true"), 125, "nosuchgroup")
		wantError(t, s.scow("run", "--rm", "--group-add", "keep-groups", "busybox", "true"), 125, "only crun", "runtime is runc")
		// inspect shows what was asked.
		s.must("create", "--name", "sec", "--cap-add", "net_raw", "--cap-drop", "kill", "--security-opt", "no-new-privileges", "busybox", "true")
		if got := s.must("inspect", "--format", "{{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{len .EffectiveCaps}}", "sec"); got != "[CAP_NET_RAW] [CAP_KILL] [no-new-privileges] 11\n" {
			t.Errorf("inspect's security settings: %q", got)
		}
	})
}

// TestNamespaceFlags: --pid, --ipc, --uts and --cgroupns: the host's,
// another container's, or the container's own.
func TestNamespaceFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		hostNS := func(kind string) string {
			p, _ := os.Readlink("/proc/self/ns/" + kind)
			return p
		}
		inside := func(flags []string, kind string) string {
			t.Helper()
			return strings.TrimSpace(s.must(append(append([]string{"run", "--rm"}, flags...), "busybox", "readlink", "/proc/self/ns/"+kind)...))
		}
		for _, kind := range []string{"pid", "ipc", "uts"} {
			if got := inside([]string{"--" + kind, "host"}, kind); got != hostNS(kind) {
				t.Errorf("--%s host: %s, want the host's %s", kind, got, hostNS(kind))
			}
			if got := inside(nil, kind); got == hostNS(kind) {
				t.Errorf("a container's own %s namespace is the host's", kind)
			}
		}
		if got := inside([]string{"--cgroupns", "private"}, "cgroup"); got == hostNS("cgroup") {
			t.Error("--cgroupns private is the host's")
		}
		if got := inside([]string{"--cgroupns", "host"}, "cgroup"); got != hostNS("cgroup") {
			t.Errorf("--cgroupns host: %s", got)
		}
		host, _ := os.Hostname()
		if got := s.must("run", "--rm", "--uts", "host", "busybox", "hostname"); got != host+"\n" {
			t.Errorf("--uts host: hostname %q, want %q", got, host)
		}
		// Another container's: it sees its processes, its name, its IPC.
		s.must("run", "-d", "--name", "owner", "--hostname", "ownerhost", "busybox", "sleep", "300")
		if got := s.must("run", "--rm", "--pid", "container:owner", "--uts", "container:owner", "--ipc", "container:owner", "busybox", "sh", "-c",
			"ps -o args | grep -c '^sleep 300'; hostname; readlink /proc/self/ns/ipc"); got != "1\nownerhost\n"+s.must("exec", "owner", "readlink", "/proc/self/ns/ipc") {
			t.Errorf("--pid/--uts/--ipc container:owner: %q", got)
		}
		// Its /dev/shm too (POSIX shared memory), not one of its own.
		s.must("exec", "owner", "sh", "-c", "echo shared > /dev/shm/seg")
		if got := s.must("run", "--rm", "--ipc", "container:owner", "busybox", "cat", "/dev/shm/seg"); got != "shared\n" {
			t.Errorf("/dev/shm with --ipc container:owner: %q", got)
		}
		s.must("run", "-d", "--name", "priv", "--ipc", "private", "busybox", "sleep", "300")
		if got := s.must("inspect", "--format", "{{.HostConfig.IpcMode}} {{.HostConfig.PidMode}} {{.HostConfig.Cgroups}}", "owner", "priv"); got != "shareable private default\nprivate private default\n" {
			t.Errorf("inspect's IpcMode, PidMode, Cgroups: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--ipc", "container:priv", "busybox", "true"), 125, "not shareable", "--ipc shareable")
		s.must("rm", "-f", "-t", "0", "priv")
		s.must("create", "--name", "joiner", "--pid", "container:owner", "busybox", "true")
		wantError(t, s.scow("rm", "-f", "-t", "0", "owner"), 125, "joiner", "--depend")
		if got := s.must("run", "--rm", "--ipc", "none", "busybox", "sh", "-c", "test -d /dev/shm || echo none"); got != "none\n" {
			t.Errorf("--ipc none: %q", got)
		}
		s.must("rm", "joiner")
		if !m.rootless {
			// The /dev/shm mount outside the container goes when it
			// stops, and when its monitor is killed, with the next look.
			ownerID := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "owner"))
			shmMounted := func() bool {
				data, _ := os.ReadFile("/proc/self/mountinfo")
				return strings.Contains(string(data), ownerID+"/shm ")
			}
			if !shmMounted() {
				t.Error("no /dev/shm mount of a running container")
			}
			killMonitors(t, m.uid)
			s.must("ps", "-a")
			if shmMounted() {
				t.Error("the /dev/shm mount of a killed monitor's container stays")
			}
			s.must("start", "owner")
		}
		s.must("stop", "-t", "0", "owner")
		wantError(t, s.scow("run", "--rm", "--pid", "container:owner", "busybox", "true"), 125, "not running")
		wantError(t, s.scow("run", "--rm", "--pid", "container:nosuch", "busybox", "true"), 125, "nosuch")
		wantError(t, s.scow("run", "--rm", "--ipc", "sideways", "busybox", "true"), 125, "--ipc")
		wantError(t, s.scow("run", "--rm", "--ipc", "host", "--sysctl", "kernel.msgmax=1", "busybox", "true"), 125, "--sysctl kernel.msgmax", "--ipc host")
		wantError(t, s.scow("run", "--rm", "--cgroupns", "container:owner", "busybox", "true"), 125, "--cgroupns")
	})
}

// TestResourceLimits: as root, the limits reach the container's cgroup
// and the kernel enforces them; rootless here (cgroup v1, nothing
// delegated) scow warns and runs the container without them.
func TestResourceLimits(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		if m.rootless {
			r := s.scow("run", "--rm", "--memory", "32m", "--cpus", "0.5", "busybox", "echo", "ran")
			if r.code != 0 || r.stdout != "ran\n" || !strings.Contains(r.stderr, "the memory, cpu limits are dropped") {
				t.Errorf("rootless run with limits: %s", r)
			}
			// No cgroup of its own: what --cgroups disabled asks.
			if got := s.must("run", "--rm", "--cgroups", "disabled", "busybox", "echo", "ran"); got != "ran\n" {
				t.Errorf("rootless --cgroups disabled: %q", got)
			}
			wantError(t, s.scow("run", "--rm", "--cgroups", "disabled", "--pids-limit", "5", "busybox", "true"), 125, "--cgroups disabled")
			return
		}
		// --cgroups split: under the caller's cgroup; disabled is for
		// rootless containers; --cgroup-conf needs cgroup v2.
		own := ""
		if data, err := os.ReadFile("/proc/self/cgroup"); err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if f := strings.SplitN(l, ":", 3); len(f) == 3 && f[1] == "memory" {
					own = f[2]
				}
			}
		}
		id0 := strings.TrimSpace(s.must("run", "-d", "--cgroups", "split", "--memory", "64m", "busybox", "sleep", "300"))
		defer s.scow("rm", "-f", "-t", "0", id0)
		if data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", own, "scow-"+id0, "memory.limit_in_bytes")); err != nil || strings.TrimSpace(string(data)) != "67108864" {
			t.Errorf("--cgroups split: memory limit under %s: %q %v", own, data, err)
		}
		if got := s.must("inspect", "--format", "{{.HostConfig.CgroupParent}}", id0); got != own+"\n" {
			t.Errorf("CgroupParent of --cgroups split: %q, want %s", got, own)
		}
		s.must("run", "--rm", "--cgroups", "no-conmon", "busybox", "true")
		wantError(t, s.scow("run", "--rm", "--cgroups", "disabled", "busybox", "true"), 125, "rootless")
		wantError(t, s.scow("run", "--rm", "--cgroups", "split", "--cgroup-parent", "/x", "busybox", "true"), 125, "--cgroup-parent")
		wantError(t, s.scow("run", "--rm", "--cgroups", "sometimes", "busybox", "true"), 125, "--cgroups")
		wantError(t, s.scow("run", "--rm", "--cgroup-conf", "memory.high=1G", "busybox", "true"), 125, "cgroup v1")
		wantError(t, s.scow("run", "--rm", "--cgroup-conf", "../x=1", "busybox", "true"), 125, "KEY=VALUE")
		// A memory hog as PID 1: OOM-killed, 137, and inspect says so.
		if r := s.scow("run", "--name", "hog", "--memory", "32m", "busybox", "tail", "/dev/zero"); r.code != 137 {
			t.Errorf("a memory hog under --memory 32m: %s", r)
		}
		if got := s.must("inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog"); got != "true 137\n" {
			t.Errorf("inspect of the OOM-killed container: %q", got)
		}
		s.must("rm", "hog")
		// A fork bomb stops at --pids-limit.
		if r := s.scow("run", "--rm", "--pids-limit", "20", "busybox", "sh", "-c", "for i in $(seq 40); do sleep 5 & done; wait"); r.code == 0 || !strings.Contains(r.stderr, "can't fork") {
			t.Errorf("40 processes under --pids-limit 20: %s", r)
		}
		// The cgroup has what was asked, and the default pids limit.
		id := strings.TrimSpace(s.must("run", "-d", "--cpus", "0.5", "--memory", "64m", "--memory-swap", "128m", "--cpu-shares", "512", "busybox", "sleep", "300"))
		defer s.scow("rm", "-f", "-t", "0", id)
		for file, want := range map[string]string{
			"cpu/scow/scow-" + id + "/cpu.cfs_quota_us":               "50000",
			"cpu/scow/scow-" + id + "/cpu.shares":                     "512",
			"memory/scow/scow-" + id + "/memory.limit_in_bytes":       "67108864",
			"memory/scow/scow-" + id + "/memory.memsw.limit_in_bytes": "134217728",
			"pids/scow/scow-" + id + "/pids.max":                      "2048",
		} {
			data, err := os.ReadFile("/sys/fs/cgroup/" + file)
			if os.IsNotExist(err) && strings.Contains(file, "memsw") {
				continue // no swap accounting on this kernel
			}
			if got := strings.TrimSpace(string(data)); err != nil || got != want {
				t.Errorf("%s: %q %v, want %s", file, got, err, want)
			}
		}
		// --memory alone: as much swap as memory, as Podman's.
		id2 := strings.TrimSpace(s.must("run", "-d", "--memory", "32m", "busybox", "sleep", "300"))
		defer s.scow("rm", "-f", "-t", "0", id2)
		if data, err := os.ReadFile("/sys/fs/cgroup/memory/scow/scow-" + id2 + "/memory.memsw.limit_in_bytes"); err == nil && strings.TrimSpace(string(data)) != "67108864" {
			t.Errorf("memory and swap of --memory 32m: %s", data)
		}
		wantError(t, s.scow("run", "--rm", "--memory", "lots", "busybox", "true"), 125, "--memory")
		wantError(t, s.scow("run", "--rm", "--memory-swap", "1g", "busybox", "true"), 125, "--memory-swap needs --memory")
		wantError(t, s.scow("run", "--rm", "--cpus", "1", "--cpu-quota", "50000", "busybox", "true"), 125, "conflict")
		wantError(t, s.scow("run", "--rm", "--cgroup-parent", "relative", "busybox", "true"), 125, "--cgroup-parent")
		// A device cgroup rule lets the container make a node; limits
		// this host's controllers cannot apply are refused with why.
		// (42:42 is no device: allowed, its open says so; denied, EPERM.)
		open := func(flags ...string) string {
			args := append(append([]string{"run", "--rm", "--cap-add", "mknod"}, flags...), "busybox", "sh", "-c", "mknod /n c 42 42; echo x 2>&1 > /n; true")
			r := s.scow(args...)
			return r.stdout + r.stderr
		}
		if got := open("--device-cgroup-rule", "c 42:42 rwm"); !strings.Contains(got, "No such device") {
			t.Errorf("--device-cgroup-rule c 42:42 rwm: %q", got)
		}
		if got := open(); !strings.Contains(got, "not permitted") {
			t.Errorf("a device the cgroup denies: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--device-cgroup-rule", "x 1:3 rwm", "busybox", "true"), 125, "--device-cgroup-rule")
		if _, err := os.Stat("/sys/fs/cgroup/blkio/blkio.weight"); err != nil {
			wantError(t, s.scow("run", "--rm", "--blkio-weight", "300", "busybox", "true"), 125, "no weights")
		}
		if data, _ := os.ReadFile("/sys/fs/cgroup/cpu/scow/cpu.rt_runtime_us"); strings.TrimSpace(string(data)) == "0" {
			wantError(t, s.scow("run", "--rm", "--cpu-rt-runtime", "10000", "busybox", "true"), 125, "real-time budget")
		}
	})
}

// TestUpdate: update changes a running container's cgroup at once and
// its record, so that a restart keeps the new limits.
func TestUpdate(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "up", "--memory", "64m", "--pids-limit", "100", "busybox", "sleep", "300")
		defer s.scow("rm", "-f", "-t", "0", "up")
		if m.rootless {
			wantError(t, s.scow("update", "--memory", "128m", "up"), 125, "rootless")
			return
		}
		id := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "up"))
		limit := func() string {
			data, _ := os.ReadFile("/sys/fs/cgroup/memory/scow/scow-" + id + "/memory.limit_in_bytes")
			return strings.TrimSpace(string(data))
		}
		s.must("update", "--memory", "256m", "--cpus", "1.5", "up")
		if got := limit(); got != "268435456" {
			t.Errorf("memory limit after update: %s", got)
		}
		want := "268435456 150000 100\n"
		if got := s.must("inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.CpuQuota}} {{.HostConfig.PidsLimit}}", "up"); got != want {
			t.Errorf("inspect after update: %q, want %q", got, want)
		}
		s.must("restart", "-t", "0", "up")
		if got := limit(); got != "268435456" {
			t.Errorf("memory limit after a restart: %s", got)
		}
		// --memory-swap alone against the recorded --memory.
		if _, err := os.Stat("/sys/fs/cgroup/memory/scow/scow-" + id + "/memory.memsw.limit_in_bytes"); err == nil {
			s.must("update", "--memory-swap", "512m", "up")
			if data, _ := os.ReadFile("/sys/fs/cgroup/memory/scow/scow-" + id + "/memory.memsw.limit_in_bytes"); strings.TrimSpace(string(data)) != "536870912" {
				t.Errorf("memory and swap after update --memory-swap 512m: %s", data)
			}
		}
		wantError(t, s.scow("update", "--memory-swap", "128m", "up"), 125, "less than --memory 256MiB")
		wantError(t, s.scow("update", "up"), 125, "give a limit")
		wantError(t, s.scow("update", "--memory", "lots", "up"), 125, "--memory")
		wantError(t, s.scow("update", "--memory", "1g", "nosuch"), 125, "nosuch")
	})
}

// TestStats: stats reads a container's use from its cgroup as root;
// rootless here, without one, what its processes and network say.
func TestStats(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "busy", "--cpus", "0.5", "busybox", "sh", "-c", "sleep 300 & while :; do :; done")
		defer s.scow("rm", "-f", "-t", "0", "busy")
		time.Sleep(2 * time.Second)
		out := s.must("stats", "--no-stream")
		for _, col := range []string{"ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET IO", "BLOCK IO", "PIDS", "CPU TIME", "AVG CPU %", "busy"} {
			if !strings.Contains(out, col) {
				t.Errorf("stats has no %q:\n%s", col, out)
			}
		}
		f := strings.Fields(s.must("stats", "--no-stream", "--format", "{{.PIDs}} {{.CPUPerc}} {{.MemUsage}}", "busy"))
		if len(f) < 2 || f[0] != "2" {
			t.Fatalf("stats --format: %v", f)
		}
		cpu, _ := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		if m.rootless {
			// No cgroup: the limit is not there, the CPU time is read
			// from the processes.
			if cpu < 20 || strings.Join(f[2:], " ") != "-- / --" {
				t.Errorf("rootless stats: %v", f)
			}
		} else if cpu < 20 || cpu > 80 {
			t.Errorf("a busy loop under --cpus 0.5 uses %v%%", cpu)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(s.must("stats", "--no-stream", "--format", "json")), &rows); err != nil || len(rows) != 1 || rows[0]["Name"] != "busy" {
			t.Errorf("stats --format json: %v %v", rows, err)
		}
		s.must("create", "--name", "idle", "busybox", "true")
		wantError(t, s.scow("stats", "--no-stream", "idle"), 125, "not running")
		// --all: the others too, using nothing.
		all := s.must("stats", "--no-stream", "--all", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}")
		if !strings.Contains(all, "idle 0.00% 0B / 0B 0\n") || !strings.Contains(all, "busy ") {
			t.Errorf("stats --all:\n%s", all)
		}
		wantError(t, s.scow("stats", "--interval", "0"), 125, "--interval")
	})
}
