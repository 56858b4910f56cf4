package monitor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scow-project/scow/engine/record"
)

func TestRestartDelay(t *testing.T) {
	tests := []struct {
		policy  record.RestartPolicy
		st      record.State
		code    int
		restart bool
		delay   time.Duration
	}{
		{record.RestartPolicy{Name: "no"}, record.State{}, 1, false, 0},
		{record.RestartPolicy{}, record.State{}, 1, false, 0},
		{record.RestartPolicy{Name: "always"}, record.State{}, 0, true, 100 * time.Millisecond},
		{record.RestartPolicy{Name: "always"}, record.State{RestartCount: 3}, 0, true, 800 * time.Millisecond},
		{record.RestartPolicy{Name: "always"}, record.State{RestartCount: 20}, 0, true, time.Minute},
		{record.RestartPolicy{Name: "always"}, record.State{StoppedByUser: true}, 0, false, 0},
		{record.RestartPolicy{Name: "unless-stopped"}, record.State{}, 3, true, 100 * time.Millisecond},
		{record.RestartPolicy{Name: "on-failure"}, record.State{}, 0, false, 0},
		{record.RestartPolicy{Name: "on-failure"}, record.State{RestartCount: 7}, 2, true, 12800 * time.Millisecond},
		{record.RestartPolicy{Name: "on-failure", MaxRetries: 3}, record.State{RestartCount: 2}, 2, true, 400 * time.Millisecond},
		{record.RestartPolicy{Name: "on-failure", MaxRetries: 3}, record.State{RestartCount: 3}, 2, false, 0},
	}
	for _, tc := range tests {
		delay, ok := restartDelay(tc.policy, &tc.st, tc.code)
		if ok != tc.restart || ok && delay != tc.delay {
			t.Errorf("%+v after %+v, code %d: got %v %v, want %v %v", tc.policy, tc.st, tc.code, ok, delay, tc.restart, tc.delay)
		}
	}
}

func TestLastError(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ log, want string }{
		{"", ""},
		{"WARN[0000] me has no range in /etc/subuid\n", ""},
		{"WARN[0000] a warning\nError: start: boom\n", "Error: start: boom"},
		{"panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()\n", "panic: runtime error: index out of range"},
		{"Error: first\nfatal error: all goroutines are asleep\n", "fatal error: all goroutines are asleep"},
	} {
		p := filepath.Join(dir, "monitor.log")
		os.WriteFile(p, []byte(tc.log), 0o600)
		if got := LastError(p); got != tc.want {
			t.Errorf("LastError(%q) = %q, want %q", tc.log, got, tc.want)
		}
	}
	if got := LastError(filepath.Join(dir, "none")); got != "" {
		t.Errorf("lastError of no file = %q", got)
	}
}
