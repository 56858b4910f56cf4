package record

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/scow-project/scow/engine/errdefs"
)

// A record left half-written by a killed create is swept; one whose
// writer still lives is not, and neither is a finished record.
func TestSweepNew(t *testing.T) {
	s := Store{Root: t.TempDir()}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	start, err := ProcStart(self)
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
		dir := filepath.Join(s.ContainersDir(), tc.name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "container.json"), []byte("{"), 0o600)
		if got := s.SweepNew(tc.name); got != tc.record {
			t.Errorf("SweepNew(%s) = %t, want %t", tc.name, got, tc.record)
		}
		if _, err := os.Stat(dir); (err == nil) != tc.kept {
			t.Errorf("%s: kept %t, want %t", tc.name, err == nil, tc.kept)
		}
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{"web": true, "a.b_c-1": true, "9lives": true, "": false, "-x": false, "a b": false, "a/b": false, "ä": false} {
		if err := ValidName(name); (err == nil) != ok {
			t.Errorf("ValidName(%q) = %v, want ok %t", name, err, ok)
		}
	}
	if n := RandomName(); ValidName(n) != nil {
		t.Errorf("RandomName gave an invalid name %q", n)
	}
}

func TestProcStart(t *testing.T) {
	a, err := ProcStart(os.Getpid())
	if err != nil || a == 0 {
		t.Fatalf("ProcStart(self) = %d, %v", a, err)
	}
	if b, _ := ProcStart(os.Getpid()); a != b {
		t.Errorf("start time changed: %d then %d", a, b)
	}
	if _, err := ProcStart(1 << 30); err == nil {
		t.Error("ProcStart of a missing PID succeeded")
	}
}

func TestStateRecords(t *testing.T) {
	s := Store{Root: t.TempDir()}
	cfg := &Config{ID: NewID(), Name: "one"}
	if err := s.Create(cfg); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveName("one", cfg.ID); err != nil {
		t.Fatal(err)
	}
	other := NewID()
	if err := s.ReserveName("one", other); !errors.Is(err, errdefs.ErrExists) {
		t.Errorf("second reservation: %v, want errdefs.ErrExists", err)
	}
	// A name whose owner has no record (a crash) is reclaimed.
	if err := s.ReserveName("orphan", "deadbeef"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveName("orphan", other); err != nil {
		t.Errorf("stale name not reclaimed: %v", err)
	}
	got, err := s.LoadConfig(cfg.ID)
	if err != nil || got.Name != "one" {
		t.Errorf("LoadConfig = %+v, %v", got, err)
	}
	var st State
	if err := ReadJSON(filepath.Join(s.Dir(cfg.ID), "state.json"), &st); err != nil || st.Status != StatusCreated {
		t.Errorf("state %+v, %v", st, err)
	}
	s.ReleaseName("one", other) // not the owner: kept
	if err := s.ReserveName("one", other); !errors.Is(err, errdefs.ErrExists) {
		t.Error("ReleaseName by a non-owner freed the name")
	}
	s.ReleaseName("one", cfg.ID)
	if err := s.ReserveName("one", other); err != nil {
		t.Errorf("released name not free: %v", err)
	}
	if len(NewID()) != 64 {
		t.Error("IDs are 64 hex digits")
	}
}
