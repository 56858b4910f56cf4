// Package specgen is the typed create request: Spec, a container to
// create, checked and free of flag strings. NewSpec makes one of run's
// and create's options (RunOptions); builds, pods, kube play, compose and
// an API fill one in directly and call Check. The parsers of the values
// run takes (volumes, mounts, tmpfs, user namespaces, labels, env files,
// restart policies, signals, log options) live here too. Nothing here
// touches the store, the containers' records or the runtime (it reads
// only env files and looks up the init binary), so it is tested with
// tables alone. engine/containers makes
// the container from a Spec.
package specgen
