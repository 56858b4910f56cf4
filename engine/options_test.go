package engine

import (
	"errors"
	"github.com/scow-project/scow/engine/errdefs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseChanges(t *testing.T) {
	c, err := ParseChanges([]string{
		"CMD=echo hi", `ENTRYPOINT ["/bin/sh","-c"]`, "ENV=A=1", "ENV B 2", "WORKDIR=/w",
		"USER=nobody", "LABEL=k=v", "EXPOSE=80 53/udp", "VOLUME=/data", "STOPSIGNAL=SIGINT",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Cmd, []string{"/bin/sh", "-c", "echo hi"}) || !slices.Equal(c.Entrypoint, []string{"/bin/sh", "-c"}) {
		t.Errorf("cmd %q entrypoint %q", c.Cmd, c.Entrypoint)
	}
	if !slices.Equal(c.Env, []string{"A=1", "B=2"}) || c.WorkingDir != "/w" || c.User != "nobody" || c.StopSignal != "SIGINT" {
		t.Errorf("changes %+v", c)
	}
	if c.Labels["k"] != "v" || len(c.ExposedPorts) != 2 || len(c.Volumes) != 1 {
		t.Errorf("labels %v ports %v volumes %v", c.Labels, c.ExposedPorts, c.Volumes)
	}
	if _, ok := c.ExposedPorts["80/tcp"]; !ok {
		t.Errorf("EXPOSE 80 did not default to tcp: %v", c.ExposedPorts)
	}
	for _, bad := range []string{"BOGUS x", "WORKDIR=rel", "ENV", "CMD=[broken", "LABEL=novalue", "CMD="} {
		if _, err := ParseChanges([]string{bad}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("ParseChanges(%q) = %v, want errdefs.ErrInvalid", bad, err)
		}
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("SCOW_TEST_FROM_HOST", "host value")
	entries := []struct {
		in, want string
		err      bool
	}{
		{"A=1", "A=1", false},
		{"A=", "A=", false},
		{"A=b=c", "A=b=c", false},
		{"SCOW_TEST_FROM_HOST", "SCOW_TEST_FROM_HOST=host value", false},
		{"SCOW_TEST_UNSET_VAR", "", false},
		{"=x", "", true},
		{"BAD KEY=1", "", true},
	}
	for _, tc := range entries {
		got, err := envEntry(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("envEntry(%q) = %q, %v; want %q, error %t", tc.in, got, err, tc.want, tc.err)
		}
	}
	merged := mergeEnv([]string{"PATH=/bin", "A=1"}, "A=2", "B=3", "PATH=/usr/bin")
	if !slices.Equal(merged, []string{"PATH=/usr/bin", "A=2", "B=3"}) {
		t.Errorf("mergeEnv = %v", merged)
	}
	if !hasEnv(merged, "B") || hasEnv(merged, "C") || hasEnv(merged, "PAT") {
		t.Error("hasEnv wrong")
	}

	f := filepath.Join(t.TempDir(), "env")
	os.WriteFile(f, []byte("# comment\n\nX=1\n  Y=two words  \nSCOW_TEST_FROM_HOST\n"), 0o644)
	got, err := ReadEnvFile(f)
	if err != nil || !slices.Equal(got, []string{"X=1", "Y=two words  ", "SCOW_TEST_FROM_HOST=host value"}) {
		t.Errorf("ReadEnvFile = %v, %v", got, err)
	}
	os.WriteFile(f, []byte("=bad\n"), 0o644)
	if _, err := ReadEnvFile(f); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("ReadEnvFile of a bad line: %v", err)
	}
	if _, err := ReadEnvFile(f + ".missing"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("ReadEnvFile of a missing file: %v", err)
	}
}

func TestParseEntrypoint(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", []string{}, false},
		{"/bin/echo", []string{"/bin/echo"}, false},
		{"echo hi", []string{"echo hi"}, false},
		{`["sh","-c"]`, []string{"sh", "-c"}, false},
		{`["sh"`, nil, true},
	}
	for _, tc := range tests {
		got, err := parseEntrypoint(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("parseEntrypoint(%q) = %q, %v", tc.in, got, err)
		}
	}
}
