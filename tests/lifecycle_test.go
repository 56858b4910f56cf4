//go:build e2e

package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitFor polls cond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// mustWaitFor stops the test unless cond holds within d.
func mustWaitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitFor(d, cond) {
		t.Fatalf("%s: not within %v", what, d)
	}
}

// monitors lists uid's monitor processes (and hooks) as "PID command
// line", so that a failure says which ones.
func monitors(t *testing.T, uid int) []string {
	t.Helper()
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmd, err := os.ReadFile(p + "/cmdline")
		if err != nil || !strings.Contains(string(cmd), "__monitor") {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && int(st.Uid) == uid {
			out = append(out, filepath.Base(p)+" "+strings.ReplaceAll(strings.TrimRight(string(cmd), "\x00"), "\x00", " "))
		}
	}
	return out
}

func TestDetachedLifecycle(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		id := strings.TrimSpace(s.must("run", "-d", "--name", "web", "--label", "app=web", "busybox", "sh", "-c", "echo started; trap 'echo bye; exit 7' TERM; while true; do sleep 0.1; done"))
		if len(id) != 64 {
			t.Fatalf("run -d printed %q, want a 64-hex ID", id)
		}
		// A run whose create fails (the name is taken) ends the monitor it
		// started ahead of the container: only web's is left.
		wantError(t, s.scow("run", "-d", "--name", "web", "busybox", "true"), 125, "web")
		if !waitFor(5*time.Second, func() bool { return len(monitors(t, m.uid)) == 1 }) {
			t.Errorf("monitors after a failed run: %q, want web's alone", monitors(t, m.uid))
		}
		if !waitFor(5*time.Second, func() bool { return strings.Contains(s.must("logs", "web"), "started") }) {
			t.Fatalf("no output in logs: %q", s.must("logs", "web"))
		}
		ps := s.must("ps")
		lines := strings.Split(strings.TrimSpace(ps), "\n")
		if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" {
			t.Fatalf("ps:\n%s", ps)
		}
		if !strings.HasPrefix(lines[1], id[:12]) || !strings.Contains(lines[1], "Up ") || !strings.HasSuffix(lines[1], "web") {
			t.Errorf("ps row: %q", lines[1])
		}
		for filter, want := range map[string]bool{"name=web": true, "name=nope": false, "label=app=web": true, "label=app=db": false, "status=running": true, "status=exited": false, "id=" + id[:5]: true, "ancestor=busybox": true} {
			got := strings.TrimSpace(s.must("ps", "-q", "--filter", filter))
			if (got == id[:12]) != want {
				t.Errorf("ps --filter %s: got %q", filter, got)
			}
		}
		inspect := s.must("inspect", "--format", "{{.State.Status}} {{.State.Running}} {{.Name}} {{.Config.Labels.app}} {{.HostConfig.RestartPolicy.Name}} {{.Id}}", "web")
		if inspect != "running true web web no "+id+"\n" {
			t.Errorf("inspect: %q", inspect)
		}
		var full []map[string]any
		if err := json.Unmarshal([]byte(s.must("inspect", id)), &full); err != nil || len(full) != 1 {
			t.Fatalf("inspect JSON: %v", err)
		}
		for _, k := range []string{"Id", "Created", "Path", "Args", "State", "Image", "Name", "RestartCount", "Mounts", "Config", "HostConfig", "NetworkSettings"} {
			if _, ok := full[0][k]; !ok {
				t.Errorf("inspect lacks %s", k)
			}
		}
		// exec into the container an earlier invocation started.
		if got := s.must("exec", "web", "echo", "from exec"); got != "from exec\n" {
			t.Errorf("exec: %q", got)
		}
		if got := s.must("exec", "-e", "X=1", "-w", "/tmp", "-u", "tester", "web", "sh", "-c", "echo $X $(pwd) $(id -u)"); got != "1 /tmp 1000\n" {
			t.Errorf("exec -e -w -u: %q", got)
		}
		if r := s.scowStdin("through stdin\n", "exec", "-i", "web", "cat"); r.stdout != "through stdin\n" {
			t.Errorf("exec -i: %s", r)
		}
		if r := s.scow("exec", "web", "sh", "-c", "exit 5"); r.code != 5 {
			t.Errorf("exec exit code: %s", r)
		}
		wantError(t, s.scow("exec", "web", "nosuchcmd"), 127, "nosuchcmd")
		wantError(t, s.scow("exec", "web", "/etc/passwd"), 126)
		wantError(t, s.scow("rm", "web"), 125, "running")
		// stop: the trap runs, the exit code is the container's.
		if got := s.must("stop", "web"); got != "web\n" {
			t.Errorf("stop printed %q", got)
		}
		if got := s.must("wait", "web"); got != "7\n" {
			t.Errorf("wait after stop: %q", got)
		}
		if !strings.Contains(s.must("logs", "web"), "bye") {
			t.Error("the TERM trap's output is not in the log")
		}
		if got := s.must("ps", "-a", "--format", "{{.Status}}"); !strings.HasPrefix(got, "Exited (7) ") {
			t.Errorf("status after stop: %q", got)
		}
		wantError(t, s.scow("exec", "web", "true"), 125, "not running")
		// start again, then rm -f.
		if got := s.must("start", "web"); got != "web\n" {
			t.Errorf("start printed %q", got)
		}
		if got := s.must("inspect", "--format", "{{.State.Running}}", "web"); got != "true\n" {
			t.Errorf("after start: %q", got)
		}
		s.must("rename", "web", "web2")
		wantError(t, s.scow("inspect", "--type", "container", "web"), 125, "web")
		s.must("rm", "-f", "-t", "0", "web2")
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("%d containers after rm -f", n)
		}
		if !waitFor(5*time.Second, func() bool { return len(monitors(t, m.uid)) == 0 }) {
			t.Errorf("monitors left running: %q", monitors(t, m.uid))
		}
	})
}

