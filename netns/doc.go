// Package netns gives a container its network: the namespace it joins,
// the helper that connects it, its published ports, and the /etc/hosts,
// /etc/resolv.conf and /etc/hostname files bound into it.
//
// Modes (ParseMode): "none", "host", "slirp4netns[:OPTIONS]" (the rootless
// default), "pasta[:ARGS]", "container:ID", "ns:PATH", and a named bridge
// network (root's default is the one called scow). Start pins a private
// namespace under the run directory, starts slirp4netns, pasta or the
// bridge's veth, and publishes ports through rootlesskit's port driver (or
// the helper's own); Network.Stop undoes it and Release repairs what a
// killed monitor left. For a container with a user namespace of its own
// the runtime makes the namespace, and Join sets it up between the
// runtime's create and start.
//
// Named networks are NetConfig records; bridges, addresses and member
// records live under Bridges.RunDir, for root in the host's namespace and
// for a user in a namespace a small __netinfra helper holds.
//
// Errors wrap ErrInvalidMode, ErrInvalidPort, ErrNetworkUnknown,
// ErrNetworkExists or ErrNetworkInvalid.
package netns
