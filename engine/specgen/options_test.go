package specgen

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
)

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
	merged := MergeEnv([]string{"PATH=/bin", "A=1"}, "A=2", "B=3", "PATH=/usr/bin")
	if !slices.Equal(merged, []string{"PATH=/usr/bin", "A=2", "B=3"}) {
		t.Errorf("MergeEnv = %v", merged)
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
		got, err := ParseCommand("--entrypoint", tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("ParseCommand(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestParseRestartPolicy(t *testing.T) {
	good := map[string]record.RestartPolicy{
		"": {Name: "no"}, "no": {Name: "no"}, "always": {Name: "always"}, "unless-stopped": {Name: "unless-stopped"},
		"on-failure": {Name: "on-failure"}, "on-failure:5": {Name: "on-failure", MaxRetries: 5},
	}
	for in, want := range good {
		if got, err := ParseRestartPolicy(in); err != nil || got != want {
			t.Errorf("ParseRestartPolicy(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"sometimes", "always:3", "on-failure:x", "on-failure:-1"} {
		if _, err := ParseRestartPolicy(bad); err == nil {
			t.Errorf("ParseRestartPolicy(%q) accepted", bad)
		}
	}
}

func TestParseLogOptsAndSignals(t *testing.T) {
	size, files, err := parseLogOpts([]string{"max-size=10k", "max-file=3"})
	if err != nil || size != 10*1024 || files != 3 {
		t.Errorf("parseLogOpts = %d %d %v", size, files, err)
	}
	for _, bad := range [][]string{{"max-size=huge"}, {"max-file=0"}, {"color=red"}} {
		if _, _, err := parseLogOpts(bad); err == nil {
			t.Errorf("parseLogOpts(%v) accepted", bad)
		}
	}
	for in, want := range map[string]int{"KILL": 9, "sigterm": 15, "SIGUSR1": 10, "2": 2} {
		if got, err := ParseSignal(in); err != nil || int(got) != want {
			t.Errorf("ParseSignal(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"NOPE", "0", "99", ""} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("ParseSignal(%q) accepted", bad)
		}
	}
}

func TestParseExpose(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
		err  bool
	}{
		{in: []string{"80"}, want: []string{"80/tcp"}},
		{in: []string{"53/udp", "8000-8002"}, want: []string{"53/udp", "8000/tcp", "8001/tcp", "8002/tcp"}},
		{in: []string{"0"}, err: true},
		{in: []string{"70000"}, err: true},
		{in: []string{"90-80"}, err: true},
		{in: []string{"80/icmp"}, err: true},
		{in: []string{"http"}, err: true},
	}
	for _, tt := range tests {
		got, err := parseExpose(tt.in)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("parseExpose(%v) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestHostEnv(t *testing.T) {
	t.Setenv("http_proxy", "http://proxy:3128")
	t.Setenv("SCOW_TEST_VAR", "x")
	if got := hostEnv(false, true); !slices.Contains(got, "http_proxy=http://proxy:3128") || slices.Contains(got, "SCOW_TEST_VAR=x") {
		t.Errorf("proxies only: %v", got)
	}
	if got := hostEnv(false, false); len(got) != 0 {
		t.Errorf("neither: %v", got)
	}
	if got := hostEnv(true, false); !slices.Contains(got, "SCOW_TEST_VAR=x") {
		t.Errorf("--env-host lacks SCOW_TEST_VAR: %v", got)
	}
}

func TestParseLogDriver(t *testing.T) {
	for in, want := range map[string]string{"": "k8s-file", "k8s-file": "k8s-file", "json-file": "k8s-file", "none": "none"} {
		if got, err := parseLogDriver(in); err != nil || got != want {
			t.Errorf("parseLogDriver(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"journald", "passthrough", "syslog"} {
		if _, err := parseLogDriver(in); !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), in) {
			t.Errorf("parseLogDriver(%q): %v, want an ErrInvalid naming it", in, err)
		}
	}
}

func TestParseUmaskAndTZ(t *testing.T) {
	if u, err := parseUmask("0077"); err != nil || *u != 0o77 {
		t.Errorf("parseUmask(0077) = %v, %v", u, err)
	}
	if u, err := parseUmask(""); err != nil || u != nil {
		t.Errorf("parseUmask(\"\") = %v, %v", u, err)
	}
	for _, bad := range []string{"9", "01000", "abc"} {
		if _, err := parseUmask(bad); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("parseUmask(%q): %v, want ErrInvalid", bad, err)
		}
	}
	dir := t.TempDir()
	old := zoneinfo
	zoneinfo = dir
	t.Cleanup(func() { zoneinfo = old })
	os.MkdirAll(filepath.Join(dir, "Asia"), 0o755)
	os.WriteFile(filepath.Join(dir, "Asia", "Tokyo"), []byte("TZif"), 0o644)
	if got, err := parseTZ("Asia/Tokyo"); err != nil || got != filepath.Join(dir, "Asia", "Tokyo") {
		t.Errorf("parseTZ(Asia/Tokyo) = %q, %v", got, err)
	}
	for _, bad := range []string{"Mars/Olympus", "Asia", "../../etc/passwd"} {
		if _, err := parseTZ(bad); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("parseTZ(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestUsageFilter(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	users := func() (map[string][]string, error) { return map[string][]string{"used": {"c1"}}, nil }
	old, fresh := now.Add(-2*time.Hour), now.Add(-time.Minute)
	for _, tc := range []struct {
		key, value     string
		handled, err   bool
		used, unused   bool // what a used and an unused object, both old, get
		oldOK, freshOK bool // what an unused old and fresh object get
	}{
		{key: "dangling", value: "true", handled: true, unused: true, oldOK: true, freshOK: true},
		{key: "dangling", value: "false", handled: true, used: true},
		{key: "until", value: "1h", handled: true, used: true, unused: true, oldOK: true},
		{key: "dangling", value: "maybe", handled: true, err: true},
		{key: "until", value: "someday", handled: true, err: true},
		{key: "name", value: "x"},
	} {
		p, handled, err := UsageFilter("volume", tc.key, tc.value, now, users)
		if handled != tc.handled || (err != nil) != tc.err {
			t.Errorf("%s=%s: handled %v, error %v", tc.key, tc.value, handled, err)
			continue
		}
		if p == nil {
			continue
		}
		if p("used", old) != tc.used || p("unused", old) != tc.unused || p("unused", old) != tc.oldOK || p("unused", fresh) != tc.freshOK {
			t.Errorf("%s=%s: used %v, unused %v, fresh %v", tc.key, tc.value, p("used", old), p("unused", old), p("unused", fresh))
		}
	}
}
