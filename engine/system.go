//go:build !scow_light

package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/images"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
)

// PruneOptions are system prune's flags: All removes every unused image,
// not only unnamed ones; Volumes removes unused volumes too; Filters are
// label=KEY[=VALUE] and label!=KEY[=VALUE].
type PruneOptions struct {
	All, Volumes bool
	// Build removes the containers of killed builds; External the
	// store's containers scow has no record of, but running builds'.
	Build, External bool
	Filters         []string
}

// PruneReport says what system prune removed.
type PruneReport struct {
	Containers, Networks, Volumes, Images []string
	// ImageBytes is the size of the images removed.
	ImageBytes int64
}

// Prune removes the stopped containers, the networks and (with Volumes)
// the volumes no container uses, then the unused images, as system
// prune does.
func (e *Engine) Prune(ctx context.Context, o PruneOptions) (*PruneReport, error) {
	for _, f := range o.Filters {
		if k, _, _ := strings.Cut(f, "="); k != "label" && k != "label!" {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--filter %q: system prune filters by label=KEY[=VALUE] or label!=KEY[=VALUE]", f))
		}
	}
	var r PruneReport
	var err error
	if r.Containers, err = e.containers.Prune(ctx, o.Filters); err != nil {
		return &r, err
	}
	if o.Build {
		r.Containers = append(r.Containers, e.build.PruneContainers(ctx)...)
	}
	if o.External {
		ext, err := e.containers.PruneExternal(e.build.Building)
		r.Containers = append(r.Containers, ext...)
		if err != nil {
			return &r, err
		}
	}
	if r.Networks, err = e.networks.Prune(o.Filters); err != nil {
		return &r, err
	}
	if o.Volumes {
		if r.Volumes, err = e.volumes.Prune(o.Filters); err != nil {
			return &r, err
		}
	}
	sizes := map[string]int64{}
	if list, err := e.images.List(images.ListOptions{}); err == nil {
		for _, img := range list {
			sizes[img.ID] = img.Size
		}
	}
	r.Images, err = e.images.Prune(o.All, nil, o.Filters)
	for _, id := range r.Images {
		r.ImageBytes += sizes[id]
	}
	return &r, err
}

// PruneImages is image prune: with external, the images that only
// containers scow has no record of use go with those, but for a running
// build's.
func (e *Engine) PruneImages(all, external bool, filters []string) ([]string, error) {
	var removable func(string) bool
	if external {
		removable = func(id string) bool { return !e.build.Building(id) }
	}
	return e.images.Prune(all, removable, filters)
}

// Boot starts, once the machine started again, the containers whose
// restart policy says so: always, and unless-stopped ones the user did
// not stop. Those running are left as they are, so Boot may run twice.
// It returns the IDs it started; the first failure is its error, after
// it tried the others.
func (e *Engine) Boot(ctx context.Context) ([]string, error) {
	ids, err := e.containers.Select(ctx, containers.Selection{All: true})
	if err != nil {
		return nil, err
	}
	var started []string
	var first error
	for _, id := range ids {
		cfg, err := e.b.Rec.LoadConfig(id)
		if err != nil {
			continue
		}
		// A record of the last boot reads as exited: its monitor is gone.
		st, err := e.containers.State(ctx, id)
		if err != nil || st.Status == record.StatusRunning || st.Status == record.StatusRestarting {
			continue
		}
		switch p := cfg.RestartPolicy.Name; {
		case p == "always", p == "unless-stopped" && !st.StoppedByUser:
		default:
			continue
		}
		if err := e.containers.Start(ctx, id, nil); err != nil {
			if first == nil {
				first = fmt.Errorf("start %s: %w", cfg.Name, err)
			}
			continue
		}
		started = append(started, id)
	}
	return started, first
}

