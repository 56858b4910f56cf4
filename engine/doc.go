// Package engine runs and tracks containers for one user, root or not.
//
// There is no daemon. Each operation opens the containers/storage store
// (after entering the user's shared user namespace when unprivileged),
// reads the container's JSON records under its lock, acts, and writes them
// back atomically. Engine is the only package that imports storage, netns
// and oci: it prepares the rootfs, the network and the bundle, then asks
// the OCI runtime to create and start the container.
//
// A container is made from a Spec: NewSpec makes one of run's and
// create's flags, and any other producer fills one in for CreateSpec.
//
// The packages under engine hold one concept each:
//
//   - errdefs: the error classes callers test for with errors.Is
//     (ErrNotFound, ErrExists, ErrInvalid, ErrInUse, ErrRunning, and
//     ErrCannotInvoke or ErrCommandNotFound for a command that could not
//     run) and their one mapping to exit codes;
//   - record: the records of containers on disk (container.json,
//     state.json, names, events), their locks and atomic writes;
//   - internal/userns: entering the user's shared user namespace;
//   - internal/testhook: the pause points the end-to-end tests kill at.
//
// The root still holds the rest (specs, the monitor, attach, containers,
// images, volumes, networks) until each moves to a package of its own.
package engine
