// Package monitor is the supervisor of one running container: the
// process that keeps it, since scow has no daemon.
//
// Spawn re-executes scow as Arg in a session of its own and returns once
// the container runs, or with the reason it could not start; the reason
// keeps its error class across the process boundary (errdefs.Rebuild).
// Main is that process: a Monitor runs the container under the OCI
// runtime, relays its output to the log (engine/logfile) and to the
// clients attached through the hub (engine/attach's protocol), runs exec
// sessions, records each exit in the container's state, and restarts it
// as its restart policy says. What the monitor writes on stderr goes to
// monitor.log beside the container's records, where LastError finds it
// when the monitor dies before it could say why.
//
// The monitor knows nothing of what a container is made of: the Runner
// it is given (engine/containers) sets up the network, builds the runtime
// spec and removes a --rm container.
package monitor
