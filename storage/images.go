package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/manifest"
	cstorage "go.podman.io/storage"
)

// Image describes a stored image.
type Image struct {
	ID    string
	Names []string
	// NamesHistory are the names the image has had, newest first.
	NamesHistory []string
	Digest       digest.Digest
	Created      time.Time
	Size         int64
	// Config is the image's configuration: OCI's, with Docker's
	// extensions (healthcheck, onbuild, shell).
	Config dockerspec.DockerOCIImage
}

func (s *Store) describe(img *cstorage.Image, withSize bool) (*Image, error) {
	out := &Image{ID: img.ID, Names: img.Names, NamesHistory: img.NamesHistory, Digest: img.Digest, Created: img.Created}
	raw, err := s.s.ImageBigData(img.ID, "sha256:"+img.ID)
	if err == nil {
		err = json.Unmarshal(raw, &out.Config)
	}
	if err != nil {
		return nil, fmt.Errorf("read config of image %s: %w", img.ID, err)
	}
	if out.Config.Created != nil {
		out.Created = *out.Config.Created
	}
	if withSize {
		if out.Size, err = s.s.ImageSize(img.ID); err != nil {
			return nil, fmt.Errorf("size of image %s: %w", img.ID, err)
		}
	}
	return out, nil
}

// ManifestType is the media type of image id's manifest, "" when it has
// none stored.
func (s *Store) ManifestType(id string) string {
	m, err := s.s.ImageBigData(id, cstorage.ImageDigestBigDataKey)
	if err != nil {
		return ""
	}
	return manifest.GuessMIMEType(m)
}

// Annotations are image id's manifest's annotations.
func (s *Store) Annotations(id string) map[string]string {
	m, err := s.s.ImageBigData(id, cstorage.ImageDigestBigDataKey)
	if err != nil || manifest.GuessMIMEType(m) != imgspecv1.MediaTypeImageManifest {
		return nil
	}
	oci, err := manifest.OCI1FromManifest(m)
	if err != nil {
		return nil
	}
	return oci.Annotations
}

// lookup finds the image a user's name or ID means: a full or short ID,
// a full name, or a short name resolved as Podman does for local images.
func (s *Store) lookup(name string) (*cstorage.Image, error) {
	img, _, err := s.lookupByIDOrName(name)
	return img, err
}

// lookupByIDOrName is lookup that also tells whether name matched as a
// (short) ID. A name wins over an ID prefix that happens to spell it.
func (s *Store) lookupByIDOrName(name string) (*cstorage.Image, bool, error) {
	cands, nameErr := candidateNames(name)
	if nameErr == nil {
		for _, c := range cands {
			if img, err := s.s.Image(c); err == nil && slices.Contains(img.Names, c) {
				return img, false, nil
			}
		}
	}
	if id := strings.TrimPrefix(name, "sha256:"); isHex(id) {
		if img, err := s.s.Image(id); err == nil && strings.HasPrefix(img.ID, id) {
			return img, true, nil
		}
	}
	if nameErr != nil {
		return nil, false, nameErr
	}
	if !hasDomain(name) {
		imgs, err := s.s.Images()
		if err != nil {
			return nil, false, fmt.Errorf("list images: %w", err)
		}
		short := strings.TrimPrefix(cands[0], "localhost/")
		for i := range imgs {
			if slices.ContainsFunc(imgs[i].Names, func(n string) bool { return shortMatch(n, short) }) {
				return &imgs[i], false, nil
			}
		}
	}
	return nil, false, fmt.Errorf("%s: %w", name, ErrImageUnknown)
}

// Resolve is Image without the size, which costs a walk of the layers.
func (s *Store) Resolve(name string) (*Image, error) {
	img, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	return s.describe(img, false)
}

// Image returns the image a user's name or ID refers to.
func (s *Store) Image(name string) (*Image, error) {
	img, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	return s.describe(img, true)
}

