package images

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/storage"
)

// Image describes a stored image.
type Image = storage.Image

// ImageChanges are Dockerfile-style settings applied on import.
type ImageChanges = storage.ImageChanges

// ParseChanges parses --change instructions (CMD, ENTRYPOINT, ENV,
// WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL) as Dockerfile lines.
func ParseChanges(changes []string) (ImageChanges, error) {
	var c ImageChanges
	for _, ch := range changes {
		instr, arg, _ := strings.Cut(strings.TrimSpace(ch), " ")
		if i := strings.IndexByte(instr, '='); i > 0 {
			instr, arg = instr[:i], instr[i+1:]+" "+arg
		}
		arg = strings.TrimSpace(arg)
		bad := func(why string) error {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--change %q: %s", ch, why))
		}
		switch strings.ToUpper(instr) {
		case "CMD", "ENTRYPOINT":
			words, err := parseCommand(arg)
			if err != nil {
				return c, bad(err.Error())
			}
			if strings.EqualFold(instr, "CMD") {
				c.Cmd = words
			} else {
				c.Entrypoint = words
			}
		case "ENV":
			k, v, ok := strings.Cut(arg, "=")
			if !ok {
				k, v, ok = strings.Cut(arg, " ")
			}
			if !ok || k == "" {
				return c, bad("want ENV KEY=VALUE")
			}
			c.Env = append(c.Env, k+"="+strings.Trim(v, `"`))
		case "WORKDIR":
			if !strings.HasPrefix(arg, "/") {
				return c, bad("WORKDIR must be an absolute path")
			}
			c.WorkingDir = arg
		case "USER":
			c.User = arg
		case "LABEL":
			k, v, ok := strings.Cut(arg, "=")
			if !ok {
				return c, bad("want LABEL KEY=VALUE")
			}
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[k] = strings.Trim(v, `"`)
		case "EXPOSE":
			if c.ExposedPorts == nil {
				c.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range strings.Fields(arg) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				c.ExposedPorts[p] = struct{}{}
			}
		case "VOLUME":
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			paths := strings.Fields(arg)
			if strings.HasPrefix(arg, "[") {
				if err := json.Unmarshal([]byte(arg), &paths); err != nil {
					return c, bad("bad JSON array: " + err.Error())
				}
			}
			for _, v := range paths {
				c.Volumes[v] = struct{}{}
			}
		case "STOPSIGNAL":
			c.StopSignal = arg
		default:
			return c, bad("unknown instruction " + instr)
		}
	}
	return c, nil
}

// parseCommand reads a CMD/ENTRYPOINT argument: a JSON array, or a shell
// form run by /bin/sh -c.
func parseCommand(arg string) ([]string, error) {
	if strings.HasPrefix(arg, "[") {
		var words []string
		if err := json.Unmarshal([]byte(arg), &words); err != nil {
			return nil, fmt.Errorf("bad JSON array: %v", err)
		}
		return words, nil
	}
	if arg == "" {
		return nil, errors.New("empty command")
	}
	return []string{"/bin/sh", "-c", arg}, nil
}

// ImageSummary is one name of an image (or the image, if it has none),
// as `images` lists it.
type ImageSummary struct {
	*Image
	// Repository and Tag are "<none>" for an image without a name.
	Repository, Tag string
}

