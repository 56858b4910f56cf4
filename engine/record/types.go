package record

import (
	"slices"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
)

// Container statuses, as Podman names them.
const (
	StatusCreated    = "created"
	StatusRunning    = "running"
	StatusRestarting = "restarting"
	StatusExited     = "exited"
)

// RestartPolicy is --restart: no, on-failure[:MaxRetries], always or
// unless-stopped.
type RestartPolicy struct {
	Name       string `json:"name"`
	MaxRetries int    `json:"max_retries,omitempty"`
}

// Config is what the user asked for; written once at creation
// (rename rewrites the name).
type Config struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Image      string    `json:"image"`
	ImageID    string    `json:"image_id"`
	Created    time.Time `json:"created"`
	Entrypoint []string  `json:"entrypoint,omitempty"`
	Cmd        []string  `json:"cmd,omitempty"`
	Env        []string  `json:"env,omitempty"`
	WorkingDir string    `json:"working_dir,omitempty"`
	User       string    `json:"user,omitempty"`
	Hostname   string    `json:"hostname"`
	Network    string    `json:"network"`
	// Networks are the named networks of --network NAME and network
	// connect, the first one the default route's.
	Networks []netns.Attachment `json:"networks,omitempty"`
	// Ports are the -p mappings asked for (host port 0: picked at start).
	Ports      []netns.PortMapping `json:"ports,omitempty"`
	DNS        []string            `json:"dns,omitempty"`
	DNSSearch  []string            `json:"dns_search,omitempty"`
	DNSOptions []string            `json:"dns_options,omitempty"`
	AddHosts   []string            `json:"add_hosts,omitempty"`
	NoHosts    bool                `json:"no_hosts,omitempty"`
	NoHostname bool                `json:"no_hostname,omitempty"`
	// HostsFile starts /etc/hosts: "" (localhost lines), none, image or
	// a host file's path.
	HostsFile string `json:"hosts_file,omitempty"`
	// Rootfs is the host directory the container runs on when it has no
	// image (--rootfs); RootfsOverlay puts an overlay over it whose
	// changes go when the container stops.
	Rootfs        string `json:"rootfs,omitempty"`
	RootfsOverlay bool   `json:"rootfs_overlay,omitempty"`
	// Namespaces say how it gets its PID, IPC, UTS and cgroup
	// namespaces.
	Namespaces Namespaces `json:"namespaces,omitzero"`
	// Secrets are the secrets it gets at each start.
	Secrets []SecretUse `json:"secrets,omitempty"`
	// Resources are its cgroup limits; CgroupParent the cgroup its own
	// goes under ("": /scow).
	Resources    *specs.LinuxResources `json:"resources,omitempty"`
	CgroupParent string                `json:"cgroup_parent,omitempty"`
	// Cgroups is --cgroups when not the default: disabled or split.
	Cgroups string `json:"cgroups,omitempty"`
	// Security is what the container asks of its isolation beyond the
	// defaults: capabilities, seccomp, masked paths, sysctls, rlimits.
	Security oci.Security `json:"security,omitzero"`
	// ChrootDirs are directories of the container that receive the
	// files scow manages (hosts, resolv.conf, hostname, .containerenv,
	// localtime) as its root does.
	ChrootDirs []string `json:"chroot_dirs,omitempty"`
	// NoPasswd adds no /etc/passwd entry for a user the image lacks;
	// PasswdEntry and GroupEntry are the templates of the entries added;
	// HostUsers are host accounts copied in (--hostuser).
	NoPasswd    bool     `json:"no_passwd,omitempty"`
	PasswdEntry string   `json:"passwd_entry,omitempty"`
	GroupEntry  string   `json:"group_entry,omitempty"`
	HostUsers   []string `json:"host_users,omitempty"`
	// Umask is the process's umask (nil: 0022); TZ is the host's zone
	// file bound at /etc/localtime, "" for the image's.
	Umask      *uint32 `json:"umask,omitempty"`
	TZ         string  `json:"tz,omitempty"`
	MacAddress string  `json:"mac_address,omitempty"`
	Volumes    []Mount `json:"volumes,omitempty"`
	// ReadOnly: a read-only rootfs, with tmpfs where ReadOnlyTmpfs says.
	ReadOnly      bool `json:"read_only,omitempty"`
	ReadOnlyTmpfs bool `json:"read_only_tmpfs,omitempty"`
	// UIDMap and GIDMap, when set, give the container its own user
	// namespace mapped onto scow's (or the host's, as root).
	UIDMap      []specs.LinuxIDMapping `json:"uid_map,omitempty"`
	GIDMap      []specs.LinuxIDMapping `json:"gid_map,omitempty"`
	Labels      map[string]string      `json:"labels,omitempty"`
	Annotations map[string]string      `json:"annotations,omitempty"`
	// UnsetEnv are scow's default variables (PATH, HOSTNAME, HOME,
	// container, TERM) left out; UnsetEnvAll leaves out all of them.
	UnsetEnv    []string `json:"unset_env,omitempty"`
	UnsetEnvAll bool     `json:"unset_env_all,omitempty"`
	Interactive bool     `json:"interactive,omitempty"`
	Tty         bool     `json:"tty,omitempty"`
	// Init is the host path of the init run as PID 1, "" for none.
	Init   string `json:"init,omitempty"`
	Remove bool   `json:"remove,omitempty"`
	// Attach are the streams attached at run and start -a; empty: all.
	Attach []string `json:"attach,omitempty"`
	// RemoveImage removes the image too, once the container is removed
	// at its end (--rmi), unless another container uses it.
	RemoveImage bool `json:"remove_image,omitempty"`
	// Pod is the ID of the pod it belongs to, "" for none; Infra marks
	// the pod's infra container, which holds the namespaces its other
	// members join.
	Pod   string `json:"pod,omitempty"`
	Infra bool   `json:"infra,omitempty"`
	// InitContainer marks a container a pod runs to its end before its
	// others (kube play's initContainers): its exit stops no pod.
	InitContainer bool `json:"init_container,omitempty"`
	// Requires are the IDs of containers started before this one.
	Requires      []string      `json:"requires,omitempty"`
	RestartPolicy RestartPolicy `json:"restart_policy"`
	// LogDriver is k8s-file ("" too) or none.
	LogDriver   string `json:"log_driver,omitempty"`
	LogMaxSize  int64  `json:"log_max_size,omitempty"`
	LogMaxFiles int    `json:"log_max_files,omitempty"`
	StopSignal  string `json:"stop_signal,omitempty"`
	StopTimeout int    `json:"stop_timeout"`
	// Healthcheck is its check, nil for none.
	Healthcheck *Healthcheck `json:"healthcheck,omitempty"`
	// SdNotify is --sdnotify: how systemd hears that it is ready, when
	// it runs under a unit with NOTIFY_SOCKET: conmon ("": its monitor
	// once it runs), container (the container, through a socket of its
	// own the monitor relays), healthy (the first passed check) or
	// ignore.
	SdNotify string `json:"sd_notify,omitempty"`
	// CreateCommand is the command line that made it, for generate
	// systemd --new.
	CreateCommand []string `json:"create_command,omitempty"`
	// CIDFile is the file run --cidfile wrote its ID to, removed with
	// it, so that the next run of a unit may write it again.
	CIDFile string `json:"cid_file,omitempty"`
	// Timeout kills the container after that many seconds of running.
	Timeout int `json:"timeout,omitempty"`
	// PidFile receives the container's PID at each start, MonitorPidFile
	// its monitor's PID (--pidfile, --conmon-pidfile).
	PidFile        string `json:"pid_file,omitempty"`
	MonitorPidFile string `json:"monitor_pid_file,omitempty"`
}

