// Package engine runs and tracks containers for one user, root or not.
//
// There is no daemon. Each invocation opens the containers/storage store
// (after entering the user's shared user namespace when unprivileged),
// reads the containers' JSON records under their locks, acts, and writes
// them back atomically; a running container is kept by a monitor process
// of its own, scow-monitor (cmd/scow-monitor, engine/monitor). This root
// package only wires the parts: Options and Config, New and Close, the
// services (Containers, Images, Volumes, Networks), what spans them
// (Inspect of any kind of object, Info, system prune, df and reset), and
// the entry points of what scow is run as besides the CLI (a monitor's
// hook, the port driver's child, the infra process).
//
// # The packages under engine
//
// Each holds one concept; an arrow is "imports".
//
//	engine (wiring) -> kube, pods, build, events, containers, contents, images, volumes, networks, secrets, monitor
//	kube            -> pods, build, containers, volumes, specgen, attach
//	pods            -> containers, specgen, attach
//	build           -> containers, images, specgen, attach
//	contents        -> containers, images, volumes, specgen
//	containers      -> images, volumes, networks, monitor, specgen, attach, logfile
//	monitor         -> attach, logfile, internal/userns (and netns, oci)
//	images, volumes, networks -> specgen (labels, options, times)
//	containers, contents, images, volumes, networks -> internal/backend
//	internal/backend, specgen, monitor, ... -> record -> errdefs
//	storage, netns, oci: leaves, importing no engine package
//
// What each holds:
//
//   - containers: the container lifecycle, create (from a specgen.Spec),
//     start, attach, exec, stop, kill, restart, wait, rm, rename, prune,
//     and what tells about a container (list, inspect, logs, top, port);
//     it prepares each run for the monitor (rootfs, bundle, network
//     options) and cleans up after the last, and serves its hooks.
//   - contents: a container's files: cp, diff, commit, export, mount,
//     unmount, unshare.
//   - pods: pods, an infra container holding the namespaces their
//     containers share; their lifecycle, listing, clone.
//   - kube: Kubernetes YAML played as pods, volumes and containers, and
//     written of them (kube play, down, generate).
//   - build: images built from Containerfiles.
//   - events: the events file read and followed.
//   - quadlet: Quadlet files turned into systemd units (pure).
//   - secrets: secrets' records and data.
//   - specgen: the typed create request, Spec, and the pure parsers of
//     run's values. Builds, pods, kube play, compose and an API produce
//     a Spec and call containers' CreateSpec.
//   - monitor: the supervisor of one container, a program of its own
//     that links no store: the network and the runtime process, its I/O
//     hub, exec sessions, the restart policy, the record of each exit,
//     its own monitor.log, and the hooks it runs scow for.
//   - attach: the frame protocol between a monitor and its clients, and
//     the client side, free of terminals and signals (cmd brings those).
//   - logfile: container logs in the k8s-file format, written with
//     rotation and read back.
//   - images: pull, push, login, search, load, save, import, tag, list,
//     inspect, history, rmi, prune.
//   - volumes: named volumes and what a container needs of them.
//   - networks: named networks' records and a container's place on them.
//   - record: containers' records on disk (container.json, state.json,
//     names, events), their flocks and atomic writes; Store's doc is the
//     one place the lock order is written.
//   - errdefs: the error classes and their one mapping to exit codes;
//     the classes survive the monitor boundary.
//   - internal/backend: what one invocation works on (options,
//     scow.conf, records, the store and runtime opened on first use),
//     shared by the services.
//   - internal/userns: entering the user's shared user namespace.
//   - internal/testhook: the pause points the end-to-end tests kill at.
//
// Builds, pods, kube play, and later compose and an API server, are
// siblings of containers: they make Specs and call the services, never
// cmd's flags. tests/depcheck_test.go holds the graph: a new import
// between these packages must be allowed there first.
package engine