// Reset removes every container, image, volume and network, and then
// empties scow's data and run directories, as system reset does. Volumes
// and images kept elsewhere (--volumepath, --imagestore) go one by one:
// those directories may hold what is not scow's.
func (e *Engine) Reset(ctx context.Context) error {
	for _, dir := range []string{e.b.Opts.Root, e.b.Opts.RunRoot} {
		if home, _ := os.UserHomeDir(); filepath.Clean(dir) == "/" || filepath.Clean(dir) == home {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("system reset: %s is / or your home, not a directory of scow's own: nothing removed", dir))
		}
	}
	ids, err := e.containers.Select(ctx, containers.Selection{All: true})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := e.containers.Remove(ctx, id, containers.RemoveOptions{Force: true, Volumes: true, Depend: true}); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("remove container %.12s: %w", id, err)
		}
	}
	nets, err := e.networks.List(nil)
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Name != netns.DefaultNetwork {
			if _, err := e.networks.Remove(ctx, n.Name, true, nil); err != nil {
				return err
			}
		}
	}
	if _, err := e.volumes.Prune(nil); err != nil {
		return err
	}
	if _, err := e.images.RemoveAll(ctx, true); err != nil {
		return err
	}
	// Removing the files needs the user namespace their owners live in,
	// and storage shut with its mounts undone.
	if err := e.b.Open(); err != nil {
		return err
	}
	if err := e.b.Close(); err != nil {
		return fmt.Errorf("shut storage: %w", err)
	}
	for _, dir := range []string{e.b.Opts.RunRoot, e.b.Opts.Root} {
		if err := removeContents(dir, userns.Dir()); err != nil {
			return err
		}
	}
	return nil
}

// removeContents empties dir, which stays (it may be a mount point), but
// for keep: the user namespace's directory, whose lock its holder and
// this process hold.
func removeContents(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, ent := range entries {
		if filepath.Join(dir, ent.Name()) == filepath.Clean(keep) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, ent.Name())); err != nil {
			return fmt.Errorf("remove %s: %w", filepath.Join(dir, ent.Name()), err)
		}
	}
	return nil
}

// DiskUse is one line of system df, and with its Items one section of
// system df -v.
type DiskUse struct {
	Type              string
	Total, Active     int
	Size, Reclaimable int64
	Items             []DiskItem
}

// DiskItem is an image, container or volume and what it takes.
type DiskItem struct {
	ID, Name string
	Size     int64
	// Users counts the containers that use it (images, volumes); Active
	// is whether it is in use (or running, for a container).
	Users  int
	Active bool
}

// DiskUsage says what images, containers and volumes take on disk, as
// system df does.
func (e *Engine) DiskUsage(ctx context.Context) ([]DiskUse, error) {
	ctrs, err := e.containers.List(ctx, containers.ListOptions{All: true})
	if err != nil {
		return nil, err
	}
	imageUsers, volumeUsers := map[string]int{}, map[string]int{}
	cu := DiskUse{Type: "Containers"}
	for _, c := range ctrs {
		imageUsers[c.Config.ImageID]++
		for _, m := range c.Config.Volumes {
			if m.Kind() == record.MountVolume {
				volumeUsers[m.Source]++
			}
		}
		size, _ := e.containers.Size(c.Config.ID)
		running := c.State.Status == record.StatusRunning || c.State.Status == record.StatusRestarting
		cu.Items = append(cu.Items, DiskItem{ID: c.Config.ID, Name: c.Config.Name, Size: size, Active: running})
	}
	imgs, err := e.images.List(images.ListOptions{})
	if err != nil {
		return nil, err
	}
	iu := DiskUse{Type: "Images"}
	for _, img := range imgs {
		if slices.ContainsFunc(iu.Items, func(d DiskItem) bool { return d.ID == img.ID }) {
			continue // one line per image, not per name
		}
		n := imageUsers[img.ID]
		iu.Items = append(iu.Items, DiskItem{ID: img.ID, Name: img.Repository + ":" + img.Tag, Size: img.Size, Users: n, Active: n > 0})
	}
	vols, err := e.volumes.List(nil)
	if err != nil {
		return nil, err
	}
	vu := DiskUse{Type: "Local Volumes"}
	for _, v := range vols {
		n := volumeUsers[v.Name]
		vu.Items = append(vu.Items, DiskItem{ID: v.Name, Name: v.Name, Size: dirSize(v.Mountpoint), Users: n, Active: n > 0})
	}
	out := []DiskUse{iu, cu, vu}
	for i := range out {
		for _, it := range out[i].Items {
			out[i].Total++
			out[i].Size += it.Size
			if it.Active {
				out[i].Active++
			} else {
				out[i].Reclaimable += it.Size
			}
		}
	}
	return out, nil
}

// dirSize adds up the sizes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