func TestStopEscalatesToKill(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "stubborn", "busybox", "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done")
		mustWaitFor(t, 5*time.Second, "stubborn says ready", func() bool { return strings.Contains(s.must("logs", "stubborn"), "ready") })
		start := time.Now()
		s.must("stop", "-t", "1", "stubborn")
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("stop returned after %v, before the timeout", d)
		}
		if got := s.must("inspect", "--format", "{{.State.ExitCode}}", "stubborn"); got != "137\n" {
			t.Errorf("exit code after SIGKILL: %q", got)
		}
		// kill -s with a signal the container handles.
		s.must("run", "-d", "--name", "k", "busybox", "sh", "-c", "trap 'exit 3' USR1; echo ready; while true; do sleep 0.1; done")
		mustWaitFor(t, 5*time.Second, "k says ready", func() bool { return strings.Contains(s.must("logs", "k"), "ready") })
		s.must("kill", "-s", "USR1", "k")
		if got := s.must("wait", "k"); got != "3\n" {
			t.Errorf("wait after kill -s USR1: %q", got)
		}
		wantError(t, s.scow("kill", "-s", "NOPE", "k"), 125, "NOPE")
		wantError(t, s.scow("kill", "k"), 125, "not running")
		// stop of a stopped container is fine, as in Docker.
		s.must("stop", "k")
		// kill --all signals the running containers only.
		a := strings.TrimSpace(s.must("run", "-d", "busybox", "sleep", "300"))
		b := strings.TrimSpace(s.must("run", "-d", "busybox", "sleep", "300"))
		got := strings.Fields(s.must("kill", "--all"))
		if slices.Sort(got); len(got) != 2 || !slices.Contains(got, a) || !slices.Contains(got, b) {
			t.Errorf("kill --all signalled %v, want %s and %s", got, a, b)
		}
		for _, id := range []string{a, b} {
			if got := s.must("wait", id); got != "137\n" {
				t.Errorf("%s after kill --all: exit %q", id, got)
			}
		}
		s.must("rm", "--all")
	})
}

func TestLogs(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		const n = 100000
		s.must("run", "--name", "many", "busybox", "sh", "-c", fmt.Sprintf("seq 1 %d; echo to-stderr >&2; printf partial", n))
		r := s.scow("logs", "many")
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != n+1 {
			t.Fatalf("logs gave %d stdout lines, want %d", len(lines), n+1)
		}
		for i := 0; i < n; i++ {
			if lines[i] != strconv.Itoa(i+1) {
				t.Fatalf("line %d is %q: out of order or lost", i+1, lines[i])
			}
		}
		if lines[n] != "partial" {
			t.Errorf("last partial line: %q", lines[n])
		}
		if r.stderr != "to-stderr\n" {
			t.Errorf("stderr lines go to stderr: %q", r.stderr)
		}
		// The two streams are relayed apart, so only one stream's order
		// is certain.
		if got := s.must("logs", "--tail", "1", "many"); got != "partial\n" {
			t.Errorf("--tail 1: %q", got)
		}
		ts := s.must("logs", "-t", "--tail", "1", "many")
		if f := strings.Fields(ts); len(f) != 2 || !strings.HasPrefix(f[0], time.Now().UTC().Format("2006")) {
			t.Errorf("-t: %q", ts)
		}
		if got := s.must("logs", "--since", "1h", "--tail", "1", "many"); got != "partial\n" {
			t.Errorf("--since 1h: %q", got)
		}
		if got := s.must("logs", "--until", "1h", "many"); got != "" {
			t.Errorf("--until an hour ago: %q", got)
		}
		wantError(t, s.scow("logs", "--since", "yesterday-ish", "many"), 125, "yesterday-ish")

		// -f streams and ends when the container exits.
		s.must("run", "-d", "--name", "slow", "busybox", "sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.3; done")
		start := time.Now()
		if got := s.must("logs", "-f", "slow"); got != "tick 1\ntick 2\ntick 3\n" {
			t.Errorf("logs -f: %q", got)
		}
		if time.Since(start) > 20*time.Second {
			t.Error("logs -f did not end with the container")
		}
		// Rotation keeps at most max-file files of about max-size.
		s.must("run", "--name", "rot", "--log-opt", "max-size=10k", "--log-opt", "max-file=2", "busybox", "sh", "-c", "for i in $(seq 1 3000); do echo $i; done")
		rec := s.must("inspect", "--format", "{{.LogPath}}", "rot")
		files, _ := filepath.Glob(strings.TrimSpace(rec) + "*")
		if len(files) != 2 {
			t.Errorf("rotation left %v", files)
		}
		for _, f := range files {
			if st, err := os.Stat(f); err != nil || st.Size() > 10*1024 {
				t.Errorf("%s is bigger than max-size", f)
			}
		}
		if got := strings.Fields(s.must("logs", "rot")); len(got) == 0 || len(got) > 1000 || got[len(got)-1] != "3000" {
			t.Errorf("rotated log does not end with the last line")
		}
	})
}

