// Package userns puts an unprivileged scow process into the user's shared
// user and mount namespace.
//
// All scow invocations of one user share one namespace while any of them
// (or a container monitor) runs, so that containers/storage mounts and
// the OCI runtime's state look the same to each. A C constructor joins an
// existing namespace before the Go runtime starts threads; Enter creates
// one when none exists, through a holder process and newuidmap/newgidmap,
// and re-executes the binary to join it. The holder exits when the last
// process holding the namespace's shared lock is gone.
package userns
