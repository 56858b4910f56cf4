// Package userns puts an unprivileged scow process into the user's shared
// user and mount namespace.
//
// All scow invocations of one user share one namespace while any of them
// (or a container monitor) runs, so that containers/storage mounts and
// the OCI runtime's state look the same to each. A C constructor
// (package nsenter, which only the CLI links) joins an existing
// namespace, or creates one for a command that needs it (a holder process
// mapped through newuidmap/newgidmap), before the Go runtime starts
// threads; no re-exec is needed. The holder exits once the last process
// holding the namespace's shared lock is gone and nobody has joined for
// ten seconds, so that a script's commands share one namespace instead of
// each making its own.
package userns