func TestRestartPolicy(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "flaky", "--restart", "on-failure:3", "busybox", "sh", "-c", "echo run; exit 2")
		if !waitFor(20*time.Second, func() bool {
			return s.must("inspect", "--format", "{{.State.Status}}", "flaky") == "exited\n"
		}) {
			t.Fatal("on-failure:3 did not end")
		}
		if got := s.must("inspect", "--format", "{{.RestartCount}} {{.State.ExitCode}}", "flaky"); got != "3 2\n" {
			t.Errorf("restart count and exit code: %q", got)
		}
		if runs := strings.Count(s.must("logs", "flaky"), "run"); runs != 4 {
			t.Errorf("ran %d times, want 1 + 3 restarts", runs)
		}
		// always: restarted after a clean exit, until stop.
		s.must("run", "-d", "--name", "forever", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2")
		if !waitFor(20*time.Second, func() bool {
			n, _ := strconv.Atoi(strings.TrimSpace(s.must("inspect", "--format", "{{.RestartCount}}", "forever")))
			return n >= 2
		}) {
			t.Fatal("restart always did not restart")
		}
		// start -a of a container that runs or waits to restart attaches
		// to it, as with Docker: its run ends with 0.
		if r := s.scow("start", "-a", "forever"); r.code != 0 {
			t.Errorf("start -a of a restarting container: %s", r)
		}
		s.must("stop", "-t", "0", "forever")
		time.Sleep(time.Second)
		if got := s.must("inspect", "--format", "{{.State.Status}}", "forever"); got != "exited\n" {
			t.Errorf("stop did not end restart always: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--restart", "always", "busybox", "true"), 125, "--restart")
		wantError(t, s.scow("run", "--restart", "sometimes", "busybox", "true"), 125, "sometimes")
		s.must("rm", "-f", "-t", "0", "--all")
	})
}

func TestCreateStartWaitPrune(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		cid := filepath.Join(m.userDir(t), "cid")
		id := strings.TrimSpace(s.must("create", "--name", "c1", "--cidfile", cid, "busybox", "sh", "-c", "echo attached; exit 4"))
		if b, _ := os.ReadFile(cid); string(b) != id {
			t.Errorf("cidfile %q, want %q", b, id)
		}
		wantError(t, s.scow("create", "--cidfile", cid, "busybox"), 125, "cidfile")
		if got := s.must("ps", "-a", "--format", "{{.Status}}"); got != "Created\n" {
			t.Errorf("created status: %q", got)
		}
		r := s.scow("start", "-a", "c1")
		if r.code != 4 || r.stdout != "attached\n" {
			t.Errorf("start -a: %s", r)
		}
		s.must("create", "--name", "c2", "busybox", "sleep", "0.5")
		s.must("start", "c2")
		if got := s.must("wait", "c1", "c2"); got != "4\n0\n" {
			t.Errorf("wait of two: %q", got)
		}
		// --replace takes the name over.
		s.must("run", "-d", "--name", "c2", "--replace", "busybox", "sleep", "60")
		if got := s.must("ps", "--format", "{{.Names}}"); got != "c2\n" {
			t.Errorf("after --replace: %q", got)
		}
		// --rm with -d: gone once it exits.
		s.must("run", "-d", "--rm", "--name", "tmp", "busybox", "true")
		if !waitFor(10*time.Second, func() bool { return s.scow("inspect", "--type", "container", "tmp").code != 0 }) {
			t.Error("run -d --rm left the container")
		}
		// A stopped container a running one requires stays; one only
		// stopped ones require goes after them.
		s.must("create", "--name", "needed", "busybox", "true")
		s.must("run", "-d", "--name", "needs", "--requires", "needed", "busybox", "sleep", "60")
		s.must("stop", "-t", "0", "needed")
		s.must("create", "--name", "base", "busybox", "true")
		s.must("create", "--name", "onbase", "--requires", "base", "busybox", "true")
		if got := strings.Fields(s.must("container", "prune", "-f")); len(got) != 3 {
			t.Errorf("prune removed %v, want c1, onbase and base", got)
		}
		if got := s.must("ps", "-a", "--format", "{{.Names}}", "--sort", "names"); got != "c2\nneeded\nneeds\n" {
			t.Errorf("after prune: %q", got)
		}
		s.must("rm", "-f", "-t", "0", "needs", "needed")
		s.must("rm", "-f", "-t", "0", "c2")
		wantError(t, s.scow("rm", "c2"), 125, "c2")
		wantError(t, s.scow("stop", "nosuch"), 125, "nosuch")
		wantError(t, s.scow("wait", "--condition", "sideways", "nosuch"), 125)
	})
}

