//go:build e2e

package tests

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHealthcheck: the monitor runs a container's check on its interval:
// starting, healthy, then unhealthy when the test breaks the service, as
// ps, inspect, ps --filter health=, wait --condition and healthcheck run
// show it; each --health-on-failure action; a startup check; the image's
// HEALTHCHECK and --no-healthcheck.
func TestHealthcheck(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		status := func(name string) string {
			return strings.TrimSpace(s.scow("ps", "-a", "--filter", "name=^"+name+"$", "--format", "{{.Status}}").stdout)
		}
		waitStatus := func(name, want string) {
			t.Helper()
			if !waitFor(20*time.Second, func() bool { return strings.Contains(status(name), want) }) {
				t.Fatalf("%s never showed %q: %q", name, want, status(name))
			}
		}
		s.must("run", "-d", "--name", "web", "--health-cmd", "test -e /tmp/ok && echo fine", "--health-interval", "1s",
			"--health-retries", "2", "--health-max-log-count", "3", "busybox", "sh", "-c", "touch /tmp/ok; sleep 300")
		if got := status("web"); !strings.Contains(got, "(starting)") && !strings.Contains(got, "(healthy)") {
			t.Errorf("a new container's status: %q", got)
		}
		waitStatus("web", "(healthy)")
		if got := s.must("wait", "--condition", "healthy", "web"); got != "0\n" {
			t.Errorf("wait --condition healthy: %q", got)
		}
		if got := s.must("ps", "--filter", "health=healthy", "--format", "{{.Names}}"); got != "web\n" {
			t.Errorf("ps --filter health=healthy: %q", got)
		}
		s.must("exec", "web", "rm", "/tmp/ok")
		waitStatus("web", "(unhealthy)")
		var health struct {
			Status        string
			FailingStreak int
			Log           []struct {
				ExitCode int
				Output   string
			}
		}
		if err := json.Unmarshal([]byte(s.must("inspect", "--format", "{{json .State.Health}}", "web")), &health); err != nil {
			t.Fatal(err)
		}
		if last := health.Log[len(health.Log)-1]; health.Status != "unhealthy" || health.FailingStreak < 2 || len(health.Log) > 3 || last.ExitCode != 1 {
			t.Errorf("State.Health: %+v", health)
		}
		if health.Log[0].ExitCode == 0 && health.Log[0].Output != "fine\n" {
			t.Errorf("a check's output: %q", health.Log[0].Output)
		}
		if r := s.scow("healthcheck", "run", "web"); r.code != 1 || r.stdout != "unhealthy\n" {
			t.Errorf("healthcheck run of an unhealthy container: %s", r)
		}
		s.must("exec", "web", "touch", "/tmp/ok")
		if r := s.scow("healthcheck", "run", "web"); r.code != 0 || r.stdout != "" {
			t.Errorf("healthcheck run of a healthy one: %s", r)
		}
		if got := s.must("inspect", "--format", "{{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Retries}} {{.Config.HealthcheckOnFailureAction}}", "web"); got != "[CMD-SHELL test -e /tmp/ok && echo fine] 2 none\n" {
			t.Errorf("Config.Healthcheck: %q", got)
		}
		// --health-on-failure: kill ends it, stop stops it for good
		// (even with --restart always), restart brings it back.
		for _, action := range []string{"kill", "stop", "restart"} {
			s.must("run", "-d", "--name", action, "--restart", "always", "--health-cmd", "false", "--health-interval", "1s",
				"--health-retries", "1", "--health-on-failure", action, "--stop-timeout", "1", "busybox", "sleep", "300")
		}
		if !waitFor(20*time.Second, func() bool {
			return s.must("inspect", "--format", "{{.RestartCount}}", "kill") != "0\n" && s.must("inspect", "--format", "{{.RestartCount}}", "restart") != "0\n"
		}) {
			t.Errorf("kill and restart (with --restart always) did not restart: %s", s.must("ps", "-a"))
		}
		waitStatus("stop", "Exited")
		time.Sleep(1500 * time.Millisecond)
		if got := status("stop"); !strings.HasPrefix(got, "Exited") {
			t.Errorf("a container stopped by its check came back: %q", got)
		}
		// A startup check holds the healthcheck back until it passes.
		s.must("run", "-d", "--name", "boot", "--health-cmd", "true", "--health-interval", "1s",
			"--health-startup-cmd", "test -e /tmp/up", "--health-startup-interval", "1s", "busybox", "sleep", "300")
		time.Sleep(2500 * time.Millisecond)
		if got := status("boot"); !strings.Contains(got, "(starting)") {
			t.Errorf("before its startup check passed: %q", got)
		}
		s.must("exec", "boot", "touch", "/tmp/up")
		waitStatus("boot", "(healthy)")
		// The image's HEALTHCHECK, and --no-healthcheck.
		ctx := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nHEALTHCHECK --interval=1s --retries=1 CMD [\"true\"]\n"})
		s.must("build", "-q", "-t", "checked", ctx)
		s.must("run", "-d", "--name", "img", "checked", "sleep", "300")
		waitStatus("img", "(healthy)")
		s.must("run", "-d", "--name", "nocheck", "--no-healthcheck", "checked", "sleep", "300")
		if got := s.must("inspect", "--format", "{{.State.Health}}", "nocheck"); got != "<no value>\n" {
			t.Errorf("--no-healthcheck: State.Health %q", got)
		}
		wantError(t, s.scow("healthcheck", "run", "nocheck"), 125, "has no healthcheck")
		s.must("create", "--name", "idle", "--health-cmd", "true", "busybox", "sleep", "1")
		wantError(t, s.scow("healthcheck", "run", "idle"), 125, "not running")
		s.must("rm", "idle")
		wantError(t, s.scow("run", "--health-cmd", "true", "--health-on-failure", "explode", "busybox"), 125, "--health-on-failure")
		wantError(t, s.scow("create", "--health-cmd", "true", "--health-interval", "soon", "busybox"), 125, "--health-interval")
		wantError(t, s.scow("create", "--health-cmd", "[not json", "busybox"), 125, "--health-cmd")
		wantError(t, s.scow("wait", "--condition", "healthy", "nocheck"), 125, "no healthcheck")
		// A check past its timeout is killed and fails; results go to a
		// directory, or into the events.
		logs := m.userDir(t)
		s.must("run", "-d", "--name", "slow", "--health-cmd", `["sleep", "30"]`, "--health-timeout", "1s", "--health-interval", "disable",
			"--health-log-destination", logs, "busybox", "sleep", "300")
		id := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "slow"))
		if r := s.scow("healthcheck", "run", "slow"); r.code != 1 {
			t.Errorf("healthcheck run past its timeout: %s", r)
		}
		if data, _ := os.ReadFile(filepath.Join(logs, id+"-healthcheck.log")); !strings.Contains(string(data), "timed out") {
			t.Errorf("--health-log-destination DIR after a timeout: %q", data)
		}
		if got := s.must("exec", "slow", "sh", "-c", "ps -o args | grep -c '^[s]leep 30$'; true"); got != "0\n" {
			t.Errorf("a timed-out check's process lives on: %q", got)
		}
		s.must("run", "-d", "--name", "logged", "--health-cmd", "echo checked", "--health-interval", "1s", "--health-log-destination", "events_logger", "busybox", "sleep", "300")
		if !waitFor(20*time.Second, func() bool {
			return strings.Contains(s.must("events", "--stream=false", "--filter", "container=logged", "--filter", "event=health_status", "--format", "{{.Attributes.health_log}}"), `checked\n`)
		}) {
			t.Errorf("--health-log-destination events_logger: no result in the events")
		}
		s.must("rm", "-f", "-t", "0", "web", "kill", "stop", "restart", "boot", "img", "nocheck", "slow", "logged")
	})
}

