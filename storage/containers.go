package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/idtools"
)

// ErrNoAutoRange is returned for --userns=auto as root when the store's
// AutoNsUser has no subordinate ranges.
var ErrNoAutoRange = errors.New("no subordinate ID ranges")

// IDMapping is how a container's IDs map to this namespace's: no
// mapping, explicit maps, or a free range picked by containers/storage.
type IDMapping struct {
	UIDMap, GIDMap []idtools.IDMap
	Auto           bool
	AutoSize       uint32
}

// CreateContainer makes the read-write layer of container id on top of
// image imageID, with the image's files shifted to the container's ID
// mapping if it has one; it returns the mapping --userns=auto picked. A
// volatile container (--rm, as with Podman) is one that need not survive
// a crash: its store records and its overlay are written without syncs.
func (s *Store) CreateContainer(id, imageID string, m IDMapping, volatile bool) (uids, gids []idtools.IDMap, err error) {
	if m.Auto && !s.opts.Rootless {
		if _, err := idtools.NewIDMappings(s.opts.AutoNsUser, s.opts.AutoNsUser); err != nil {
			return nil, nil, fmt.Errorf("--userns=auto as root takes IDs from the user %q, which has %w in /etc/subuid and /etc/subgid (%v): add them as for Podman, a range no other user has (useradd --system %[1]s; usermod --add-subuids 1000000-1999999 --add-subgids 1000000-1999999 %[1]s)", s.opts.AutoNsUser, ErrNoAutoRange, err)
		}
	}
	o := &cstorage.ContainerOptions{}
	o.UIDMap, o.GIDMap, o.AutoUserNs = m.UIDMap, m.GIDMap, m.Auto
	o.AutoUserNsOpts.Size = m.AutoSize
	o.Volatile = volatile
	ctr, err := s.s.CreateContainer(id, nil, imageID, "", "", o)
	if err != nil {
		return nil, nil, fmt.Errorf("create layer of container %s: %w", id, err)
	}
	if !m.Auto {
		return nil, nil, nil
	}
	return ctr.UIDMap, ctr.GIDMap, nil
}

// Mount mounts container id's root filesystem and returns its path.
func (s *Store) Mount(id string) (string, error) {
	p, err := s.s.Mount(id, "")
	if err != nil {
		return "", fmt.Errorf("mount rootfs of %s: %w", id, err)
	}
	return p, nil
}

// Unmount releases one mount of container id's root filesystem.
func (s *Store) Unmount(id string) error { return s.unmount(id, false) }

// UnmountAll releases every mount of container id's root filesystem,
// whoever made them (unmount --force).
func (s *Store) UnmountAll(id string) error { return s.unmount(id, true) }

func (s *Store) unmount(id string, force bool) error {
	// Not mounted at all: a release that runs twice (killed between the
	// record of a mount and the mount) must not take the count below
	// zero, which would unmount the layer under a later holder.
	if n, err := s.s.Mounted(id); err == nil && n <= 0 && !force {
		return nil
	}
	if _, err := s.s.Unmount(id, force); err != nil && !errors.Is(err, cstorage.ErrContainerUnknown) && !errors.Is(err, cstorage.ErrLayerUnknown) {
		return fmt.Errorf("unmount rootfs of %s: %w", id, err)
	}
	return nil
}

// DeleteContainer removes container id's layer (unmounting it first); a
// container the store does not know is already gone. On a full disk,
// where the store cannot even record the removal, what the container
// wrote is freed first: it goes with the container anyway.
func (s *Store) DeleteContainer(id string) error {
	err := s.deleteContainer(id)
	if errors.Is(err, syscall.ENOSPC) {
		// Whatever it freed, or an attempt before it, try once more.
		s.freeLayer(id)
		err = s.deleteContainer(id)
	}
	return err
}

func (s *Store) deleteContainer(id string) error {
	if _, err := s.s.Unmount(id, true); err != nil && !errors.Is(err, cstorage.ErrContainerUnknown) && !errors.Is(err, cstorage.ErrLayerUnknown) {
		return fmt.Errorf("unmount rootfs of %s: %w", id, err)
	}
	if err := s.s.DeleteContainer(id); err != nil && !errors.Is(err, cstorage.ErrContainerUnknown) && !errors.Is(err, cstorage.ErrNotAContainer) {
		return fmt.Errorf("delete layer of container %s: %w", id, err)
	}
	return nil
}

// freeLayer empties, as far as it can, the files of container id's
// read-write layer.
func (s *Store) freeLayer(id string) {
	c, err := s.s.Container(id)
	if err != nil {
		return
	}
	var dir string
	switch s.s.GraphDriverName() {
	case "overlay":
		d, err := s.s.GraphDriver()
		if err != nil {
			return
		}
		t, ok := d.(interface{ DifferTarget(string) (string, error) })
		if !ok {
			return
		}
		if dir, err = t.DifferTarget(c.LayerID); err != nil {
			return
		}
	case "vfs":
		dir = filepath.Join(s.s.GraphRoot(), "vfs", "dir", c.LayerID)
	default:
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// HasContainer tells whether storage holds a container called ref (name,
// ID or unique ID prefix): scow's, or one another engine (Buildah) made.
func (s *Store) HasContainer(ref string) bool {
	_, err := s.s.Container(ref)
	return err == nil
}

// ContainerSize returns the size of container id's writable layer.
func (s *Store) ContainerSize(id string) (int64, error) {
	c, err := s.s.Container(id)
	if err != nil {
		return 0, fmt.Errorf("container layer of %s: %w", id, err)
	}
	n, err := s.s.DiffSize("", c.LayerID)
	if err != nil {
		return 0, fmt.Errorf("size of container %s: %w", id, err)
	}
	return n, nil
}

// buildOwnerKey is the metadata of CreateBuildContainer's containers.
const buildOwnerKey = "scow-build-owner:"

// CreateBuildContainer makes the read-write layer of container id on
// image imageID ("" for none) for a build's step, marked as the build
// owner's, so that BuildContainers finds it after a killed build.
func (s *Store) CreateBuildContainer(id, imageID, owner string) error {
	if _, err := s.s.CreateContainer(id, nil, imageID, "", buildOwnerKey+owner, nil); err != nil {
		return fmt.Errorf("create layer of build step %.12s: %w", id, err)
	}
	return nil
}

// BuildContainers maps the containers CreateBuildContainer made to their
// builds' owners.
func (s *Store) BuildContainers() map[string]string {
	ctrs, _ := s.s.Containers()
	out := map[string]string{}
	for _, c := range ctrs {
		if owner, ok := strings.CutPrefix(c.Metadata, buildOwnerKey); ok {
			out[c.ID] = owner
		}
	}
	return out
}

// StoredContainer is a container of the store: its layer, whatever made
// it.
type StoredContainer struct {
	ID, ImageID string
	Names       []string
	Created     time.Time
}

// Containers lists the store's containers.
func (s *Store) Containers() ([]StoredContainer, error) {
	ctrs, err := s.s.Containers()
	if err != nil {
		return nil, err
	}
	out := make([]StoredContainer, 0, len(ctrs))
	for _, c := range ctrs {
		out = append(out, StoredContainer{ID: c.ID, ImageID: c.ImageID, Names: c.Names, Created: c.Created})
	}
	return out, nil
}
