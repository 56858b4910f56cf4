package storage

import (
	"errors"
	"strings"
	"testing"
)

// --userns=auto as root fails before the store is touched when its user
// has no ranges, with one line that says how to add them.
func TestAutoWithoutRanges(t *testing.T) {
	s := &Store{opts: Options{AutoNsUser: "scow-no-such-user"}}
	_, _, err := s.CreateContainer("c", "i", IDMapping{Auto: true}, false)
	if !errors.Is(err, ErrNoAutoRange) {
		t.Fatalf("got %v, want ErrNoAutoRange", err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "usermod --add-subuids") || !strings.Contains(msg, `"scow-no-such-user"`) {
		t.Errorf("error %q: want one line naming the user and the fix", msg)
	}
}
