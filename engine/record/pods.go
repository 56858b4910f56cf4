package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
)

// Pod exit policies: what the infra container does once the last other
// container of its pod has exited.
const (
	ExitPolicyContinue = "continue"
	ExitPolicyStop     = "stop"
)

// Pod is a pod's record, written at its creation: a group of containers
// that share the namespaces of its infra container. Its members are the
// containers whose Config.Pod is its ID; its infra container is the one
// of them with Config.Infra set. Neither is listed here, so that a crash
// between writing a container and writing the pod loses nothing.
type Pod struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Created time.Time         `json:"created"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Hostname is the pod's host name, the members' when they share its
	// UTS namespace.
	Hostname string `json:"hostname"`
	// Share are the namespaces its members join: net, ipc, uts, pid and
	// cgroup; none without an infra container.
	Share []string `json:"share,omitempty"`
	// Infra tells whether it has an infra container.
	Infra bool `json:"infra"`
	// ExitPolicy is continue or stop.
	ExitPolicy string `json:"exit_policy"`
	// RestartPolicy is the members' unless they give one of their own.
	RestartPolicy RestartPolicy `json:"restart_policy,omitzero"`
	// Volumes are mounted in every member, and so are the mounts of
	// the containers of VolumesFrom (CONTAINER[:ro|rw]).
	Volumes     []Mount  `json:"volumes,omitempty"`
	VolumesFrom []string `json:"volumes_from,omitempty"`
	// CreateCommand is the command line that made it.
	CreateCommand []string `json:"create_command,omitempty"`
	// KeepIDUser is the user its members run as by default when its
	// user namespace is keep-id's.
	KeepIDUser string `json:"keep_id_user,omitempty"`
}

// Shares tells whether the pod's members join its infra container's
// namespace kind (net, ipc, uts, pid, cgroup).
func (p *Pod) Shares(kind string) bool { return slices.Contains(p.Share, kind) }

// PodsDir holds a directory per pod and the pods' lock.
func (s Store) PodsDir() string { return filepath.Join(s.Root, "pods") }

// PodDir is pod id's directory: its record, and files its containers
// mount (kube play's configMap, secret and emptyDir volumes), which go
// with it.
func (s Store) PodDir(id string) string { return filepath.Join(s.PodsDir(), id) }

func (s Store) podFile(id string) string { return filepath.Join(s.PodDir(id), "pod.json") }

// LockPods serialises the creation and removal of pods and of their
// members: it comes before every other lock (see Store). how is LOCK_SH
// (a member's create) or LOCK_EX.
func (s Store) LockPods(how int) (func(), error) {
	if err := os.MkdirAll(s.PodsDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", s.PodsDir(), err)
	}
	return LockMode(filepath.Join(s.PodsDir(), ".lock"), how)
}

// SavePod writes a pod's record, durably.
func (s Store) SavePod(p *Pod) error {
	if err := os.MkdirAll(filepath.Dir(s.podFile(p.ID)), 0o700); err != nil {
		return err
	}
	return WriteJSON(s.podFile(p.ID), p, true)
}

// LoadPod reads pod id's record.
func (s Store) LoadPod(id string) (*Pod, error) {
	var p Pod
	if err := ReadJSON(s.podFile(id), &p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no pod with ID %.12s", id))
		}
		return nil, err
	}
	return &p, nil
}

// RemovePod deletes pod id's directory: renamed first, so that a kill
// while it goes leaves a tombstone the next listing sweeps, not a pod
// without its record.
func (s Store) RemovePod(id string) error {
	gone := filepath.Join(s.PodsDir(), ".gone-"+id)
	if err := os.Rename(s.PodDir(id), gone); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove pod %.12s: %w", id, err)
	}
	return os.RemoveAll(gone)
}

// Pods returns every pod, oldest first.
func (s Store) Pods() ([]*Pod, error) {
	entries, err := os.ReadDir(s.PodsDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	var out []*Pod
	for _, ent := range entries {
		if strings.HasPrefix(ent.Name(), ".gone-") {
			os.RemoveAll(filepath.Join(s.PodsDir(), ent.Name())) // a removal cut short
			continue
		}
		if !ent.IsDir() {
			continue
		}
		p, err := s.LoadPod(ent.Name())
		if err != nil {
			continue // a create cut short before its record
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Pod) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// FindPod is the pod ref names: by name, full ID or an ID prefix.
func (s Store) FindPod(ref string) (*Pod, error) {
	all, err := s.Pods()
	if err != nil {
		return nil, err
	}
	return FindRef(all, ref, "pod", func(p *Pod) (string, string) { return p.Name, p.ID })
}

// FindRef is the one of items that ref names: by its name or full ID,
// or by an ID prefix of three digits or more that only it has. kind
// names the items in errors; nameID gives an item's name and ID.
func FindRef[T any](items []T, ref, kind string, nameID func(T) (string, string)) (T, error) {
	var found []T
	for _, it := range items {
		name, id := nameID(it)
		switch {
		case name == ref || id == ref:
			return it, nil
		case len(ref) >= 3 && strings.HasPrefix(id, ref):
			found = append(found, it)
		}
	}
	var zero T
	switch len(found) {
	case 0:
		return zero, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no such %s: %s", kind, ref))
	case 1:
		return found[0], nil
	}
	return zero, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %s: more than one %s's ID starts so: give more of it", kind, ref, kind))
}

// PodMembers maps each pod's ID to the records of its containers, its
// infra container first, then by creation. Like Users, it takes no
// container's lock.
func (s Store) PodMembers() (map[string][]*Config, error) {
	entries, err := os.ReadDir(s.ContainersDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := map[string][]*Config{}
	for _, ent := range entries {
		// A record that cannot be read (a create in progress, one a
		// crash cut short) is no member that counts.
		if cfg, err := s.LoadConfig(ent.Name()); err == nil && cfg.Pod != "" {
			out[cfg.Pod] = append(out[cfg.Pod], cfg)
		}
	}
	for pod := range out {
		slices.SortFunc(out[pod], func(a, b *Config) int {
			if a.Infra != b.Infra {
				return map[bool]int{true: -1, false: 1}[a.Infra]
			}
			return a.Created.Compare(b.Created)
		})
	}
	return out, nil
}
