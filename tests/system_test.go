//go:build e2e

package tests

import (
	"strings"
	"testing"
)

// TestSystemPruneDfReset covers system df, container prune --filter,
// system prune and system reset.
func TestSystemPruneDfReset(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "--name", "keep", "--label", "keep=yes", "busybox", "true")
		s.must("run", "--name", "gone", "busybox", "true")
		s.must("run", "-d", "--name", "up", "-v", "data:/data", "busybox", "sleep", "300")
		s.must("volume", "create", "spare")
		s.must("network", "create", "unused")

		df := s.must("system", "df")
		for _, want := range []string{"TYPE", "Images", "Containers", "Local Volumes"} {
			if !strings.Contains(df, want) {
				t.Errorf("system df lacks %q:\n%s", want, df)
			}
		}
		if got := s.must("system", "df", "--format", "{{.Type}} {{.Total}} {{.Active}}"); got != "Images 1 1\nContainers 3 1\nLocal Volumes 2 1\n" {
			t.Errorf("system df counts:\n%s", got)
		}
		if got := s.must("system", "df", "-v"); !strings.Contains(got, "keep") || !strings.Contains(got, "spare") {
			t.Errorf("system df -v:\n%s", got)
		}

		// container prune --filter keeps what does not match.
		got := s.must("container", "prune", "-f", "--filter", "label!=keep")
		if strings.Count(got, "\n") != 1 {
			t.Errorf("container prune --filter label!=keep removed %q, want gone only", got)
		}
		if s.scow("container", "exists", "keep").code != 0 || s.scow("container", "exists", "gone").code != 1 {
			t.Error("container prune --filter label!=keep removed the wrong one")
		}

		// Without --force they ask, as Podman's, on stdout; anything but
		// yes on stdin removes nothing, and is no error.
		for _, args := range [][]string{{"system", "prune"}, {"container", "prune"}, {"image", "prune", "-a"}, {"volume", "prune"}, {"network", "prune"}, {"system", "reset"}} {
			r := s.scowStdin("n\n", args...)
			if r.code != 0 || !strings.Contains(r.stdout, "Are you sure you want to continue? [y/N]") || strings.Contains(r.stdout, "Deleted") {
				t.Errorf("%v answered no: %s", args, r)
			}
		}
		if s.scow("container", "exists", "keep").code != 0 || s.scow("volume", "exists", "spare").code != 0 {
			t.Error("a prune answered no removed something")
		}
		wantError(t, s.scow("container", "prune"), 125, "--force") // no answer at all
		if r := s.scowStdin("yes\n", "container", "prune", "--filter", "label=nomatch"); r.code != 0 || !strings.Contains(r.stdout, "[y/N]") {
			t.Errorf("container prune answered yes: %s", r)
		}
		wantError(t, s.scow("system", "prune", "-f", "--filter", "until=1h"), 125, "label")
		out := s.must("system", "prune", "-f", "--volumes")
		for _, want := range []string{"Deleted Containers", "Deleted Networks\nunused", "Deleted Volumes\nspare", "Total reclaimed space:"} {
			if !strings.Contains(out, want) {
				t.Errorf("system prune printed no %q:\n%s", want, out)
			}
		}
		if s.scow("container", "exists", "keep").code != 1 || s.scow("container", "exists", "up").code != 0 || s.scow("volume", "exists", "data").code != 0 {
			t.Error("system prune removed a running container or its volume, or kept a stopped one")
		}
		// The image is in use: -a keeps it.
		s.must("system", "prune", "-af")
		if s.scow("image", "exists", "busybox").code != 0 {
			t.Error("system prune -a removed an image in use")
		}

		s.must("system", "reset", "--force")
		for _, args := range [][]string{{"ps", "-aq"}, {"images", "-q"}, {"volume", "ls", "-q"}} {
			if got := s.must(args...); got != "" {
				t.Errorf("%v after system reset: %q", args, got)
			}
		}
		if got := s.must("network", "ls", "--format", "{{.Name}}"); got != "scow\n" {
			t.Errorf("networks after system reset: %q", got)
		}
		// The store works again from nothing.
		s.must("load", "-i", suite.image)
		if got := s.must("run", "--rm", "busybox", "echo", "again"); got != "again\n" {
			t.Errorf("run after system reset: %q", got)
		}
	})
}
