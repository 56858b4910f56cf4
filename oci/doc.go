// Package oci turns an image configuration and the user's options into an
// OCI runtime-spec bundle, and drives an OCI runtime (runc or crun) by its
// command line.
//
// Specs are built with composable SpecOpts applied to Default's base spec.
// Runtime failures come back as *RuntimeError, carrying the runtime's own
// one-line message; ErrNotFound and ErrNotExecutable classify a command
// that could not be invoked.
package oci
