// Package engine runs and tracks containers for one user, root or not.
//
// There is no daemon. Each operation opens the containers/storage store
// (after entering the user's shared user namespace when unprivileged),
// reads the container's JSON records under its lock, acts, and writes them
// back atomically. Engine is the only package that imports storage, netns
// and oci: it prepares the rootfs, the network and the bundle, then asks
// the OCI runtime to create and start the container.
//
// Errors callers act on wrap ErrNotFound, ErrExists, ErrInvalid, ErrInUse
// or ErrRunning; a container that could not be invoked wraps
// ErrCannotInvoke or ErrCommandNotFound. Test for them with errors.Is.
package engine
