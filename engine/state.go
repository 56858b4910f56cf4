package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/netns"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
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

// ContainerConfig is what the user asked for; written once at creation
// (rename rewrites the name).
type ContainerConfig struct {
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
	MacAddress string              `json:"mac_address,omitempty"`
	Volumes    []Mount             `json:"volumes,omitempty"`
	// ReadOnly: a read-only rootfs, with tmpfs where ReadOnlyTmpfs says.
	ReadOnly      bool `json:"read_only,omitempty"`
	ReadOnlyTmpfs bool `json:"read_only_tmpfs,omitempty"`
	// UIDMap and GIDMap, when set, give the container its own user
	// namespace mapped onto scow's (or the host's, as root).
	UIDMap      []specs.LinuxIDMapping `json:"uid_map,omitempty"`
	GIDMap      []specs.LinuxIDMapping `json:"gid_map,omitempty"`
	Labels      map[string]string      `json:"labels,omitempty"`
	Interactive bool                   `json:"interactive,omitempty"`
	Tty         bool                   `json:"tty,omitempty"`
	// Init is the host path of the init run as PID 1, "" for none.
	Init          string        `json:"init,omitempty"`
	Remove        bool          `json:"remove,omitempty"`
	RestartPolicy RestartPolicy `json:"restart_policy"`
	LogMaxSize    int64         `json:"log_max_size,omitempty"`
	LogMaxFiles   int           `json:"log_max_files,omitempty"`
	StopSignal    string        `json:"stop_signal,omitempty"`
	StopTimeout   int           `json:"stop_timeout"`
}

