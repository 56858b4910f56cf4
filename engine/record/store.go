package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/testhook"
	"golang.org/x/sys/unix"
)

// Store keeps the records of containers under Root: containers/ID/ with
// container.json and state.json, names/NAME reserving names, and the
// events file.
//
// The lock order, the one place it is written: locks nest outermost
// first as
//
//  0. the pods' lock (LockPods), held around a pod's create and removal
//     and a member's create;
//  1. a container's record (Lock);
//  2. the networks' lock (engine/networks) or the volumes' lock
//     (engine/volumes), never both at once;
//  3. the names lock, taken only by a reclaim inside ReserveName.
//
// Whoever holds a lock of a later step never waits for one of an earlier
// step: what runs under the networks' or volumes' lock reads containers'
// records without their locks (Users), and removes a container only
// after letting go.
type Store struct {
	Root string
	// NoEvents writes no events (--events-backend none).
	NoEvents bool
}

// ContainersDir holds a directory per container.
func (s Store) ContainersDir() string { return filepath.Join(s.Root, "containers") }

// NamesDir holds a file per reserved name.
func (s Store) NamesDir() string { return filepath.Join(s.Root, "names") }

// Dir is container id's directory: its records, log and bundle.
func (s Store) Dir(id string) string { return filepath.Join(s.ContainersDir(), id) }

// LogPath is container id's log.
func (s Store) LogPath(id string) string { return filepath.Join(s.Dir(id), "ctr.log") }

// MonitorLog receives what container id's monitor writes on stderr.
func (s Store) MonitorLog(id string) string { return filepath.Join(s.Dir(id), "monitor.log") }

// HalfCreated tells whether the record of cfg was left by a create that
// died before reserving its name: the name is not the record's, and no
// create holds the record's lock.
func (s Store) HalfCreated(cfg *Config) bool {
	if owner, err := os.ReadFile(filepath.Join(s.NamesDir(), cfg.Name)); err == nil && string(owner) == cfg.ID {
		return false
	}
	unlock, err := LockDir(s.Dir(cfg.ID), unix.LOCK_EX|unix.LOCK_NB)
	if err != nil {
		return false
	}
	unlock()
	return true
}

// Lock locks a container's directory: the lock goes with the
// record, and a waiter that gets it after a removal finds no record.
func (s Store) Lock(id string) (func(), error) {
	unlock, err := LockDir(s.Dir(id), unix.LOCK_EX)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no container with ID %.12s", id))
	}
	return unlock, err
}

// ReserveName claims name for id with an O_EXCL file. Records are
// written before names and removed after them, so a name whose owner has
// no record was left by a crash, and is reclaimed.
func (s Store) ReserveName(name, id string) error {
	if err := os.MkdirAll(s.NamesDir(), 0o700); err != nil {
		return err
	}
	p := filepath.Join(s.NamesDir(), name)
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
		if rerr != nil || len(owner) == 0 || s.Exists(string(owner)) {
			return errdefs.WithClass(errdefs.ErrExists, fmt.Errorf("the container name %q is already in use by %.12s: remove that container or choose another name", name, owner))
		}
		// The owner never got a record: reclaim under the names lock,
		// so two reclaimers cannot both win.
		unlock, err := Lock(filepath.Join(s.NamesDir(), ".lock"))
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

// ReleaseName frees name if id holds it.
func (s Store) ReleaseName(name, id string) {
	p := filepath.Join(s.NamesDir(), name)
	if owner, err := os.ReadFile(p); err == nil && string(owner) == id {
		os.Remove(p)
	}
}

// Exists tells whether container id has a record.
func (s Store) Exists(id string) bool {
	_, err := os.Stat(filepath.Join(s.Dir(id), "container.json"))
	return err == nil
}

// SaveConfig rewrites a container's container.json (rename, and the ID
// maps --userns=auto picks).
func (s Store) SaveConfig(cfg *Config) error {
	return WriteJSON(filepath.Join(s.Dir(cfg.ID), "container.json"), cfg, true)
}

// Create writes a container's directory with container.json and
// state.json: it appears whole (built under a temporary name, renamed).
func (s Store) Create(cfg *Config) error {
	if err := os.MkdirAll(s.ContainersDir(), 0o700); err != nil {
		return err
	}
	// Named after its writer, so that whoever finds it after a crash
	// knows it is no one's (see SweepNew).
	self := os.Getpid()
	start, err := ProcStart(self)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(s.ContainersDir(), fmt.Sprintf("%s%d-%d-", newRecordPrefix, self, start))
	if err != nil {
		return err
	}
	testhook.Pause("writing-record")
	if err := WriteJSON(filepath.Join(tmp, "container.json"), cfg, true); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := WriteJSON(filepath.Join(tmp, "state.json"), &State{Status: StatusCreated}, true); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, s.Dir(cfg.ID)); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("create record of %s: %w", cfg.ID, err)
	}
	// The rename itself must survive a power cut too.
	return SyncDir(s.ContainersDir())
}

// newRecordPrefix starts the name of a record being written:
// ".new-PID-START-RANDOM", after the process that writes it.
const newRecordPrefix = ".new-"

// SweepNew removes the record being written in containers/name when its
// writer is gone: a create killed while it wrote. It tells whether name
// is such a record at all.
func (s Store) SweepNew(name string) bool {
	rest, ok := strings.CutPrefix(name, newRecordPrefix)
	if !ok {
		return false
	}
	var pid int
	var start uint64
	if _, err := fmt.Sscanf(strings.ReplaceAll(rest, "-", " "), "%d %d", &pid, &start); err == nil && Alive(pid, start) {
		return true
	}
	os.RemoveAll(filepath.Join(s.ContainersDir(), name))
	return true
}

// SaveState rewrites container id's state.json: not fsynced, as a
// reboot makes it stale anyway.
func (s Store) SaveState(id string, st *State) error {
	return WriteJSON(filepath.Join(s.Dir(id), "state.json"), st, false)
}

// LoadState reads container id's state.json.
func (s Store) LoadState(id string) (*State, error) {
	var st State
	if err := ReadJSON(filepath.Join(s.Dir(id), "state.json"), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// LoadConfig reads container id's container.json.
func (s Store) LoadConfig(id string) (*Config, error) {
	var c Config
	if err := ReadJSON(filepath.Join(s.Dir(id), "container.json"), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// NameOf is a container's name, or its short ID if its record cannot be
// read.
func (s Store) NameOf(id string) string {
	if cfg, err := s.LoadConfig(id); err == nil {
		return cfg.Name
	}
	return id[:12]
}

// Users maps the keys (volume or network names) that keysOf finds in
// each container's record to the containers that have them. It reads
// the records without taking containers' locks, so it may run under the
// volumes' or networks' lock (see Store for the order). A record it cannot read makes it fail: what that container
// uses is unknown.
func (s Store) Users(what string, keysOf func(*Config) []string) (map[string][]string, error) {
	entries, err := os.ReadDir(s.ContainersDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	users := map[string][]string{}
	for _, ent := range entries {
		if strings.HasPrefix(ent.Name(), ".") {
			continue // a create in progress, not yet a container
		}
		cfg, err := s.LoadConfig(ent.Name())
		if errors.Is(err, os.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("cannot tell which %s container %.12s uses: %w: remove it with scow rm -f", what, ent.Name(), err)
		}
		for _, k := range keysOf(cfg) {
			users[k] = append(users[k], cfg.ID)
		}
	}
	return users, nil
}
