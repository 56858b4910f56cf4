// Package netns prepares a container's network: which network namespace
// it gets, and the /etc/hosts, /etc/resolv.conf and /etc/hostname files
// bind-mounted into it.
//
// Today the modes are "none" (a private namespace with loopback only,
// also the default until slirp4netns arrives) and "host". Prepare returns
// the namespace for the runtime spec and the mounts of the generated
// files; unknown modes wrap ErrInvalidMode.
package netns