// ContainerState is the container's changing state.
type ContainerState struct {
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
	RestartCount int       `json:"restart_count,omitempty"`
	// RuntimeState says the OCI runtime may hold state for the container
	// (set before the runtime is asked to run it, cleared once that state
	// is deleted), so whoever finds its monitor dead must delete it.
	RuntimeState bool `json:"runtime_state,omitempty"`
	// StoppedByUser keeps the restart policy from bringing it back.
	StoppedByUser bool   `json:"stopped_by_user,omitempty"`
	Error         string `json:"error,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidName checks a container name as Docker does.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name))
	}
	return nil
}

func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var (
	adjectives = strings.Fields("admiring brave bold calm clever dreamy eager elated festive focused gallant gifted happy hopeful jolly keen kind lucid merry modest nifty noble quirky relaxed serene sharp stoic sweet tender trusting upbeat vibrant wizardly zealous")
	nouns      = strings.Fields("albattani babbage bell bohr curie darwin dijkstra einstein euler fermi feynman galileo gauss hopper hypatia kepler knuth lamarr lovelace mayer newton noether pascal planck ritchie shannon tesla thompson turing wozniak")
)

// randomName returns a Docker-style adjective_noun name.
func randomName() string {
	b := make([]byte, 2)
	rand.Read(b)
	return adjectives[int(b[0])%len(adjectives)] + "_" + nouns[int(b[1])%len(nouns)]
}

// writeJSON writes v to path atomically: temp file, rename. A durable
// record is fsynced first; state that a reboot makes stale anyway (a
// running container is stopped after one) is not, as fsync queues under
// load are what make other engines slow.
func writeJSON(path string, v any, durable bool) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err = tmp.Write(data); err == nil && durable {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

// lock takes an exclusive flock on path (a file, created if missing, or
// a directory) and returns its release.
func lock(path string) (func(), error) {
	return lockMode(path, unix.LOCK_EX)
}

// errLocked is returned by a non-blocking lock that someone else holds.
var errLocked = errors.New("locked")

func lockMode(path string, how int) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if errors.Is(err, syscall.EISDIR) {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, err
	}
	return flock(f, path, how)
}

// lockDir locks the directory at path, which must exist: one that is
// gone is an os.ErrNotExist, never made again as a file.
func lockDir(path string, how int) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return flock(f, path, how)
}

// flock takes the lock of an open file and returns its release, which
// closes it.
func flock(f *os.File, path string, how int) (func(), error) {
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// halfCreated tells whether the record of cfg was left by a create that
// died before reserving its name: the name is not the record's, and no
// create holds the record's lock.
func (e *Engine) halfCreated(cfg *ContainerConfig) bool {
	if owner, err := os.ReadFile(filepath.Join(e.namesDir(), cfg.Name)); err == nil && string(owner) == cfg.ID {
		return false
	}
	unlock, err := lockDir(e.containerDir(cfg.ID), unix.LOCK_EX|unix.LOCK_NB)
	if err != nil {
		return false
	}
	unlock()
	return true
}

// lockContainer locks a container's directory: the lock goes with the
// record, and a waiter that gets it after a removal finds no record.
func (e *Engine) lockContainer(id string) (func(), error) {
	unlock, err := lockDir(e.containerDir(id), unix.LOCK_EX)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no container with ID %.12s", id))
	}
	return unlock, err
}

// reserveName claims name for id with an O_EXCL file. Records are
// written before names and removed after them, so a name whose owner has
// no record was left by a crash, and is reclaimed.
func (e *Engine) reserveName(name, id string) error {
	if err := os.MkdirAll(e.namesDir(), 0o700); err != nil {
		return err
	}
	p := filepath.Join(e.namesDir(), name)
	for range 2 {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(id)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("reserve name %s: %w", name, err)
		}
		owner, rerr := os.ReadFile(p)
		if rerr != nil || len(owner) == 0 || e.containerExists(string(owner)) {
			return errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("the container name %q is already in use by %.12s: remove that container or choose another name", name, owner))
		}
		// The owner never got a record: reclaim under the names lock,
		// so two reclaimers cannot both win.
		unlock, err := lock(filepath.Join(e.namesDir(), ".lock"))
		if err != nil {
			return err
		}
		if cur, _ := os.ReadFile(p); string(cur) == string(owner) {
			os.Remove(p)
		}
		unlock()
	}
	return errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("the container name %q is already in use", name))
}

func (e *Engine) releaseName(name, id string) {
	p := filepath.Join(e.namesDir(), name)
	if owner, err := os.ReadFile(p); err == nil && string(owner) == id {
		os.Remove(p)
	}
}

func (e *Engine) containerExists(id string) bool {
	_, err := os.Stat(filepath.Join(e.containerDir(id), "container.json"))
	return err == nil
}

// saveConfig rewrites a container's container.json (rename, and the ID
// maps --userns=auto picks).
func (e *Engine) saveConfig(cfg *ContainerConfig) error {
	return writeJSON(filepath.Join(e.containerDir(cfg.ID), "container.json"), cfg, true)
}

// createRecord writes a container's directory with container.json and
// state.json: it appears whole (built under a temporary name, renamed).
func (e *Engine) createRecord(cfg *ContainerConfig) error {
	if err := os.MkdirAll(e.containersDir(), 0o700); err != nil {
		return err
	}
	// Named after its writer, so that whoever finds it after a crash
	// knows it is no one's (see sweepNew).
	self := os.Getpid()
	start, err := procStart(self)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(e.containersDir(), fmt.Sprintf("%s%d-%d-", newRecordPrefix, self, start))
	if err != nil {
		return err
	}
	testPause("writing-record")
	if err := writeJSON(filepath.Join(tmp, "container.json"), cfg, true); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := writeJSON(filepath.Join(tmp, "state.json"), &ContainerState{Status: StatusCreated}, true); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, e.containerDir(cfg.ID)); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("create record of %s: %w", cfg.ID, err)
	}
	// The rename itself must survive a power cut too.
	return syncDir(e.containersDir())
}

// newRecordPrefix starts the name of a record being written:
// ".new-PID-START-RANDOM", after the process that writes it.
const newRecordPrefix = ".new-"

// sweepNew removes the record being written in containers/name when its
// writer is gone: a create killed while it wrote. It tells whether name
// is such a record at all.
func (e *Engine) sweepNew(name string) bool {
	rest, ok := strings.CutPrefix(name, newRecordPrefix)
	if !ok {
		return false
	}
	var pid int
	var start uint64
	if _, err := fmt.Sscanf(strings.ReplaceAll(rest, "-", " "), "%d %d", &pid, &start); err == nil && alive(pid, start) {
		return true
	}
	os.RemoveAll(filepath.Join(e.containersDir(), name))
	return true
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func (e *Engine) saveState(id string, st *ContainerState) error {
	return writeJSON(filepath.Join(e.containerDir(id), "state.json"), st, false)
}

func (e *Engine) loadState(id string) (*ContainerState, error) {
	var st ContainerState
	if err := readJSON(filepath.Join(e.containerDir(id), "state.json"), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func (e *Engine) loadConfig(id string) (*ContainerConfig, error) {
	var c ContainerConfig
	if err := readJSON(filepath.Join(e.containerDir(id), "container.json"), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// procStart returns a living process's start time (clock ticks since
// boot), the value that tells a PID's current owner from an earlier one.
func procStart(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: skip past its end.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	if f[0] == "Z" || f[0] == "X" || f[0] == "x" {
		// Exited, not yet reaped: an init that is slow to reap orphans
		// must not make a dead monitor look alive.
		return 0, fmt.Errorf("process %d has exited", pid)
	}
	var start uint64
	_, err = fmt.Sscan(f[19], &start)
	return start, err
}