// SecretUse is how a container gets a secret (--secret): as a file at
// Target (mount, owned by UID:GID with Mode) or as the environment
// variable Target (env).
type SecretUse struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Target string `json:"target"`
	UID    uint32 `json:"uid,omitempty"`
	GID    uint32 `json:"gid,omitempty"`
	Mode   uint32 `json:"mode,omitempty"`
}

// StatusPaused is what a running container whose processes are frozen
// shows as its status.
const StatusPaused = "paused"

// Shown is the status ps and inspect show: paused for a running
// container that is.
func (st *State) Shown() string {
	if st.Paused && st.Status == StatusRunning {
		return StatusPaused
	}
	return st.Status
}

// Namespaces say how a container gets each of these namespaces: ""
// (its own, the default; for the cgroup namespace, the host's on cgroup
// v1), private, host or container:ID; IPC also none (its own, without
// /dev/shm) and shareable (its own).
type Namespaces struct {
	PID    string `json:"pid,omitempty"`
	IPC    string `json:"ipc,omitempty"`
	UTS    string `json:"uts,omitempty"`
	Cgroup string `json:"cgroup,omitempty"`
	// User is container:ID for a pod's member that joins its infra
	// container's user namespace (with the same ID maps); "" otherwise.
	User string `json:"user,omitempty"`
}

