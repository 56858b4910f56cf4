//go:build e2e

package tests

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSelectionFlags covers how start, stop, restart, kill, rm and wait
// pick containers: --all, --latest, --cidfile, --filter, --ignore, and
// rm's --time and --depend, with Podman's clean-up line first.
func TestSelectionFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		state := func(name string) string {
			return strings.TrimSpace(s.must("inspect", "--format", "{{.State.Status}}", name))
		}

		// Podman scripts' usual clean-up, on running containers.
		s.must("run", "-d", "--name", "a", "busybox", "sleep", "300")
		s.must("run", "-d", "--name", "b", "busybox", "sleep", "300")
		if got := strings.Fields(s.must("rm", "-t", "0", "--all", "--force", "--ignore")); len(got) != 2 {
			t.Errorf("rm -t 0 --all --force --ignore printed %v, want two IDs", got)
		}
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("%d containers left after rm --all", n)
		}
		s.must("rm", "-t", "0", "--all", "--force", "--ignore") // nothing left: still fine
		// rm -f without -t stops first, as Podman's: the container hears
		// its stop signal and can finish.
		out := m.userDir(t)
		s.must("run", "-d", "--name", "graceful", "-v", out+":/out", "busybox", "sh", "-c",
			"trap 'echo bye > /out/bye; exit 0' TERM; touch /out/ready; while :; do sleep 0.1; done")
		if !waitFor(10*time.Second, func() bool { _, err := os.Stat(filepath.Join(out, "ready")); return err == nil }) {
			t.Fatal("the graceful container never got ready")
		}
		s.must("rm", "-f", "graceful")
		if data, err := os.ReadFile(filepath.Join(out, "bye")); string(data) != "bye\n" {
			t.Errorf("rm -f did not let the container finish: %q %v", data, err)
		}
		wantError(t, s.scow("rm", "-t", "3", "x"), 125, "--force")

		// --ignore: a missing container is no error; without it, 125.
		if got := s.must("stop", "--ignore", "nosuch"); got != "" {
			t.Errorf("stop --ignore nosuch printed %q", got)
		}
		wantError(t, s.scow("stop", "nosuch"), 125, "nosuch")
		if got := s.must("rm", "-i", "nosuch"); got != "" {
			t.Errorf("rm -i nosuch printed %q", got)
		}
		if got := s.must("wait", "--ignore", "nosuch"); got != "-1\n" {
			t.Errorf("wait --ignore nosuch printed %q, want -1", got)
		}

		// Two ways of naming at once, or none, are refused.
		wantError(t, s.scow("stop", "--all", "a"), 125, "not both")
		wantError(t, s.scow("stop", "--all", "--latest"), 125, "cannot be used together")
		wantError(t, s.scow("stop"), 125, "at least one container")
		wantError(t, s.scow("kill", "--filter", "name=a"), 125, "filter")

		// --cidfile, as run writes it; a missing one with --ignore.
		cid := filepath.Join(m.userDir(t), "web.cid")
		id := strings.TrimSpace(s.must("run", "-d", "--name", "web", "--cidfile", cid, "busybox", "sleep", "300"))
		if got := s.must("stop", "-t", "0", "--cidfile", cid); got != id+"\n" {
			t.Errorf("stop --cidfile printed %q, want %s", got, id)
		}
		if st := state("web"); st != "exited" {
			t.Errorf("web after stop --cidfile: %s", st)
		}
		s.must("stop", "--ignore", "--cidfile", cid+".missing")
		wantError(t, s.scow("stop", "--cidfile", cid+".missing"), 125, "cidfile")

		// Flags after the container name, as Podman takes them.
		s.must("start", "web")
		s.must("stop", "web", "-t", "0")

		// start --all starts what is not running; --filter picks by ps's
		// keys; restart --running leaves stopped ones alone.
		s.must("create", "--name", "c1", "busybox", "sleep", "300")
		s.must("start", "--all")
		for _, n := range []string{"web", "c1"} {
			if st := state(n); st != "running" {
				t.Errorf("%s after start --all: %s", n, st)
			}
		}
		s.must("stop", "-t", "0", "--filter", "name=c1")
		if st := state("c1"); st != "exited" {
			t.Errorf("c1 after stop --filter name=c1: %s", st)
		}
		if st := state("web"); st != "running" {
			t.Errorf("web after stop --filter name=c1: %s", st)
		}
		before := s.must("inspect", "--format", "{{.State.StartedAt}}", "web")
		got := strings.Fields(s.must("restart", "-t", "0", "--all", "--running"))
		if len(got) != 1 || !strings.HasPrefix(id, got[0]) {
			t.Errorf("restart --all --running restarted %v, want only web (%s)", got, id)
		}
		if after := s.must("inspect", "--format", "{{.State.StartedAt}}", "web"); after == before {
			t.Error("web's start time did not change on restart")
		}
		if st := state("c1"); st != "exited" {
			t.Errorf("c1 after restart --all --running: %s", st)
		}

		// --latest is the container created last.
		s.must("start", "c1")
		if got := strings.TrimSpace(s.must("kill", "--latest")); !strings.HasPrefix(s.must("inspect", "--format", "{{.Id}}", "c1"), got) {
			t.Errorf("kill --latest killed %s, want c1", got)
		}
		if code := s.must("wait", "--latest"); code != "137\n" {
			t.Errorf("wait --latest after kill: %q", code)
		}

		// A container that others join refuses rm until --depend.
		s.must("run", "-d", "--name", "joiner", "--network", "container:web", "busybox", "sleep", "300")
		wantError(t, s.scow("rm", "-f", "-t", "0", "web"), 125, "joiner", "--depend")
		got = strings.Fields(s.must("rm", "-f", "-t", "0", "--depend", "web"))
		joiner := s.scow("inspect", "joiner")
		if len(got) != 2 || got[1] != "web" || joiner.code == 0 {
			t.Errorf("rm --depend web printed %v (joiner inspect: exit %d), want joiner's ID then web", got, joiner.code)
		}
		if ids := strings.Fields(s.must("ps", "-aq", "--no-trunc")); len(ids) != 1 || slices.Contains(ids, id) {
			t.Errorf("containers left: %v, want only c1", ids)
		}
		s.must("rm", "--all")
	})
}
