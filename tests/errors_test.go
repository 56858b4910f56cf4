//go:build e2e

package tests

import (
	"testing"
)

func TestUserErrors(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		tests := []struct {
			name  string
			args  []string
			words []string
		}{
			{"unknown image", []string{"run", "--rm", "nosuch"}, []string{"nosuch", "not known"}},
			{"malformed image name", []string{"run", "--rm", "Bad::Name"}, []string{"Bad::Name", "invalid"}},
			{"malformed tag target", []string{"tag", "busybox", "UPPER"}, []string{"UPPER"}},
			{"missing import file", []string{"import", "/no/such.tar"}, []string{"/no/such.tar"}},
			{"missing load file", []string{"load", "-i", "/no/such.tar"}, []string{"/no/such.tar"}},
			{"bad -v spec", []string{"run", "--rm", "-v", "nocolon", "busybox", "true"}, []string{"nocolon"}},
			{"relative container path", []string{"run", "--rm", "-v", "/tmp:rel", "busybox", "true"}, []string{"absolute"}},
			{"bad -v option", []string{"run", "--rm", "-v", "/tmp:/t:bogus", "busybox", "true"}, []string{"bogus"}},
			{"unknown flag", []string{"run", "--bogus-flag", "busybox"}, []string{"bogus-flag"}},
			{"unknown global flag", []string{"--nope", "images"}, []string{"nope"}},
			{"bad network", []string{"run", "--rm", "--network", "weird", "busybox", "true"}, []string{"weird"}},
			{"bad env", []string{"run", "--rm", "-e", "=x", "busybox", "true"}, []string{"=x"}},
			{"missing env file", []string{"run", "--rm", "--env-file", "/no/env", "busybox", "true"}, []string{"/no/env"}},
			{"unknown user", []string{"run", "--rm", "-u", "nobody-here", "busybox", "true"}, []string{"nobody-here"}},
			{"relative workdir", []string{"run", "--rm", "-w", "rel", "busybox", "true"}, []string{"rel"}},
			{"save to unknown format", []string{"save", "--format", "zip", "-o", "/tmp/x.tar", "busybox"}, []string{"zip"}},
			{"save of unknown image", []string{"save", "-o", "/tmp/x.tar", "nosuch"}, []string{"nosuch"}},
			{"missing run image", []string{"run"}, []string{"usage"}},
			{"inspect of nothing", []string{"inspect", "nosuchthing"}, []string{"no container or image", "nosuchthing"}},
			{"inspect of a bad type", []string{"inspect", "--type", "volume", "busybox"}, []string{"--type"}},
		}
		before := containerCount(t, m.root)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, m.scow(t, tc.args...), 125, tc.words...)
			})
		}
		if after := containerCount(t, m.root); after != before {
			t.Errorf("failed commands left containers: %d, had %d", after, before)
		}
	})
}

func TestVersionAndHelpNeedNoStorage(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		root, run := m.newDirs(t, "nostore")
		for _, args := range [][]string{{"version"}, {"--version"}, {"--help"}, {"run", "--help"}} {
			r := execute(t, m.cmdIn(t.Context(), root+"/never", run+"/never", args...), "")
			if r.code != 0 || r.stdout == "" {
				t.Errorf("%v: %s", args, r)
			}
		}
		if _, err := osStat(root + "/never"); err == nil {
			t.Error("version or help created the data root")
		}
	})
}
