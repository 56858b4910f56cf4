package engine

import (
	"os"
	"path/filepath"
	"testing"
)

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
		if got := lastError(p); got != tc.want {
			t.Errorf("lastError(%q) = %q, want %q", tc.log, got, tc.want)
		}
	}
	if got := lastError(filepath.Join(dir, "none")); got != "" {
		t.Errorf("lastError of no file = %q", got)
	}
}