// TestCrashes kills the CLI at each step of create and start, and a
// monitor while its container runs: the next commands repair the records.
func TestCrashes(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		// A container with a user namespace of its own gets its network
		// between the runtime's create and start.
		uidmap := "--uidmap=0:1:5000"
		if !m.rootless {
			uidmap = "--uidmap=0:100000:65536"
		}
		for _, p := range []struct {
			point string
			flags []string
		}{
			{"writing-record", nil}, {"created-record", nil}, {"reserved-name", nil}, {"created-layer", nil},
			{"before-runtime", nil}, {"runtime-started", nil}, {"running", nil}, {"runtime-created", []string{uidmap}},
		} {
			point := p.point
			// Killed before its name was reserved, a create leaves a
			// record that the next listing sweeps; after, a container
			// that rm removes.
			named := point != "writing-record" && point != "created-record"
			for _, detach := range []bool{false, true} {
				name := fmt.Sprintf("crash-%s-%t", point, detach)
				args := append(append([]string{"run", "--name", name}, p.flags...), "busybox", "sleep", "60")
				if detach {
					args = append(args[:1], append([]string{"-d"}, args[1:]...)...)
				}
				paused := filepath.Join(m.userDir(t), "paused")
				c := m.cmdEnv(context.Background(), s.root, s.run, []string{"SCOW_TEST_PAUSE=" + point, "SCOW_TEST_PAUSED=" + paused}, args...)
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				// Detached, the later points are reached by the monitor,
				// which inherits the variables: whichever pauses, it is
				// killed there, and the CLI with it.
				mustWaitFor(t, 20*time.Second, name+" pauses at "+point, func() bool {
					data, _ := os.ReadFile(paused)
					return strings.HasSuffix(string(data), " "+point+"\n")
				})
				killPaused(t, m.uid)
				c.Process.Kill()
				c.Wait()
				// A whole record, or one half-written (.new-*).
				if n := containerCount(t, s.root); n != 1 {
					t.Errorf("%s: the kill left %d records, want the container's", name, n)
				}
				r := s.scow("ps", "-a")
				if r.code != 0 {
					t.Errorf("%s: ps after the crash: %s", name, r)
				}
				r = s.scow("rm", "-f", "-t", "0", name)
				switch {
				case named && (r.code != 0 || r.stdout != name+"\n"):
					t.Errorf("%s: rm -f after the crash: %s", name, r)
				case !named && (r.code == 0 || !strings.Contains(r.stderr, "no container")):
					t.Errorf("%s: a create killed before it reserved the name left a container: %s", name, r)
				}
				if n := containerCount(t, s.root); n != 0 {
					t.Errorf("%s: %d records left after ps and rm", name, n)
				}
				if r := s.scow("run", "--rm", "--name", name, "busybox", "true"); r.code != 0 {
					t.Errorf("%s: the name is not free after rm: %s", name, r)
				}
			}
		}
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("%d containers left:\n%s", n, s.must("ps", "-a"))
		}
		mounts, _ := os.ReadFile("/proc/self/mountinfo")
		if strings.Contains(string(mounts), s.root) {
			t.Errorf("mounts left under %s", s.root)
		}
		// A killed monitor: its container is reported exited, rm works.
		s.must("run", "-d", "--name", "orphan", "-u", "1000", "busybox", "sleep", "300")
		killMonitors(t, m.uid)
		if got := s.must("ps", "-a", "--format", "{{.Status}}", "--filter", "name=orphan"); !strings.HasPrefix(got, "Exited (-1)") {
			t.Errorf("after its monitor was killed: %q", got)
		}
		s.must("rm", "orphan")
		ctrUID := 1000
		if m.rootless {
			ctrUID = 100999 // container uid 1000 in the test user's range
		}
		if !waitFor(3*time.Second, func() bool { return !processRuns(ctrUID, "sleep") }) {
			t.Error("the orphaned container still runs")
		}
	})
}

// killPaused kills processes of uid paused by SCOW_TEST_PAUSE.
func killPaused(t *testing.T, uid int) { killWhere(uid, "environ", "SCOW_TEST_PAUSE=") }

