package volumes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/storage"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// Volume is a named volume as volume inspect shows it.
type Volume = storage.Volume

func (e *Service) volumes() *storage.Volumes {
	return storage.OpenVolumes(e.VolumesDir())
}

// VolumeCreateOptions are the flags of volume create.
type VolumeCreateOptions struct {
	Name string
	// Driver is --driver: "local" (or empty), the only one.
	Driver string
	Labels []string
	// Opts are --opt KEY=VALUE: type, o, device.
	Opts []string
	// IgnoreExisting returns an existing volume of the name unchanged.
	IgnoreExisting bool
	// UID and GID own the volume's top directory (--uid, --gid): the
	// local driver's o=uid=N,gid=N.
	UID, GID *int
}

// Create makes a named volume; without a name it gets a random one.
func (e *Service) Create(o VolumeCreateOptions) (*Volume, error) {
	if o.Driver != "" && o.Driver != "local" {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("volume driver %q: scow has the local driver only", o.Driver))
	}
	labels, err := specgen.ParseLabels(o.Labels)
	if err != nil {
		return nil, err
	}
	opts, err := specgen.ParseKeyValues("--opt", o.Opts)
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = record.NewID()
	}
	// A volume's owner and data are those of the user namespace.
	if err := e.Open(); err != nil {
		return nil, err
	}
	unlock, err := e.volumes().Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if o.IgnoreExisting {
		if v, err := e.volumes().Get(o.Name); err == nil {
			return v, nil
		}
	}
	if opts == nil {
		opts = map[string]string{}
	}
	for _, id := range []struct {
		key string
		n   *int
	}{{"uid", o.UID}, {"gid", o.GID}} {
		if id.n != nil {
			opts["o"] = strings.TrimPrefix(opts["o"]+","+id.key+"="+strconv.Itoa(*id.n), ",")
		}
	}
	v, err := e.volumes().Create(Volume{Name: o.Name, Labels: labels, Options: opts})
	if err == nil {
		e.Rec.ObjectEvent("volume", v.Name, v.Name, "create")
	}
	return v, backend.StorageErr(err)
}

// List returns the volumes matching every filter: name=, label=KEY[=VALUE],
// driver=, opt=KEY[=VALUE], scope=, dangling=true|false, until=TIME.
func (e *Service) List(filters []string) ([]*Volume, error) {
	var preds []func(*Volume) bool
	now := time.Now()
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		p, ok, err := specgen.UsageFilter("volume", k, v, now, e.volumeUsers)
		switch {
		case err != nil:
			return nil, err
		case ok:
			preds = append(preds, func(vol *Volume) bool { return p(vol.Name, vol.CreatedAt) })
		default:
			if err := storage.CheckVolumeFilter(k); err != nil {
				return nil, backend.StorageErr(err)
			}
			preds = append(preds, func(vol *Volume) bool { return vol.Match(k, v) })
		}
	}
	all, err := e.volumes().List()
	if err != nil {
		return nil, err
	}
	var out []*Volume
	for _, vol := range all {
		if !slices.ContainsFunc(preds, func(p func(*Volume) bool) bool { return !p(vol) }) {
			out = append(out, vol)
		}
	}
	return out, nil
}

// Inspect reads a volume's record.
func (e *Service) Inspect(name string) (*Volume, error) {
	v, err := e.volumes().Get(name)
	return v, backend.StorageErr(err)
}

// volumeUsers maps volume names to the containers that mount them.
func (e *Service) volumeUsers() (map[string][]string, error) {
	return e.Rec.Users("volumes", func(cfg *record.Config) (keys []string) {
		for _, m := range cfg.Volumes {
			if m.Kind() == record.MountVolume {
				keys = append(keys, m.Source)
			}
		}
		return keys
	})
}

// Remove removes a volume no container uses; with force, the
// containers that use it go first (stopped within timeout seconds when
// given, else killed), as with Podman.
func (e *Service) Remove(ctx context.Context, name string, force bool, timeout *int) error {
	if err := e.Open(); err != nil {
		return err
	}
	return e.RemoveUnused(ctx, "volume", name, force, timeout, e.volumes().Lock, e.volumeUsers, func() error {
		if err := e.volumes().Remove(name); err != nil {
			return backend.StorageErr(err)
		}
		e.Rec.ObjectEvent("volume", name, name, "remove")
		return nil
	})
}

