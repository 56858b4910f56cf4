package errdefs

import (
	"errors"
	"fmt"
	"testing"
)

func TestClasses(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{WithClass(ErrCommandNotFound, errors.New("x")), 127},
		{fmt.Errorf("start: %w", WithClass(ErrCannotInvoke, errors.New("x"))), 126},
		{WithClass(ErrInvalid, errors.New("x")), 125},
		{errors.New("plain"), 125},
	} {
		if got := ExitCode(tc.err); got != tc.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
		// Across a process: the message and the class survive.
		back := Rebuild(Name(tc.err), tc.err.Error())
		if back.Error() != tc.err.Error() || ExitCode(back) != tc.code || Name(back) != Name(tc.err) {
			t.Errorf("%v came back as %v, class %q", tc.err, back, Name(back))
		}
	}
	for name, class := range names {
		if !errors.Is(Rebuild(name, "m"), class) {
			t.Errorf("class %s does not survive", name)
		}
	}
	if WithClass(ErrInvalid, nil) != nil {
		t.Error("WithClass(nil) is not nil")
	}
}
