package oci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crunWorks runs the probe once per build of crun and keeps its
// verdict; a probe that was killed decides nothing; a probe directory a
// killed probe left is swept.
func TestCrunWorks(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		want, kept   bool
	}{
		{"runs", "exit 0", true, true},
		{"refuses", "echo 'cgroups in hybrid mode not supported' >&2; exit 1", false, true},
		{"killed", "kill -9 $$", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			state := filepath.Join(dir, "run")
			calls := filepath.Join(dir, "calls")
			crun := filepath.Join(dir, "crun")
			// Each call notes its arguments: the probe is a run of a bundle.
			script := "#!/bin/sh\necho \"$*\" >>" + calls + "\n" + tc.script + "\n"
			if err := os.WriteFile(crun, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			// What a probe killed by kill -9 left: a process that is gone.
			stale := filepath.Join(state, "probe-999999999")
			if err := os.MkdirAll(stale, 0o700); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if got := crunWorks(crun, state); got != tc.want {
					t.Fatalf("crunWorks = %v, want %v", got, tc.want)
				}
			}
			data, _ := os.ReadFile(calls)
			want := map[bool]int{true: 1, false: 2}[tc.kept]
			if n := strings.Count(string(data), "\n"); n != want || !strings.Contains(string(data), " run --bundle ") {
				t.Errorf("probe calls %q: want %d runs", data, want)
			}
			if _, err := os.Stat(stale); !os.IsNotExist(err) {
				t.Errorf("stale probe directory kept: %v", err)
			}
			if left, _ := filepath.Glob(filepath.Join(state, "probe-*")); len(left) != 0 {
				t.Errorf("probe left %v", left)
			}
			if !tc.kept {
				return
			}
			// Another build of crun is probed again.
			later := time.Now().Add(time.Hour)
			os.Chtimes(crun, later, later)
			crunWorks(crun, state)
			data, _ = os.ReadFile(calls)
			if n := strings.Count(string(data), "\n"); n != 2 {
				t.Errorf("after an upgrade, %d probe calls, want 2", n)
			}
		})
	}
}