// List returns the stored images, one entry per name, newest first or
// in o.Sort's order, those o.Filters keep (reference= keeps the names it
// matches).
func (e *Service) List(o ListOptions) ([]ImageSummary, error) {
	less, ok := imageSorters[cmp.Or(o.Sort, "created")]
	if !ok {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--sort %q: use created, id, repository, size or tag", o.Sort))
	}
	if err := e.Open(); err != nil {
		return nil, err
	}
	between, err := e.Store.Intermediate()
	if err != nil {
		return nil, backend.StorageErr(err)
	}
	f, err := parseFilters(o.Filters, time.Now(), e.Get, func(id string) bool {
		ctrs, err := e.Store.ImageContainers(id)
		return err == nil && len(ctrs) > 0
	}, func(id string) bool { return between[id] })
	if err != nil {
		return nil, err
	}
	imgs, err := e.Store.Images()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(imgs, func(i, j int) bool { return imgs[i].Created.After(imgs[j].Created) })
	var out []ImageSummary
	for _, img := range imgs {
		if !f.match(img) || between[img.ID] && !o.All {
			continue
		}
		if len(img.Names) == 0 && f.name == nil {
			out = append(out, ImageSummary{Image: img, Repository: "<none>", Tag: "<none>"})
		}
		// Its tagged names, one row each; an image known only by
		// digest shows its repositories with no tag, as in Podman.
		var rows, untagged []ImageSummary
		for _, n := range img.Names {
			if f.name != nil && !f.name(n) {
				continue
			}
			repo, tag := storage.SplitName(n)
			row := ImageSummary{Image: img, Repository: repo, Tag: tag}
			switch {
			case tag != "<none>":
				rows = append(rows, row)
			case !slices.Contains(untagged, row):
				untagged = append(untagged, row)
			}
		}
		if len(rows) == 0 {
			rows = untagged
		}
		out = append(out, rows...)
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out, nil
}

// imageSorters order images for List: each says whether a goes before b.
var imageSorters = map[string]func(a, b ImageSummary) bool{
	"created":    func(a, b ImageSummary) bool { return a.Created.After(b.Created) },
	"id":         func(a, b ImageSummary) bool { return a.ID < b.ID },
	"repository": func(a, b ImageSummary) bool { return a.Repository < b.Repository },
	"tag":        func(a, b ImageSummary) bool { return a.Tag < b.Tag },
	"size":       func(a, b ImageSummary) bool { return a.Size < b.Size },
}

// Get returns one image by name or ID.
func (e *Service) Get(name string) (*Image, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	img, err := e.Store.Image(name)
	return img, backend.StorageErr(err)
}

// Tag adds newName to the image name refers to.
func (e *Service) Tag(name, newName string) error {
	if err := e.Open(); err != nil {
		return err
	}
	if err := e.Store.Tag(name, newName); err != nil {
		return backend.StorageErr(err)
	}
	e.nameEvent(name, newName, "tag")
	return nil
}

// nameEvent records an event of the image name refers to, named as.
func (e *Service) nameEvent(name, as, status string) {
	if img, err := e.Store.Resolve(name); err == nil {
		full, _ := storage.NormalizeName(as)
		e.Event(img.ID, full, status)
	}
}

// Untag removes names from an image, all of them when none is given.
func (e *Service) Untag(name string, names []string) error {
	if err := e.Open(); err != nil {
		return err
	}
	img, err := e.Store.Resolve(name)
	if err != nil {
		return backend.StorageErr(err)
	}
	if err := e.Store.Untag(name, names); err != nil {
		return backend.StorageErr(err)
	}
	if len(names) == 0 {
		names = img.Names
	}
	for _, n := range names {
		full, _ := storage.NormalizeName(n)
		e.Event(img.ID, full, "untag")
	}
	return nil
}

// RemoveResult is what a removal untagged and deleted.
type RemoveResult = storage.RemoveResult

// Remove untags or deletes an image; with force, deleting it first
// removes the containers that use it.
func (e *Service) Remove(ctx context.Context, name string, force, prune bool) (*storage.RemoveResult, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	var id string
	if img, err := e.Store.Resolve(name); err == nil {
		id = img.ID
	}
	var parents []string
	if prune {
		parents, _ = e.Store.Parents(name)
	}
	res, err := e.Store.RemoveImage(name, force, func(ids []string) error {
		for _, id := range ids {
			if err := e.RemoveContainer(ctx, id, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, n := range res.Untagged {
			e.Event(id, n, "untag")
		}
		if res.Deleted != "" {
			e.Event(res.Deleted, name, "remove")
		}
	}
	if err != nil || res.Deleted == "" {
		return res, backend.StorageErr(err)
	}
	// The build's images under it that nothing else is built on now go
	// too, nearest first, as Podman's rmi without --no-prune.
	for _, p := range parents {
		between, err := e.Store.Intermediate()
		if err != nil || between[p] {
			break
		}
		inUse := errors.New("in use")
		if _, err := e.Store.RemoveImage(p, false, func([]string) error { return inUse }); err != nil {
			break
		}
		res.Parents = append(res.Parents, p)
	}
	return res, nil
}

// RemoveAll removes every image with all its names, as rmi --all does;
// an image that containers use stays unless force, which removes them
// first. It goes on past a failure and returns the results and the last
// failure.
func (e *Service) RemoveAll(ctx context.Context, force bool) ([]*storage.RemoveResult, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	imgs, err := e.Store.Images()
	if err != nil {
		return nil, err
	}
	var out []*storage.RemoveResult
	var last error
	for _, img := range imgs {
		// By ID with force, which takes every name; containers that
		// use it go only when the user forced.
		res, err := e.Store.RemoveImage(img.ID, true, func(ids []string) error {
			if !force {
				return errdefs.WithClass(errdefs.ErrInUse, fmt.Errorf("image %.12s is used by container %.12s: remove the container or use --force", img.ID, ids[0]))
			}
			for _, id := range ids {
				if err := e.RemoveContainer(ctx, id, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			last = backend.StorageErr(err)
			continue
		}
		out = append(out, res)
	}
	return out, last
}

// ImageInspect is `image inspect` output, with Podman's field names.
type ImageInspect struct {
	ID           string                `json:"Id"`
	Digest       string                `json:"Digest"`
	RepoTags     []string              `json:"RepoTags"`
	RepoDigests  []string              `json:"RepoDigests"`
	Created      time.Time             `json:"Created"`
	Config       imgspecv1.ImageConfig `json:"Config"`
	Author       string                `json:"Author"`
	Architecture string                `json:"Architecture"`
	Os           string                `json:"Os"`
	Size         int64                 `json:"Size"`
	VirtualSize  int64                 `json:"VirtualSize"`
	GraphDriver  map[string]string     `json:"GraphDriver"`
	RootFS       InspectRootFS         `json:"RootFS"`
	NamesHistory []string              `json:"NamesHistory"`
	Labels       map[string]string     `json:"Labels"`
	History      []imgspecv1.History   `json:"History"`
	Annotations  map[string]string     `json:"Annotations,omitempty"`
	ManifestType string                `json:"ManifestType"`
	// Healthcheck is the image's HEALTHCHECK, as Podman shows it.
	Healthcheck *dockerspec.HealthcheckConfig `json:"Healthcheck,omitempty"`
}

// InspectRootFS lists an image's layers by diff ID, as Podman shows them.
type InspectRootFS struct {
	Type   string          `json:"Type"`
	Layers []digest.Digest `json:"Layers"`
}

// Inspect returns the inspect record of an image.
func (e *Service) Inspect(name string) (*ImageInspect, error) {
	img, err := e.Get(name)
	if err != nil {
		return nil, err
	}
	c := img.Config
	out := &ImageInspect{
		ID: img.ID, Digest: img.Digest.String(), RepoTags: []string{}, RepoDigests: []string{},
		Created: img.Created, Config: c.Config.ImageConfig, Author: c.Author, Healthcheck: c.Config.Healthcheck,
		Architecture: c.Architecture, Os: c.OS, Size: img.Size, VirtualSize: img.Size,
		GraphDriver: map[string]string{"Name": e.Store.Driver()},
		RootFS:      InspectRootFS{Type: c.RootFS.Type, Layers: c.RootFS.DiffIDs}, Labels: c.Config.Labels, History: c.History,
		ManifestType: e.Store.ManifestType(img.ID), Annotations: e.Store.Annotations(img.ID), NamesHistory: append([]string{}, img.NamesHistory...),
	}
	for _, n := range img.Names {
		repo, tag := storage.SplitName(n)
		if tag != "<none>" {
			out.RepoTags = append(out.RepoTags, n)
		}
		if d := repo + "@" + img.Digest.String(); img.Digest != "" && !slices.Contains(out.RepoDigests, d) {
			out.RepoDigests = append(out.RepoDigests, d)
		}
	}
	return out, nil
}

// HistoryEntry is one step of an image's history.
type HistoryEntry = storage.HistoryEntry

// History returns an image's build steps, newest first.
func (e *Service) History(name string) ([]HistoryEntry, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	h, err := e.Store.History(name)
	return h, backend.StorageErr(err)
}

// Prune removes the images no container uses that match the filters
// (those of List): unnamed ones only, unless all. It returns their IDs.
func (e *Service) Prune(all bool, external func(ctr string) bool, filters []string) ([]string, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	between, err := e.Store.Intermediate()
	if err != nil {
		return nil, backend.StorageErr(err)
	}
	f, err := parseFilters(filters, time.Now(), e.Get, func(string) bool { return false }, func(id string) bool { return between[id] })
	if err != nil {
		return nil, err
	}
	imgs, err := e.Store.Images()
	if err != nil {
		return nil, err
	}
	var removed []string
	for again := true; again; {
		// A build's image goes once the image on it went: again.
		again = false
		if len(removed) > 0 {
			if imgs, err = e.Store.Images(); err != nil {
				return removed, err
			}
			if between, err = e.Store.Intermediate(); err != nil {
				return removed, backend.StorageErr(err)
			}
		}
		for _, img := range imgs {
			if slices.Contains(removed, img.ID) {
				continue
			}
			n := len(removed)
			if err := e.pruneOne(img, all, external, f, between, &removed); err != nil {
				return removed, err
			}
			again = again || len(removed) > n && !all
		}
	}
	return removed, nil
}

// pruneOne removes img if prune should: unused (with external, but by
// containers scow has no record of that external lets go, which go),
// and without --all nameless and no build's cache.
func (e *Service) pruneOne(img *storage.Image, all bool, external func(string) bool, f *imageFilter, between map[string]bool, removed *[]string) error {
	if (len(img.Names) > 0 || between[img.ID]) && !all || !f.match(img) || f.name != nil && !slices.ContainsFunc(img.Names, f.name) {
		return nil
	}
	inUse := errors.New("in use")
	_, err := e.Store.RemoveImage(img.ID, true, func(ids []string) error {
		for _, id := range ids {
			if _, err := os.Stat(e.Rec.Dir(id)); external == nil || err == nil || !external(id) {
				return inUse
			}
		}
		for _, id := range ids {
			if err := e.Store.DeleteContainer(id); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, inUse) {
		return nil
	}
	if err != nil {
		return backend.StorageErr(err)
	}
	*removed = append(*removed, img.ID)
	return nil
}

// RegistryOptions are the flags pull, push, login and run --pull share.
type RegistryOptions = storage.RegistryOptions

// Pull policies of run and create, as Podman names them.
const (
	PullMissing = "missing"
	PullAlways  = "always"
	PullNever   = "never"
	PullNewer   = "newer"
)

// Ensure applies a pull policy before a container is created.
func (e *Service) Ensure(ctx context.Context, name, policy string, o RegistryOptions, progress io.Writer) error {
	pull, err := e.needsPull(name, policy)
	if err != nil || !pull {
		return err
	}
	o.Progress = progress
	if _, err := e.Pull(ctx, name, o); err != nil {
		if policy == "" || policy == PullMissing {
			return fmt.Errorf("image %s not known locally, and pulling it failed: %w", name, err)
		}
		return err
	}
	return nil
}

// needsPull tells whether policy has image name pulled before a
// container is made of it.
func (e *Service) needsPull(name, policy string) (bool, error) {
	if err := e.Open(); err != nil {
		return false, err
	}
	switch policy {
	case "", PullMissing:
		_, err := e.Store.Resolve(name)
		if err != nil && !errors.Is(err, storage.ErrImageUnknown) {
			return false, backend.StorageErr(err)
		}
		return err != nil, nil
	case PullNever:
		return false, nil
	case PullAlways, PullNewer:
		// A pull of an unchanged image copies nothing but the manifest.
		return true, nil
	}
	return false, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("pull policy %q: use missing, always, never or newer", policy))
}

// Event records an image event in the events file.
func (e *Service) Event(id, name, status string) {
	e.Rec.Emit(record.Event{Type: "image", Status: status, ID: id, Name: name})
}