// killMonitors kills the container monitors of uid.
func killMonitors(t *testing.T, uid int) { killWhere(uid, "cmdline", "__monitor") }

// killWhere kills the processes of uid whose /proc/PID/file holds substr.
func killWhere(uid int, file, substr string) {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		data, err := os.ReadFile(p + "/" + file)
		if err != nil || !strings.Contains(string(data), substr) {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && int(st.Uid) == uid {
			pid, _ := strconv.Atoi(filepath.Base(p))
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	time.Sleep(100 * time.Millisecond)
}

// processRuns tells whether a container process (one in another PID
// namespace than ours) named comm runs as host uid.
func processRuns(uid int, comm string) bool {
	self, _ := os.Readlink("/proc/self/ns/pid")
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if ns, err := os.Readlink(p + "/ns/pid"); err != nil || ns == self {
			continue
		}
		c, err := os.ReadFile(p + "/comm")
		if err != nil || strings.TrimSpace(string(c)) != comm {
			continue
		}
		if stat, _ := os.ReadFile(p + "/stat"); strings.Contains(string(stat), ") Z ") {
			continue // killed, waiting for a slow init to reap it
		}
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && int(st.Uid) == uid {
			return true
		}
	}
	return false
}

func TestCorruptState(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		good := strings.TrimSpace(s.must("create", "--name", "good", "busybox", "true"))
		bad := strings.TrimSpace(s.must("create", "--name", "bad", "busybox", "true"))
		os.WriteFile(filepath.Join(s.root, "containers", bad, "state.json"), []byte(`{"status": "runn`), 0o600)
		r := s.scow("ps", "-a")
		if r.code != 0 || !strings.Contains(r.stdout, good[:12]) || !strings.Contains(r.stdout, "Error") {
			t.Errorf("ps with one corrupt record: %s", r)
		}
		s.must("rm", "-f", "-t", "0", "bad")
		if got := s.must("ps", "-a", "-q"); got != good[:12]+"\n" {
			t.Errorf("after rm -f of the corrupt one: %q", got)
		}
	})
}

func TestManyParallel(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		const n = 50
		parallel := func(fn func(i int) result) {
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if r := fn(i); r.code != 0 {
						t.Errorf("%s", r)
					}
				}()
			}
			wg.Wait()
		}
		parallel(func(i int) result {
			return s.scow("run", "-d", "--name", fmt.Sprintf("p%d", i), "busybox", "sh", "-c", fmt.Sprintf("echo hello %d; sleep 60", i))
		})
		if got := strings.Fields(s.must("ps", "-q")); len(got) != n {
			t.Fatalf("ps lists %d running, want %d", len(got), n)
		}
		parallel(func(i int) result { return s.scow("ps", "-a") })
		parallel(func(i int) result {
			r := s.scow("logs", fmt.Sprintf("p%d", i))
			if r.code == 0 && r.stdout != fmt.Sprintf("hello %d\n", i) && !waitFor(5*time.Second, func() bool {
				return s.scow("logs", fmt.Sprintf("p%d", i)).stdout == fmt.Sprintf("hello %d\n", i)
			}) {
				r.code = 1
			}
			return r
		})
		parallel(func(i int) result { return s.scow("stop", "-t", "0", fmt.Sprintf("p%d", i)) })
		parallel(func(i int) result { return s.scow("rm", fmt.Sprintf("p%d", i)) })
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("%d records left", n)
		}
		if !waitFor(10*time.Second, func() bool { return len(monitors(t, m.uid)) == 0 }) {
			t.Errorf("monitors left: %q", monitors(t, m.uid))
		}
		// Container root is the test user (rootless) or root.
		if !waitFor(5*time.Second, func() bool { return !processRuns(m.uid, "sleep") }) {
			t.Error("container processes left")
		}
		mounts, _ := os.ReadFile("/proc/self/mountinfo")
		if strings.Contains(string(mounts), s.root) {
			t.Errorf("mounts left under %s", s.root)
		}
	})
}