// TestEvents: a follower of events sees a scripted container's life in
// order (create, init, start, health_status, died, remove); filters,
// --since/--until and --format; the file rotated past its size, both
// halves still read.
func TestEvents(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		follow := m.cmdIn(ctx, s.root, s.run, "events", "--filter", "container=ev1", "--format", "{{.Status}}")
		var out lockedOutput
		follow.Stdout = &out
		if err := follow.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // reading
		s.must("run", "-d", "--name", "ev1", "--label", "team=blue", "--health-cmd", "true", "--health-interval", "1s", "busybox", "sleep", "300")
		s.must("run", "--rm", "--name", "other", "busybox", "true")
		if !waitFor(20*time.Second, func() bool { return strings.Contains(out.String(), "health_status") }) {
			t.Fatalf("no health_status event: %q", out.String())
		}
		s.must("rm", "-f", "-t", "0", "ev1")
		if !waitFor(20*time.Second, func() bool { return strings.Contains(out.String(), "remove") }) {
			t.Fatalf("no remove event: %q", out.String())
		}
		follow.Process.Kill()
		follow.Wait()
		seen := strings.Fields(out.String())
		want := []string{"create", "init", "start", "health_status", "died", "remove"}
		i := 0
		for _, st := range seen {
			if i < len(want) && st == want[i] {
				i++
			}
		}
		if i != len(want) || strings.Contains(out.String(), "other") {
			t.Errorf("events of ev1: %v, want %v in order", seen, want)
		}
		// Filters and bounds, without following.
		list := func(args ...string) string {
			return s.must(append([]string{"events", "--stream=false", "--format", "{{.Name}} {{.Status}}"}, args...)...)
		}
		if got := list("--filter", "label=team=blue", "--filter", "event=start"); got != "ev1 start\n" {
			t.Errorf("label and event filters: %q", got)
		}
		if got := list("--filter", "container=other", "--filter", "event=died"); got != "other died\n" {
			t.Errorf("container filter: %q", got)
		}
		if got := list("--until", "2000-01-01"); got != "" {
			t.Errorf("--until 2000: %q", got)
		}
		if got := list("--since", "1h", "--filter", "event=remove"); !strings.Contains(got, "ev1 remove") {
			t.Errorf("--since 1h: %q", got)
		}
		var ev struct {
			ID, Name, Status, Type string
			Attributes             map[string]string
		}
		lines := strings.Split(strings.TrimSpace(s.must("events", "--stream=false", "--format", "json", "--filter", "event=create", "--filter", "container=ev1")), "\n")
		if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || ev.Type != "container" || len(ev.ID) != 64 || ev.Attributes["team"] != "blue" {
			t.Errorf("--format json: %s (%v)", lines[0], err)
		}
		if got := s.must("events", "--stream=false", "--no-trunc=false", "--filter", "event=create", "--filter", "container=ev1"); !strings.Contains(got, " container create "+ev.ID[:12]+" (image=busybox, name=ev1, team=blue)") {
			t.Errorf("the default line: %q", got)
		}
		// Images, volumes and networks have events of their own.
		s.must("tag", "busybox", "evt:1")
		s.must("rmi", "evt:1")
		s.must("volume", "create", "evv")
		s.must("volume", "rm", "evv")
		s.must("network", "create", "evn")
		s.must("network", "rm", "evn")
		if got := list("--filter", "type=image", "--filter", "image=localhost/evt:1"); got != "localhost/evt:1 tag\nlocalhost/evt:1 untag\n" {
			t.Errorf("image events: %q", got)
		}
		if got := list("--filter", "volume=evv"); got != "evv create\nevv remove\n" {
			t.Errorf("volume events: %q", got)
		}
		if got := list("--filter", "type=network", "--filter", "network=evn"); got != "evn create\nevn remove\n" {
			t.Errorf("network events: %q", got)
		}
		wantError(t, s.scow("events", "--filter", "colour=red"), 125, "--filter")
		wantError(t, s.scow("events", "--since", "yesterday-ish"), 125, "--since")
		// Past its size the file rotates; both halves are read.
		file := filepath.Join(s.root, "events.jsonl")
		pad, _ := json.Marshal(map[string]string{"time": time.Now().UTC().Format(time.RFC3339Nano), "type": "container", "status": "padding", "id": "x", "name": "pad"})
		data := strings.Repeat(string(pad)+"\n", (1<<20)/len(pad)+1)
		f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(data)
		f.Close()
		s.must("run", "--rm", "--name", "after", "busybox", "true")
		if _, err := os.Stat(file + ".1"); err != nil {
			t.Errorf("the events file was not rotated: %v", err)
		}
		if got := list("--filter", "event=create"); !strings.Contains(got, "ev1 create") || !strings.Contains(got, "after create") {
			t.Errorf("events across the rotation: %q", got)
		}
	})
}

// lockedOutput collects a process's output as a test reads it.
type lockedOutput struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *lockedOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *lockedOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
