// Package monitor is the supervisor of one running container: the
// process that keeps it, since scow has no daemon.
//
// The monitor is a program of its own, scow-monitor (found beside
// scow), so that a process per running container links no store, image or
// CLI code. Prestart starts it in a session of its own while the caller
// creates the container and prepares its first run (mounts the rootfs,
// writes the bundle: a Plan); Pending.Start hands it the run and returns
// once the container runs, or with the reason it could not start, which
// keeps its error class across the process boundary (errdefs.Rebuild).
//
// Main is that process: a Monitor sets up the container's network, runs
// it under the OCI runtime, relays its output to the log (engine/logfile)
// and to the clients attached through the hub (engine/attach's protocol),
// runs exec sessions, records each exit in the container's state, and
// restarts it as its restart policy says. What needs the store runs in
// scow as a hook (HookArg, HookMain), as conmon runs podman's exit
// command: the prepare of a restart, the health checks, and the clean-up
// after the last exit (the rootfs released, --rm, the pod's exit policy),
// which the client that started the container does itself when it is
// still attached. What the monitor writes on stderr goes to monitor.log
// beside the container's records, where LastError finds it when the
// monitor dies before it could say why.
package monitor