func TestTopRestartExecDetachEvents(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "-d", "--name", "svc", "busybox", "sh", "-c", "sleep 300 & sleep 301")
		// The shell starts its sleeps (and execs the last) a moment
		// after run -d returns: until then top shows the shell alone.
		var top string
		mustWaitFor(t, 5*time.Second, "the shell to become its two sleeps", func() bool {
			top = s.must("top", "svc")
			return strings.Count(strings.TrimSpace(top), "\n") == 2
		})
		lines := strings.Split(strings.TrimSpace(top), "\n")
		if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "UID PID PPID C STIME TTY TIME CMD" {
			t.Fatalf("top:\n%s", top)
		}
		if !strings.Contains(top, "sleep 300") || !strings.Contains(top, "sleep 301") || !strings.HasPrefix(lines[1], "root ") {
			t.Errorf("top rows:\n%s", top)
		}
		// exec -d leaves a process behind in the container.
		s.must("exec", "-d", "svc", "sleep", "302")
		if !waitFor(5*time.Second, func() bool { return strings.Contains(s.must("top", "svc"), "sleep 302") }) {
			t.Error("exec -d process not seen by top")
		}
		// The monitor has a session of its own and shrugs off SIGHUP.
		pid := strings.TrimSpace(s.must("inspect", "--format", "{{.State.Pid}}", "svc"))
		mon := monitorOf(t, pid)
		if sid, _ := unix.Getsid(mon); sid != mon {
			t.Errorf("monitor %d is in session %d, want its own", mon, sid)
		}
		syscall.Kill(mon, syscall.SIGHUP)
		time.Sleep(200 * time.Millisecond)
		if got := s.must("inspect", "--format", "{{.State.Status}}", "svc"); got != "running\n" {
			t.Errorf("after SIGHUP to the monitor: %q", got)
		}
		if got := s.must("inspect", "--size", "--format", "{{.SizeRw}}", "svc"); strings.TrimSpace(got) == "" || strings.Contains(got, "no value") {
			t.Errorf("inspect --size: %q", got)
		}
		first := s.must("inspect", "--format", "{{.State.StartedAt}}", "svc")
		s.must("restart", "-t", "0", "svc")
		if got := s.must("inspect", "--format", "{{.State.Status}}", "svc"); got != "running\n" || s.must("inspect", "--format", "{{.State.StartedAt}}", "svc") == first {
			t.Errorf("restart did not start it again: %q", got)
		}
		wantError(t, s.scow("top", "nosuch"), 125, "nosuch")
		s.must("rm", "-f", "-t", "0", "svc")
		wantError(t, s.scow("top", "svc"), 125, "svc")
		events, err := os.ReadFile(filepath.Join(s.root, "events.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, l := range strings.Split(strings.TrimSpace(string(events)), "\n") {
			var ev struct{ Status, Name string }
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("event %q: %v", l, err)
			}
			if ev.Name == "svc" {
				statuses = append(statuses, ev.Status)
			}
		}
		// Every event, in order: a stop is recorded once its container
		// died, and rm -f of a running one stops it first.
		want := "create init start exec died stop init start died stop remove"
		if got := strings.Join(statuses, " "); got != want {
			t.Errorf("events %q, want %q", got, want)
		}
	})
}

// monitorOf finds the monitor (the subreaper parent) of a container init.
func monitorOf(t *testing.T, pid string) int {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// TestMonitorFailures makes a monitor fail where no client hears it, at
// a start and at a restart: the reason is in State.Error and the log.
func TestMonitorFailures(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		// The bundle cannot be written: its config.json is a directory.
		breakBundle := func(name string) {
			t.Helper()
			id := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", name))
			p := filepath.Join(s.root, "containers", id, "bundle", "config.json")
			os.MkdirAll(filepath.Dir(p), 0o700)
			os.Chown(filepath.Dir(p), m.uid, m.gid)
			os.Remove(p)
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(p, "keep"), nil, 0o600)
		}
		wantRecorded := func(name, status string) {
			t.Helper()
			if got := s.must("inspect", "--format", "{{.State.Status}} {{.State.Error}}", name); !strings.HasPrefix(got, status+" ") || !strings.Contains(got, "config.json") {
				t.Errorf("%s: inspect shows %q, want %s with the failure", name, got, status)
			}
			// On the log's stderr stream, which logs writes to stderr.
			if r := s.scow("logs", name); r.code != 0 || !strings.Contains(r.stderr, "Error: ") || !strings.Contains(r.stderr, "config.json") {
				t.Errorf("%s: logs show %s, want the failure", name, r)
			}
		}
		s.must("create", "--name", "nostart", "busybox", "true")
		breakBundle("nostart")
		wantError(t, s.scow("start", "nostart"), 125, "config.json")
		wantRecorded("nostart", "created")
		// A restart fails after the client has gone.
		s.must("run", "-d", "--name", "norestart", "--restart", "always", "busybox", "sh", "-c", "sleep 1; exit 3")
		breakBundle("norestart")
		mustWaitFor(t, 20*time.Second, "the failed restart", func() bool {
			return strings.HasPrefix(s.must("inspect", "--format", "{{.State.Status}}", "norestart"), "exited")
		})
		wantRecorded("norestart", "exited")
		if !waitFor(5*time.Second, func() bool { return len(monitors(t, m.uid)) == 0 }) {
			t.Errorf("the failed monitor still runs: %q", monitors(t, m.uid))
		}
	})
}

