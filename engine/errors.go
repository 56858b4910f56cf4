package engine

import (
	"errors"

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
)

// classed wraps err with a class while keeping its own message and chain.
type classed struct {
	class error
	err   error
}

func (c *classed) Error() string   { return c.err.Error() }
func (c *classed) Unwrap() []error { return []error{c.class, c.err} }

func withClass(class, err error) error {
	if err == nil {
		return nil
	}
	return &classed{class: class, err: err}
}
