//go:build e2e

package tests

import (
	"encoding/json"
	"strings"
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
		wantError(t, s.scow("run", "--health-cmd", "true", "--health-on-failure", "explode", "busybox"), 125, "--health-on-failure")
		wantError(t, s.scow("create", "--health-cmd", "true", "--health-interval", "soon", "busybox"), 125, "--health-interval")
		wantError(t, s.scow("create", "--health-cmd", "[not json", "busybox"), 125, "--health-cmd")
		wantError(t, s.scow("wait", "--condition", "healthy", "nocheck"), 125, "no healthcheck")
		s.must("rm", "-f", "-t", "0", "web", "kill", "stop", "restart", "boot", "img", "nocheck")
	})
}