// TestPauseUnpause: a paused container's processes stand still and its
// status says so; unpause lets them go on. Rootless here (cgroup v1,
// nothing delegated) there is no freezer, and pause says so.
func TestPauseUnpause(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		out := m.userDir(t)
		s.must("run", "-d", "--name", "counter", "-v", out+":/out", "busybox", "sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /out/n; sleep 0.05; done")
		defer s.scow("rm", "-f", "-t", "0", "counter")
		count := func() int {
			data, _ := os.ReadFile(filepath.Join(out, "n"))
			n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
			return n
		}
		if !waitFor(10*time.Second, func() bool { return count() > 2 }) {
			t.Fatal("the counter never counted")
		}
		if m.rootless {
			wantError(t, s.scow("pause", "counter"), 125, "freezer")
			if got := s.must("inspect", "--format", "{{.State.Status}}", "counter"); got != "running\n" {
				t.Errorf("after a failed pause: %q", got)
			}
			return
		}
		s.must("pause", "counter")
		time.Sleep(200 * time.Millisecond)
		frozen := count()
		time.Sleep(500 * time.Millisecond)
		if n := count(); n != frozen {
			t.Errorf("a paused container counted on: %d then %d", frozen, n)
		}
		if got := s.must("inspect", "--format", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", "counter"); got != "paused true false\n" {
			t.Errorf("inspect of a paused container: %q", got)
		}
		if got := s.must("ps", "--filter", "status=paused", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(got, "counter Up ") || !strings.HasSuffix(got, "(Paused)\n") {
			t.Errorf("ps of a paused container: %q", got)
		}
		wantError(t, s.scow("exec", "counter", "true"), 125, "paused")
		wantError(t, s.scow("kill", "-s", "HUP", "counter"), 125, "paused")
		wantError(t, s.scow("pause", "counter"), 125, "paused already")
		s.must("unpause", "counter")
		if !waitFor(5*time.Second, func() bool { return count() > frozen+2 }) {
			t.Error("an unpaused container does not count on")
		}
		wantError(t, s.scow("unpause", "counter"), 125, "not paused")
		// A paused container stops, and all that are running pause.
		s.must("pause", "--all")
		s.must("stop", "-t", "1", "counter")
		if got := s.must("inspect", "--format", "{{.State.Status}} {{.State.Paused}}", "counter"); got != "exited false\n" {
			t.Errorf("stop of a paused container: %q", got)
		}
		wantError(t, s.scow("pause", "counter"), 125, "not running")
	})
}

// TestCleanupAfterExit checks who releases a container's rootfs after
// its last exit, and that a kill at any of them leaves nothing held: the
// monitor through scow, a stop, the foreground run, or the next reader
// when the monitor died first.
func TestCleanupAfterExit(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		mounted := func(name string) bool {
			t.Helper()
			id := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", name))
			data, err := os.ReadFile(filepath.Join(s.root, "containers", id, "state.json"))
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Mounted bool `json:"mounted"`
			}
			if err := json.Unmarshal(data, &st); err != nil {
				t.Fatal(err)
			}
			return st.Mounted
		}
		gone := func(name string) func() bool {
			return func() bool { return s.scow("container", "exists", name).code == 1 }
		}
		// Detached: the monitor has scow release it.
		s.must("run", "-d", "--name", "det", "busybox", "true")
		mustWaitFor(t, 20*time.Second, "the rootfs of det released", func() bool { return !mounted("det") })
		if got := s.must("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "det"); got != "exited 0\n" {
			t.Errorf("det: %q", got)
		}
		s.must("run", "-d", "--rm", "--name", "detrm", "busybox", "true")
		mustWaitFor(t, 20*time.Second, "detrm removed", gone("detrm"))
		// A stop releases it itself, before it returns.
		s.must("run", "-d", "--name", "stopped", "busybox", "sleep", "60")
		s.must("stop", "-t", "0", "stopped")
		if mounted("stopped") {
			t.Error("stop returned with the rootfs still held")
		}
		// A foreground run --rm whose CLI is killed: the monitor cleans up
		// when the container ends.
		c := m.cmdIn(context.Background(), s.root, s.run, "run", "--rm", "--name", "fg", "busybox", "sleep", "1")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		mustWaitFor(t, 20*time.Second, "fg runs", func() bool {
			r := s.scow("inspect", "--format", "{{.State.Status}}", "fg")
			return r.code == 0 && r.stdout == "running\n"
		})
		c.Process.Kill()
		c.Wait()
		mustWaitFor(t, 20*time.Second, "fg removed by its monitor", gone("fg"))
		// A monitor killed before the clean-up: the next reader releases
		// the rootfs, and the exit it recorded stays.
		paused := filepath.Join(m.userDir(t), "paused-cleanup")
		k := m.cmdEnv(context.Background(), s.root, s.run, []string{"SCOW_TEST_PAUSE=cleanup", "SCOW_TEST_PAUSED=" + paused}, "run", "-d", "--name", "killed", "busybox", "sh", "-c", "exit 4")
		if out, err := k.CombinedOutput(); err != nil {
			t.Fatalf("run -d killed: %v: %s", err, out)
		}
		mustWaitFor(t, 20*time.Second, "the monitor pauses before the clean-up", func() bool {
			data, _ := os.ReadFile(paused)
			return strings.HasSuffix(string(data), " cleanup\n")
		})
		if !mounted("killed") {
			t.Error("the rootfs of killed was released before the clean-up")
		}
		killPaused(t, m.uid)
		if got := s.must("ps", "-a", "--format", "{{.Status}}", "--filter", "name=killed"); !strings.HasPrefix(got, "Exited (4)") {
			t.Errorf("killed after its monitor died at the clean-up: %q", got)
		}
		if mounted("killed") {
			t.Error("the rootfs of killed is still held after its monitor died")
		}
		// The scow a monitor runs its clean-up with is gone (removed while
		// the container ran): the monitor says why in its log and exits,
		// and the next reader releases the rootfs.
		upgraded := filepath.Join(m.userDir(t), "upgraded")
		if err := os.MkdirAll(upgraded, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"scow", "scow-monitor"} {
			if err := copyFile(filepath.Join(suite.dir, f), filepath.Join(upgraded, f)); err != nil {
				t.Fatal(err)
			}
			os.Chmod(filepath.Join(upgraded, f), 0o755)
		}
		h := m.cmdIn(context.Background(), s.root, s.run, "run", "-d", "--name", "hookless", "busybox", "sleep", "1")
		h.Path, h.Args[0] = filepath.Join(upgraded, "scow"), filepath.Join(upgraded, "scow")
		if r := execute(t, h, ""); r.code != 0 {
			t.Fatalf("run -d with the copy: %s", r)
		}
		if err := os.Remove(filepath.Join(upgraded, "scow")); err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "hookless"))
		mustWaitFor(t, 20*time.Second, "the rootfs of hookless released after its monitor's failed clean-up", func() bool {
			s.must("ps", "-a")
			return !mounted("hookless")
		})
		if log, _ := os.ReadFile(filepath.Join(s.root, "containers", id, "monitor.log")); !strings.Contains(string(log), "Error: clean up after") {
			t.Errorf("monitor log of hookless: %q, want why its clean-up failed", log)
		}
		if got := s.must("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "hookless"); got != "exited 0\n" {
			t.Errorf("hookless: %q", got)
		}
		s.must("rm", "det", "stopped", "killed", "hookless")
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("%d containers left", n)
		}
	})
}

