package errdefs

import (
	"errors"
	"fmt"

	"github.com/scow-project/scow/oci"
)

// Error classes.
var (
	ErrNotFound = errors.New("no such object")
	ErrExists   = errors.New("already in use")
	ErrInvalid  = errors.New("invalid argument")
	ErrInUse    = errors.New("in use")
	ErrRunning  = errors.New("container is running")
	// ErrCannotInvoke: the command exists but cannot be run (exit 126).
	ErrCannotInvoke = oci.ErrNotExecutable
	// ErrCommandNotFound: the command does not exist (exit 127).
	ErrCommandNotFound = oci.ErrNotFound
	// ErrFullScow: the light build of scow (scow_light), which starts
	// faster, left this to the full scow, which the CLI then runs in its
	// place with the same arguments. A run or create hears it before it
	// reads or makes anything, a pod create before it makes the pod; a
	// pod clone undoes the copy it made.
	ErrFullScow = errors.New("left to the full scow")
)

// names are the classes by the names they cross processes with.
var names = map[string]error{
	"not-found": ErrNotFound, "exists": ErrExists, "invalid": ErrInvalid, "in-use": ErrInUse,
	"running": ErrRunning, "cannot-invoke": ErrCannotInvoke, "command-not-found": ErrCommandNotFound,
}

// classed wraps err with a class while keeping its own message and chain.
type classed struct {
	class error
	err   error
}

func (c *classed) Error() string   { return c.err.Error() }
func (c *classed) Unwrap() []error { return []error{c.class, c.err} }

// WithClass gives err the class class; nil stays nil.
func WithClass(class, err error) error {
	if err == nil {
		return nil
	}
	return &classed{class: class, err: err}
}

// ExitError carries a process's exit code other than 0: the CLI exits
// with it.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("container exited with code %d", e.Code) }

// ExitCode is the exit code of a command that failed with err: an
// ExitError's own code, 127 when the container's command does not exist,
// 126 when it cannot be invoked, else 125.
func ExitCode(err error) int {
	var exit *ExitError
	switch {
	case errors.As(err, &exit):
		return exit.Code
	case errors.Is(err, ErrCommandNotFound):
		return 127
	case errors.Is(err, ErrCannotInvoke):
		return 126
	}
	return 125
}

// Name is the name of err's class, "" when it has none.
func Name(err error) string {
	for name, class := range names {
		if errors.Is(err, class) {
			return name
		}
	}
	return ""
}

// Rebuild makes an error with message msg of the class called name: the
// other side of Name.
func Rebuild(name, msg string) error {
	err := errors.New(msg)
	if class, ok := names[name]; ok {
		return WithClass(class, err)
	}
	return err
}
