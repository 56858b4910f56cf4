package netns

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]string{"": ModeNone, "none": ModeNone, "private": ModeNone, "slirp4netns": ModeNone, "host": ModeHost} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMode("bridge0"); !errors.Is(err, ErrInvalidMode) {
		t.Errorf("ParseMode of an unknown mode: %v", err)
	}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		mode, netns string
		hosts       string
	}{
		{"none", "", "127.0.1.1\tbox\n"},
		{"host", "host", ""},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		s, err := Prepare(Options{Mode: tc.mode, Hostname: "box", Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if s.NetNS != tc.netns {
			t.Errorf("%s: NetNS %q, want %q", tc.mode, s.NetNS, tc.netns)
		}
		if len(s.Mounts) != 3 {
			t.Fatalf("%s: mounts %v", tc.mode, s.Mounts)
		}
		for _, m := range s.Mounts {
			if !strings.HasPrefix(m.Destination, "/etc/") || filepath.Dir(m.Source) != dir {
				t.Errorf("%s: mount %+v", tc.mode, m)
			}
		}
		hosts, _ := os.ReadFile(filepath.Join(dir, "hosts"))
		if !strings.Contains(string(hosts), "localhost") || !strings.Contains(string(hosts), tc.hosts) {
			t.Errorf("%s: hosts %q", tc.mode, hosts)
		}
		if h, _ := os.ReadFile(filepath.Join(dir, "hostname")); string(h) != "box\n" {
			t.Errorf("%s: hostname %q", tc.mode, h)
		}
	}
}