// TestMonitorProgram: scow cannot start a container without scow-monitor
// beside it or in PATH, and says so, leaving nothing; scow-monitor run by
// hand refuses.
func TestMonitorProgram(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		lone := filepath.Join(m.userDir(t), "lone")
		if err := os.MkdirAll(lone, 0o755); err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(lone, "scow")
		if err := copyFile(suite.binary, bin); err != nil {
			t.Fatal(err)
		}
		os.Chmod(bin, 0o755)
		for _, args := range [][]string{
			{"run", "--rm", "--name", "nomon", "busybox", "true"},
			{"run", "-d", "--name", "nomon", "busybox", "true"},
		} {
			c := m.cmdIn(context.Background(), s.root, s.run, args...)
			c.Path, c.Args[0] = bin, bin
			if p, err := exec.LookPath("scow-monitor"); err == nil {
				t.Skipf("scow-monitor is installed in PATH (%s): it would be found", p)
			}
			wantError(t, execute(t, c, ""), 125, "scow-monitor is neither beside")
			if n := containerCount(t, s.root); n != 0 {
				t.Errorf("%v without a monitor left %d containers", args, n)
			}
		}
		// What the light scow hands to scow-full fails the same way
		// without it, having made nothing.
		if _, err := exec.LookPath("scow-full"); err != nil {
			for _, args := range [][]string{{"pull", "busybox"}, {"--help"}, {"run", "--pull", "always", "--name", "nofull", "busybox", "true"}} {
				c := m.cmdIn(context.Background(), s.root, s.run, args...)
				c.Path, c.Args[0] = bin, bin
				wantError(t, execute(t, c, ""), 125, "scow-full is neither beside")
			}
			if n := containerCount(t, s.root); n != 0 {
				t.Errorf("a run handed to a missing scow-full left %d containers", n)
			}
		}
		// With it, the same copy runs.
		if err := copyFile(filepath.Join(suite.dir, "scow-monitor"), filepath.Join(lone, "scow-monitor")); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(lone, "scow-monitor"), 0o755)
		c := m.cmdIn(context.Background(), s.root, s.run, "run", "--rm", "busybox", "echo", "hi")
		c.Path, c.Args[0] = bin, bin
		if r := execute(t, c, ""); r.code != 0 || r.stdout != "hi\n" {
			t.Errorf("with scow-monitor beside it: %s", r)
		}
	})
	for _, args := range [][]string{nil, {"run"}, {"__monitor", "extra"}} {
		var stderr strings.Builder
		c := exec.Command(filepath.Join(suite.dir, "scow-monitor"), args...)
		c.Stderr = &stderr
		err := c.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 125 || stderr.String() != "Error: scow-monitor is started by scow, one per running container\n" {
			t.Errorf("scow-monitor %v: %v, stderr %q; want exit 125 and why", args, err, stderr.String())
		}
	}
}