// Images lists every stored image.
func (s *Store) Images() ([]*Image, error) {
	imgs, err := s.s.Images()
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	out := make([]*Image, 0, len(imgs))
	for i := range imgs {
		d, err := s.describe(&imgs[i], true)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Intermediate lists the images without a name that another image is
// built on, as a build leaves them for its cache: the other image's
// layers hold the first's top layer, or share it with more history.
func (s *Store) Intermediate() (map[string]bool, error) {
	imgs, err := s.s.Images()
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	layers, err := s.s.Layers()
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	parentOf := map[string]string{}
	for _, l := range layers {
		parentOf[l.ID] = l.Parent
	}
	byTop := map[string][]*cstorage.Image{}
	for i := range imgs {
		byTop[imgs[i].TopLayer] = append(byTop[imgs[i].TopLayer], &imgs[i])
	}
	out := map[string]bool{}
	mark := func(p *cstorage.Image) {
		if len(p.Names) == 0 {
			out[p.ID] = true
		}
	}
	for i := range imgs {
		c := &imgs[i]
		for _, p := range byTop[c.TopLayer] {
			if p.ID != c.ID && p.Created.Before(c.Created) {
				mark(p)
			}
		}
		for l := parentOf[c.TopLayer]; l != ""; l = parentOf[l] {
			for _, p := range byTop[l] {
				mark(p)
			}
		}
	}
	return out, nil
}

// Parents lists the images without a name that image name is built on,
// nearest first: a build's intermediate images.
func (s *Store) Parents(name string) ([]string, error) {
	img, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	imgs, err := s.s.Images()
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var out []string
	add := func(top string, older time.Time) {
		var same []cstorage.Image
		for _, p := range imgs {
			if p.TopLayer == top && p.ID != img.ID && len(p.Names) == 0 && (older.IsZero() || p.Created.Before(older)) {
				same = append(same, p)
			}
		}
		slices.SortFunc(same, func(a, b cstorage.Image) int { return b.Created.Compare(a.Created) })
		for _, p := range same {
			out = append(out, p.ID)
		}
	}
	add(img.TopLayer, img.Created)
	for l := img.TopLayer; l != ""; {
		layer, err := s.s.Layer(l)
		if err != nil || layer.Parent == "" {
			break
		}
		l = layer.Parent
		add(l, time.Time{})
	}
	return out, nil
}

// Tag adds a name to an image.
func (s *Store) Tag(name, newName string) error {
	img, err := s.lookup(name)
	if err != nil {
		return err
	}
	full, err := NormalizeName(newName)
	if err != nil {
		return err
	}
	// A name moves: the store drops it from any image that had it.
	return s.s.AddNames(img.ID, []string{full})
}

// Untag removes names from the image name means, every name when none
// is given: the image stays, with no name if it has none left.
func (s *Store) Untag(name string, names []string) error {
	img, err := s.lookup(name)
	if err != nil {
		return err
	}
	drop := img.Names
	if len(names) > 0 {
		drop = nil
		for _, n := range names {
			full, _ := NormalizeName(n)
			i := slices.IndexFunc(img.Names, func(have string) bool { return have == full || shortMatch(have, n) })
			if i < 0 {
				return fmt.Errorf("%s: %w: image %s has no such name", n, ErrImageUnknown, name)
			}
			drop = append(drop, img.Names[i])
		}
	}
	if len(drop) == 0 {
		return nil
	}
	if err := s.s.RemoveNames(img.ID, drop); err != nil {
		return fmt.Errorf("untag %s: %w", strings.Join(drop, ", "), err)
	}
	return nil
}

// RemoveResult says what a removal did, in the order Podman prints it.
type RemoveResult struct {
	Untagged []string
	Deleted  string
	// Parents are the build's images under it that went with it.
	Parents []string
}

// RemoveImage removes name from its image, or the whole image when name
// is its ID or its last name. Deleting an image that containers use, or
// one with several names by its ID, is refused unless force; with force,
// removeContainers is called first with the IDs of those containers.
func (s *Store) RemoveImage(name string, force bool, removeContainers func(ids []string) error) (*RemoveResult, error) {
	img, byID, err := s.lookupByIDOrName(name)
	if err != nil {
		return nil, err
	}
	res := &RemoveResult{}
	if !byID && len(img.Names) > 1 {
		full := s.matchingName(img, name)
		if err := s.s.RemoveNames(img.ID, []string{full}); err != nil {
			return nil, fmt.Errorf("untag %s: %w", full, err)
		}
		res.Untagged = []string{full}
		return res, nil
	}
	if byID && len(img.Names) > 1 && !force {
		return nil, fmt.Errorf("image %s has several names (%s): %w; remove them by name or use --force", name, strings.Join(img.Names, ", "), ErrImageConflict)
	}
	ctrs, err := s.ImageContainers(img.ID)
	if err != nil {
		return nil, err
	}
	if len(ctrs) > 0 {
		if !force {
			return nil, fmt.Errorf("image %s is used by container %s: %w; remove the container or use --force", name, ctrs[0][:12], ErrImageInUse)
		}
		if err := removeContainers(ctrs); err != nil {
			return nil, err
		}
	}
	if _, err := s.s.DeleteImage(img.ID, true); err != nil {
		if errors.Is(err, cstorage.ErrImageUsedByContainer) {
			return nil, fmt.Errorf("image %s: %w", name, ErrImageInUse)
		}
		return nil, fmt.Errorf("delete image %s: %w", img.ID, err)
	}
	res.Untagged = img.Names
	res.Deleted = img.ID
	return res, nil
}

// matchingName returns which of img's names the user's name means.
func (s *Store) matchingName(img *cstorage.Image, name string) string {
	cands, _ := candidateNames(name)
	for _, c := range cands {
		if slices.Contains(img.Names, c) {
			return c
		}
	}
	short := strings.TrimPrefix(cands[0], "localhost/")
	for _, n := range img.Names {
		if shortMatch(n, short) {
			return n
		}
	}
	return img.Names[0]
}

// ImageContainers lists the IDs of containers whose layers sit on image id.
func (s *Store) ImageContainers(id string) ([]string, error) {
	ctrs, err := s.s.Containers()
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []string
	for _, c := range ctrs {
		if c.ImageID == id {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

// ImageChanges are Dockerfile-style settings applied on import.
type ImageChanges struct {
	Cmd, Entrypoint []string
	Env             []string
	WorkingDir      string
	User            string
	Labels          map[string]string
	ExposedPorts    map[string]struct{}
	Volumes         map[string]struct{}
	StopSignal      string
}

// HistoryEntry is one step of an image's history, newest first.
type HistoryEntry struct {
	ID        string // the image ID for the newest step, else "<missing>"
	Created   time.Time
	CreatedBy string
	Size      int64
	Comment   string
}

// History returns an image's build steps with the size of each layer.
func (s *Store) History(name string) ([]HistoryEntry, error) {
	img, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	d, err := s.describe(img, false)
	if err != nil {
		return nil, err
	}
	// Layer sizes, base first.
	var sizes []int64
	for id := img.TopLayer; id != ""; {
		l, err := s.s.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("layer %s of %s: %w", id, name, err)
		}
		sizes = append([]int64{l.UncompressedSize}, sizes...)
		id = l.Parent
	}
	var out []HistoryEntry
	layer := 0
	for _, h := range d.Config.History {
		e := HistoryEntry{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment}
		if h.Created != nil {
			e.Created = *h.Created
		}
		if !h.EmptyLayer && layer < len(sizes) {
			e.Size = sizes[layer]
			layer++
		}
		out = append([]HistoryEntry{e}, out...)
	}
	if len(out) > 0 {
		out[0].ID = img.ID
	}
	return out, nil
}