// Prune removes the volumes no container uses that match the filters
// (those of List), named ones too, as Podman's does (Docker's, since
// 23.0, keeps named ones unless asked), and returns their names.
func (e *Service) Prune(filters []string) ([]string, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	unlock, err := e.volumes().Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	vols, err := e.List(append(slices.Clone(filters), "dangling=true"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range vols {
		if err := e.volumes().Remove(v.Name); err != nil {
			return out, err
		}
		out = append(out, v.Name)
	}
	return out, nil
}

// Ensure makes the volumes a new container mounts: named ones
// that do not exist yet and its anonymous ones. The container's record
// exists already, so a volume rm from now on sees the volume in use.
func (e *Service) Ensure(mounts []record.Mount) error {
	unlock, err := e.volumes().Lock()
	if err != nil {
		return err
	}
	defer unlock()
	for _, m := range mounts {
		if m.Kind() != record.MountVolume {
			continue
		}
		if _, err := e.volumes().Get(m.Source); err == nil {
			continue
		}
		if _, err := e.volumes().Create(Volume{Name: m.Source, Anonymous: m.Anonymous}); err != nil {
			return backend.StorageErr(err)
		}
	}
	return nil
}

// RemoveAnonymous removes the anonymous volumes a container that
// is gone mounted (its own, or another's through --volumes-from), but
// not one that another container still mounts. The caller holds no
// container's lock.
func (e *Service) RemoveAnonymous(cfg *record.Config) error {
	if !slices.ContainsFunc(cfg.Volumes, func(m record.Mount) bool { return m.Kind() == record.MountVolume }) {
		return nil
	}
	unlock, err := e.volumes().Lock()
	if err != nil {
		return err
	}
	defer unlock()
	users, err := e.volumeUsers()
	if err != nil {
		return err
	}
	for _, m := range cfg.Volumes {
		if m.Kind() != record.MountVolume || len(users[m.Source]) > 0 {
			continue
		}
		if v, err := e.volumes().Get(m.Source); err == nil && v.Anonymous {
			if err := e.volumes().Remove(m.Source); err != nil && !errors.Is(err, storage.ErrVolumeUnknown) {
				return err
			}
		}
	}
	return nil
}

// FirstUse readies a new volume for its first container: it takes the
// owner of the image's directory at its mount point, or else the
// container's user (owner, in our namespace's IDs), as in Podman, and is
// filled with the image's content there unless nocopy, as in Docker;
// rootfs is the container's mounted root.
func (e *Service) FirstUse(v *Volume, vm storage.VolumeMount, rootfs, dest string, nocopy bool, owner [2]int) error {
	unlock, err := e.volumes().Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if v, err = e.volumes().Get(v.Name); err != nil || !v.NeedsCopyUp {
		return err
	}
	// The path is resolved inside the rootfs: an image's symlink cannot
	// make us copy the host's files.
	src, err := securejoin.SecureJoin(rootfs, dest)
	if err != nil {
		return err
	}
	st, err := os.Stat(src)
	if sys, ok := statOwner(st, err); ok {
		owner = sys
	}
	// An owner given at volume create stays.
	if _, _, given := vm.OwnerIDs(); !given {
		if err := os.Lchown(v.Mountpoint, owner[0], owner[1]); err != nil {
			return fmt.Errorf("give volume %s to the container's user: %w", v.Name, err)
		}
	}
	if err == nil && st.IsDir() && !nocopy {
		if empty, _ := isEmptyDir(v.Mountpoint); empty {
			if err := archive.NewDefaultArchiver().CopyWithTar(src, v.Mountpoint); err != nil {
				return fmt.Errorf("copy %s of the image into volume %s: %w", dest, v.Name, err)
			}
		}
	}
	v.NeedsCopyUp = false
	return e.volumes().Save(v)
}

// Lookup reads a volume's record and how it mounts.
func (e *Service) Lookup(name string) (*Volume, storage.VolumeMount, error) {
	v, err := e.volumes().Get(name)
	if err != nil {
		return nil, storage.VolumeMount{}, backend.StorageErr(err)
	}
	vm, err := v.Mount()
	if err != nil {
		return nil, vm, fmt.Errorf("volume %s: %w", name, backend.StorageErr(err))
	}
	return v, vm, nil
}

// statOwner is the owner of a directory that os.Stat found.
func statOwner(st os.FileInfo, err error) ([2]int, bool) {
	if err != nil || !st.IsDir() {
		return [2]int{}, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return [2]int{}, false
	}
	return [2]int{int(sys.Uid), int(sys.Gid)}, true
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	return len(names) == 0 && err != nil, nil
}

// dataDir is where volume name keeps its data on the host: a tmpfs
// volume has none outside the containers that mount it.
func (e *Service) dataDir(name string) (string, error) {
	if err := e.Open(); err != nil {
		return "", err
	}
	vol, err := e.Inspect(name)
	if err != nil {
		return "", err
	}
	m, err := vol.Mount()
	if err != nil {
		return "", backend.StorageErr(err)
	}
	if m.Type != "bind" {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("volume %s is a %s: its data lives in the containers that mount it, not on the host", name, m.Type))
	}
	return m.Source, nil
}

// Mountpoint is where volume name's data is on the host (volume mount):
// a local volume is a directory, always there.
func (e *Service) Mountpoint(name string) (string, error) {
	return e.dataDir(name)
}

// Export writes the data of volume name to w as a tar archive.
func (e *Service) Export(name string, w io.Writer) error {
	dir, err := e.dataDir(name)
	if err != nil {
		return err
	}
	tar, err := chrootarchive.Tar(dir, &archive.TarOptions{}, dir)
	if err != nil {
		return fmt.Errorf("export volume %s: %w", name, err)
	}
	defer tar.Close()
	if _, err := io.Copy(w, tar); err != nil {
		return fmt.Errorf("export volume %s: %w", name, err)
	}
	return nil
}

// Import unpacks the tar archive r into volume name, over what it has;
// chrooted in the volume, nothing in it reaches outside.
func (e *Service) Import(name string, r io.Reader) error {
	dir, err := e.dataDir(name)
	if err != nil {
		return err
	}
	if err := chrootarchive.Untar(r, dir, &archive.TarOptions{}); err != nil {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("import into volume %s: %w", name, err))
	}
	return nil
}
