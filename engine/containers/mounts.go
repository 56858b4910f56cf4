package containers

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// completeMounts adds to the user's mounts those of --volumes-from and,
// for each of the image's VOLUMEs that no mount covers, what
// imageVolume says: an anonymous volume ("bind", the default), a tmpfs
// or nothing ("ignore"); anonymous volumes get their names. The host path of a bind
// must exist: Podman, unlike Docker, never creates one, which would turn
// a typo into a new directory.
func (e *Service) completeMounts(mounts []record.Mount, volumesFrom []string, imageVolumes map[string]struct{}, imageVolume string) ([]record.Mount, error) {
	taken := func(dst string) bool {
		return slices.ContainsFunc(mounts, func(m record.Mount) bool { return filepath.Clean(m.Destination) == filepath.Clean(dst) })
	}
	for _, ref := range volumesFrom {
		name, mode, _ := strings.Cut(ref, ":") // checked by Spec.Check
		other, err := e.Config(name)
		if err != nil {
			return nil, fmt.Errorf("--volumes-from: %w", err)
		}
		for _, m := range other.Volumes {
			if m.Kind() == record.MountTmpfs || taken(m.Destination) {
				continue
			}
			m.Anonymous = false // it stays the other container's
			if mode != "" {
				m.ReadOnly = mode == "ro"
			}
			mounts = append(mounts, m)
		}
	}
	paths := slices.Sorted(maps.Keys(imageVolumes))
	for _, p := range paths {
		switch {
		case taken(p) || imageVolume == "ignore":
		case imageVolume == "tmpfs":
			mounts = append(mounts, record.Mount{Type: record.MountTmpfs, Destination: filepath.Clean(p)})
		default:
			mounts = append(mounts, record.Mount{Type: record.MountVolume, Destination: filepath.Clean(p), Anonymous: true})
		}
	}
	for i, m := range mounts {
		switch {
		case m.Kind() == record.MountVolume && m.Source == "":
			mounts[i].Source, mounts[i].Anonymous = record.NewID(), true
		case m.Kind() == record.MountBind:
			if _, err := os.Stat(m.Source); err != nil {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("bind mount of %s: %w: the host path must exist", m.Destination, err))
			}
		}
	}
	return mounts, nil
}

// readOnlyTmpfs are the writable directories of a --read-only container.
var readOnlyTmpfs = []string{"/tmp", "/var/tmp", "/run"}

// specMounts turns the container's mounts into the runtime's, on its
// mounted rootfs: volumes are filled from the image on first use, U
// sources chowned to the container's user, O overlays made afresh.
func (e *Service) specMounts(cfg *record.Config, rootfs string, uid, gid uint32) ([]specs.Mount, error) {
	var out []specs.Mount
	for i, m := range cfg.Volumes {
		var opts []string
		for _, o := range m.Options {
			if o != "U" && o != "O" && o != "nocopy" {
				opts = append(opts, o)
			}
		}
		switch m.Kind() {
		case record.MountTmpfs:
			if m.ReadOnly {
				opts = append(opts, "ro")
			}
			out = append(out, specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: opts})
			continue
		case record.MountVolume:
			v, vm, err := e.volumes.Lookup(m.Source)
			if errors.Is(err, errdefs.ErrNotFound) {
				return nil, fmt.Errorf("volume of %s: %w: create it again with scow volume create", m.Destination, err)
			}
			if err != nil {
				return nil, err
			}
			if vm.Type == "tmpfs" {
				out = append(out, specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: append(vm.Options, opts...)})
				continue
			}
			if v.NeedsCopyUp {
				owner := [2]int{ToNamespace(cfg.UIDMap, uid), ToNamespace(cfg.GIDMap, gid)}
				if err := e.volumes.FirstUse(v, vm, rootfs, m.Destination, m.Has("nocopy"), owner); err != nil {
					return nil, err
				}
			}
			m.Source, opts = vm.Source, append(vm.Options, opts...)
		}
		if _, err := os.Stat(m.Source); err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("bind mount source of %s: %w", m.Destination, err))
		}
		if m.Has("U") {
			if err := chownTree(m.Source, ToNamespace(cfg.UIDMap, uid), ToNamespace(cfg.GIDMap, gid)); err != nil {
				return nil, fmt.Errorf("chown %s for the container's user (U): %w", m.Source, err)
			}
		}
		if m.Has("O") {
			om, err := e.overlayMount(cfg.ID, i, m)
			if err != nil {
				return nil, err
			}
			out = append(out, om)
			continue
		}
		out = append(out, oci.BindMount(m.Source, m.Destination, m.ReadOnly, opts...))
	}
	if cfg.ReadOnly && cfg.ReadOnlyTmpfs {
		for _, d := range readOnlyTmpfs {
			if !slices.ContainsFunc(cfg.Volumes, func(m record.Mount) bool { return filepath.Clean(m.Destination) == d }) {
				out = append(out, specs.Mount{Destination: d, Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "nosuid", "nodev"}})
			}
		}
	}
	return out, nil
}

// mountSources are the host directories of bind mounts.
func mountSources(mounts []specs.Mount) []string {
	var out []string
	for _, m := range mounts {
		if m.Type == "bind" {
			out = append(out, m.Source)
		}
	}
	return out
}

// overlayMount makes an overlay over a host directory whose changes go
// to a fresh upper directory of the container's, dropped at each start.
func (e *Service) overlayMount(id string, n int, m record.Mount) (specs.Mount, error) {
	if strings.ContainsAny(m.Source, ",:") {
		return specs.Mount{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("-v %s:%s:O: an overlay source cannot contain ',' or ':'", m.Source, m.Destination))
	}
	dir := filepath.Join(e.Rec.Dir(id), "overlay", fmt.Sprint(n))
	if err := os.RemoveAll(dir); err != nil {
		return specs.Mount{}, err
	}
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	for _, d := range []string{upper, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return specs.Mount{}, err
		}
	}
	opts := []string{"lowerdir=" + m.Source, "upperdir=" + upper, "workdir=" + work}
	if userns.Rootless() {
		opts = append(opts, "userxattr")
	}
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: m.Destination, Type: "overlay", Source: "overlay", Options: opts}, nil
}

// chownTree gives dir (the user's choice: symlinks to it are followed)
// and everything below it to uid:gid. Below, it goes by descriptors and
// never follows a symlink, so a container that swaps a directory for a
// link meanwhile cannot steer it to other files.
func chownTree(dir string, uid, gid int) error {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fchown(fd, uid, gid); err != nil {
		return err
	}
	return chownBelow(fd, uid, gid)
}

// chownBelow chowns what directory fd holds; fd need not be a directory.
func chownBelow(fd, uid, gid int) error {
	dup, err := unix.Dup(fd)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(dup), "")
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil // not a directory
	}
	for _, name := range names {
		if err := unix.Fchownat(fd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		child, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			continue
		}
		if err != nil {
			return err
		}
		err = chownBelow(child, uid, gid)
		unix.Close(child)
		if err != nil {
			return err
		}
	}
	return nil
}
