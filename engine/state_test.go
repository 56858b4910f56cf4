package engine

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A record left half-written by a killed create is swept; one whose
// writer still lives is not, and neither is a finished record.
func TestSweepNew(t *testing.T) {
	e := &Engine{opts: Options{Root: t.TempDir()}}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	start, err := procStart(self)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		record, kept bool
	}{
		{fmt.Sprintf(".new-%d-%d-123", self, start), true, true},
		{fmt.Sprintf(".new-%d-%d-123", self, start+1), true, false}, // the PID was reused
		{fmt.Sprintf(".new-%d-1-123", gone.Process.Pid), true, false},
		{".new-4242424242", true, false}, // the old form
		{"0123abcd", false, true},
	} {
		dir := filepath.Join(e.containersDir(), tc.name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "container.json"), []byte("{"), 0o600)
		if got := e.sweepNew(tc.name); got != tc.record {
			t.Errorf("sweepNew(%s) = %t, want %t", tc.name, got, tc.record)
		}
		if _, err := os.Stat(dir); (err == nil) != tc.kept {
			t.Errorf("%s: kept %t, want %t", tc.name, err == nil, tc.kept)
		}
	}
}