// OwnPID tells whether the container has a PID namespace of its own,
// where nothing of it outlives its init.
func (n Namespaces) OwnPID() bool { return n.PID == "" || n.PID == "private" }

// ShareableIPC tells whether the container's IPC namespace is its own
// and others may join it: the default, or shareable, as Podman's.
func (n Namespaces) ShareableIPC() bool { return n.IPC == "" || n.IPC == "shareable" }

// OwnCgroup tells whether the container gets a cgroup namespace of its
// own on a host of cgroup version: asked for, or the default on cgroup
// v2, as Podman's.
func (n Namespaces) OwnCgroup(version int) bool {
	return n.Cgroup == "private" || n.Cgroup == "" && version == 2
}

// State is the container's changing state.
type State struct {
	Status string `json:"status"`
	// Ports are the published ports while it runs, host ports chosen.
	Ports []netns.PortMapping `json:"ports,omitempty"`
	Pid   int                 `json:"pid,omitempty"`
	// PidStart is the init's start time in clock ticks since boot
	// (/proc/PID/stat field 22): a PID is acted on only while it matches.
	PidStart uint64 `json:"pid_start,omitempty"`
	// MonitorPid is the process that waits for the container: a detached
	// monitor, or the CLI of a foreground run.
	MonitorPid   int       `json:"monitor_pid,omitempty"`
	MonitorStart uint64    `json:"monitor_start,omitempty"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	FinishedAt   time.Time `json:"finished_at,omitzero"`
	ExitCode     int       `json:"exit_code"`
	OOMKilled    bool      `json:"oom_killed,omitempty"`
	// Paused: the running container's processes are frozen.
	Paused       bool `json:"paused,omitempty"`
	RestartCount int  `json:"restart_count,omitempty"`
	// RuntimeState says the OCI runtime may hold state for the container
	// (set before the runtime is asked to run it, cleared once that state
	// is deleted), so whoever finds its monitor dead must delete it.
	RuntimeState bool `json:"runtime_state,omitempty"`
	// Mounted says a start holds the container's rootfs (and its shm)
	// for its monitor, MonitorPid: until the clean-up after its last
	// run, or, should the monitor die first, the next reader's.
	Mounted bool `json:"mounted,omitempty"`
	// Runtime is the OCI runtime the container runs under, kept from
	// its start: operations on it use that one, whatever the default
	// has become since (crun installed, --runtime).
	Runtime string `json:"runtime,omitempty"`
	// StoppedByUser keeps the restart policy from bringing it back.
	StoppedByUser bool   `json:"stopped_by_user,omitempty"`
	Error         string `json:"error,omitempty"`
}

// Command is the container's command line as ps shows it.
func (c *Config) Command() []string {
	return append(append([]string{}, c.Entrypoint...), c.Cmd...)
}

// Mount types.
const (
	MountBind   = "bind"
	MountVolume = "volume"
	MountTmpfs  = "tmpfs"
)

// Mount is one mount a user asked for: a host path, a named or anonymous
// volume, or a tmpfs.
type Mount struct {
	// Type is bind, volume or tmpfs; records from before volumes have
	// none and are binds.
	Type string `json:"type,omitempty"`
	// Source is the host path of a bind or the name of a volume.
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"read_only,omitempty"`
	// Options are mount options (propagation, nosuid, size=...) and
	// Podman's U (chown the source to the container's user), O (an
	// overlay whose changes are thrown away) and nocopy.
	Options []string `json:"options,omitempty"`
	// Anonymous volumes go with their container on rm -v and --rm.
	Anonymous bool `json:"anonymous,omitempty"`
}

// Kind is the mount's type; records from before volumes have none
// and are binds.
func (m Mount) Kind() string {
	if m.Type == "" {
		return MountBind
	}
	return m.Type
}

// Has tells whether the mount has option opt.
func (m Mount) Has(opt string) bool { return slices.Contains(m.Options, opt) }
