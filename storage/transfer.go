//go:build !scow_light

package storage

import (
	"archive/tar"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/directory"
	dockerarchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ociarchive "go.podman.io/image/v5/oci/archive"
	"go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/tarball"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

func policyContext() (*signature.PolicyContext, error) {
	// Local archives carry no signatures to check; registry pulls apply
	// the user's policy.json.
	return signature.NewPolicyContext(&signature.Policy{
		Default: signature.PolicyRequirements{signature.NewPRInsecureAcceptAnything()},
	})
}

func (s *Store) copyImage(ctx context.Context, dest, src types.ImageReference, extraTags ...reference.NamedTagged) error {
	return s.copyTuned(ctx, dest, src, nil, extraTags...)
}

// copyTuned is copyImage with tune, when not nil, changing the settings
// of the copy (a save's compression).
func (s *Store) copyTuned(ctx context.Context, dest, src types.ImageReference, tune func(*types.SystemContext), extraTags ...reference.NamedTagged) error {
	pc, err := policyContext()
	if err != nil {
		return fmt.Errorf("signature policy: %w", err)
	}
	defer pc.Destroy()
	// A local copy keeps no blob info cache: the cache only helps
	// transfers with registries, and on a full disk its writes fail and
	// log errors of their own. Its directory cannot be made under a
	// file, so containers/image keeps it in memory.
	sys := *s.sys
	sys.BlobInfoCacheDir = "/dev/null/scow-no-cache"
	sys.DockerArchiveAdditionalTags = extraTags
	if tune != nil {
		tune(&sys)
	}
	_, err = copy.Image(ctx, pc, dest, src, &copy.Options{SourceCtx: &sys, DestinationCtx: &sys})
	return err
}

// storeRef names a destination in the store: by name, or by the source's
// config digest when the image has no name.
func (s *Store) storeRef(ctx context.Context, name string, src types.ImageReference) (types.ImageReference, error) {
	if name != "" {
		named, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return nil, fmt.Errorf("%q: %w: %v", name, ErrInvalidName, err)
		}
		return istorage.Transport.NewStoreReference(s.s, reference.TagNameOnly(named), "")
	}
	img, err := src.NewImage(ctx, s.sys)
	if err != nil {
		return nil, fmt.Errorf("read image config: %w", err)
	}
	defer img.Close()
	return istorage.Transport.NewStoreReference(s.s, nil, img.ConfigInfo().Digest.Encoded())
}

// ImportOptions shape an imported image: its config changes, its
// history's comment and its platform (empty: the host's).
type ImportOptions struct {
	Changes           ImageChanges
	Message           string
	OS, Arch, Variant string
}

// Import makes a one-layer image from a rootfs tarball (plain or
// compressed) at path, named name (or unnamed), and returns its ID.
func (s *Store) Import(ctx context.Context, path, name string, o ImportOptions) (string, error) {
	ch := o.Changes
	ref, err := tarball.NewReference([]string{path}, nil)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	now := time.Now().UTC()
	cfg := imgspecv1.Image{
		Created:  &now,
		Platform: imgspecv1.Platform{OS: cmp.Or(o.OS, "linux"), Architecture: cmp.Or(o.Arch, runtime.GOARCH), Variant: o.Variant},
		Config: imgspecv1.ImageConfig{
			Env:          ch.Env,
			Cmd:          ch.Cmd,
			Entrypoint:   ch.Entrypoint,
			WorkingDir:   ch.WorkingDir,
			User:         ch.User,
			Labels:       ch.Labels,
			ExposedPorts: ch.ExposedPorts,
			Volumes:      ch.Volumes,
			StopSignal:   ch.StopSignal,
		},
		History: []imgspecv1.History{{Created: &now, CreatedBy: "scow import", Comment: o.Message}},
	}
	if err := ref.(tarball.ConfigUpdater).ConfigUpdate(cfg, nil); err != nil {
		return "", err
	}
	if name != "" {
		if name, err = NormalizeName(name); err != nil {
			return "", err
		}
	}
	dest, err := s.storeRef(ctx, name, ref)
	if err != nil {
		return "", err
	}
	if err := s.copyImage(ctx, dest, ref); err != nil {
		return "", fmt.Errorf("import %s: %w", path, err)
	}
	return s.idOf(dest)
}

func (s *Store) idOf(ref types.ImageReference) (string, error) {
	_, img, err := istorage.ResolveReference(ref)
	if err != nil {
		return "", err
	}
	return img.ID, nil
}

// Load copies every image of a docker-archive or oci-archive at path into
// the store and returns the names (or IDs) loaded.
func (s *Store) Load(ctx context.Context, path string) ([]string, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return s.loadDir(ctx, path)
	}
	format, err := archiveFormat(path)
	if err != nil {
		return nil, err
	}
	if format == "oci-archive" {
		src, err := ociarchive.NewReference(path, "")
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		desc, err := ociarchive.LoadManifestDescriptor(src)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return s.loadOCI(ctx, path, src, desc)
	}
	return s.loadDocker(ctx, path)
}

// loadDir loads what save writes as oci-dir (an OCI layout) or
// docker-dir (containers/image's dir format, which names no image).
func (s *Store) loadDir(ctx context.Context, path string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(path, "oci-layout")); err == nil {
		src, err := layout.NewReference(path, "")
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		desc, err := layout.LoadManifestDescriptor(src)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return s.loadOCI(ctx, path, src, desc)
	}
	if _, err := os.Stat(filepath.Join(path, "manifest.json")); err != nil {
		return nil, fmt.Errorf("%s is not an image directory: it has neither oci-layout nor manifest.json", path)
	}
	src, err := directory.NewReference(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	dest, err := s.storeRef(ctx, "", src)
	if err != nil {
		return nil, err
	}
	if err := s.copyImage(ctx, dest, src); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	id, err := s.idOf(dest)
	return []string{"sha256:" + id}, err
}

// archiveFormat tells an OCI archive (it has oci-layout) from a Docker
// one (manifest.json) by their entries.
func archiveFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read archive: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	docker := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%s is not an image archive: %w", path, err)
		}
		switch strings.TrimPrefix(h.Name, "./") {
		case "oci-layout":
			return "oci-archive", nil
		case "manifest.json":
			docker = true
		}
	}
	if docker {
		return "docker-archive", nil
	}
	return "", fmt.Errorf("%s is not an image archive: it has neither oci-layout nor manifest.json", path)
}

func (s *Store) loadDocker(ctx context.Context, path string) ([]string, error) {
	r, err := dockerarchive.NewReader(s.sys, path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer r.Close()
	images, err := r.List()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var loaded []string
	for _, refs := range images {
		if len(refs) == 0 {
			continue
		}
		// Each of an image's references knows its own tag.
		var tags []string
		for _, ref := range refs {
			t, err := r.ManifestTagsForReference(ref)
			if err != nil {
				return loaded, err
			}
			for _, tag := range t {
				if !slices.Contains(tags, tag) {
					tags = append(tags, tag)
				}
			}
		}
		first := ""
		if len(tags) > 0 {
			first = tags[0]
		}
		dest, err := s.storeRef(ctx, first, refs[0])
		if err != nil {
			return loaded, err
		}
		if err := s.copyImage(ctx, dest, refs[0]); err != nil {
			return loaded, fmt.Errorf("load %s: %w", path, err)
		}
		id, err := s.idOf(dest)
		if err != nil {
			return loaded, err
		}
		if len(tags) == 0 {
			loaded = append(loaded, "sha256:"+id)
			continue
		}
		var names []string
		for _, t := range tags {
			n, err := reference.ParseNormalizedNamed(t)
			if err != nil {
				return loaded, fmt.Errorf("tag %q in %s: %w", t, path, err)
			}
			names = append(names, n.String())
		}
		if err := s.s.AddNames(id, names); err != nil {
			return loaded, err
		}
		loaded = append(loaded, names...)
	}
	return loaded, nil
}

// loadOCI loads the OCI image src at path, named as its descriptor desc
// says.
func (s *Store) loadOCI(ctx context.Context, path string, src types.ImageReference, desc imgspecv1.Descriptor) ([]string, error) {
	name := desc.Annotations[imgspecv1.AnnotationRefName]
	if name != "" {
		if _, err := reference.ParseNormalizedNamed(name); err != nil {
			name = "" // a bare tag such as "latest" names nothing here
		}
	}
	dest, err := s.storeRef(ctx, name, src)
	if err != nil {
		return nil, err
	}
	if err := s.copyImage(ctx, dest, src); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if name != "" {
		return []string{dest.DockerReference().String()}, nil
	}
	id, err := s.idOf(dest)
	return []string{"sha256:" + id}, err
}

// SaveOptions are save's: Format is docker-archive (the default, and
// the only one for several images), oci-archive, oci-dir or docker-dir;
// Compress gzips docker-dir's layers, Uncompressed leaves an OCI
// format's layers as the store has them.
type SaveOptions struct {
	Format                 string
	Compress, Uncompressed bool
}

// saveFormats are those SaveOptions.Format may name.
var saveFormats = []string{"docker-archive", "oci-archive", "oci-dir", "docker-dir"}

// Save writes the images names to path as o says. The archive or
// directory is written beside path and renamed into place, so path is
// replaced whole or not at all; a directory replaces only an empty one.
func (s *Store) Save(ctx context.Context, names []string, path string, o SaveOptions) error {
	format := cmp.Or(o.Format, "docker-archive")
	switch {
	case !slices.Contains(saveFormats, format):
		return fmt.Errorf("unknown format %q: use %s", format, strings.Join(saveFormats, ", "))
	case len(names) > 1 && format != "docker-archive":
		return fmt.Errorf("save %s: several images go into a docker-archive only", strings.Join(names, ", "))
	case o.Compress && format != "docker-dir":
		return errors.New("--compress applies to --format docker-dir only")
	case o.Uncompressed && !strings.HasPrefix(format, "oci-"):
		return errors.New("--uncompressed applies to --format oci-archive and oci-dir only")
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".scow-save-")
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "image")
	if len(names) == 1 {
		err = s.saveTo(ctx, names[0], tmp, format, nil, func(sys *types.SystemContext) {
			sys.DirForceCompress, sys.OCIAcceptUncompressedLayers = o.Compress, o.Uncompressed
		})
	} else {
		err = s.saveAll(ctx, names, tmp)
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("save: %s exists and is no empty directory (or file) that the %s can replace: remove it or give another path", path, format)
		}
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// saveAll writes several images into one docker-archive: each image
// once, with every name it was given by.
func (s *Store) saveAll(ctx context.Context, names []string, path string) error {
	var order []string
	byImage := map[string][]string{}
	for _, name := range names {
		img, err := s.lookup(name)
		if err != nil {
			return err
		}
		if byImage[img.ID] == nil {
			order = append(order, img.ID)
		}
		byImage[img.ID] = append(byImage[img.ID], name)
	}
	w, err := dockerarchive.NewWriter(s.sys, path)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	for _, id := range order {
		given := byImage[id]
		img, _ := s.lookup(given[0])
		var extra []reference.NamedTagged
		for _, name := range given[1:] {
			if t := s.taggedName(img, name); t != nil {
				extra = append(extra, t)
			}
		}
		if err := s.saveTo(ctx, given[0], path, "docker-archive", w, nil, extra...); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// taggedName is the stored name of img that name means, when it has a
// tag.
func (s *Store) taggedName(img *cstorage.Image, name string) reference.NamedTagged {
	if len(img.Names) == 0 {
		return nil
	}
	n, err := reference.ParseNormalizedNamed(s.matchingName(img, name))
	if err != nil {
		return nil
	}
	t, _ := n.(reference.NamedTagged)
	return t
}

// saveTo copies image name to path in format, through w when several
// images share one docker-archive, with extraTags besides its own.
func (s *Store) saveTo(ctx context.Context, name, path, format string, w *dockerarchive.Writer, tune func(*types.SystemContext), extraTags ...reference.NamedTagged) error {
	img, err := s.lookup(name)
	if err != nil {
		return err
	}
	src, err := istorage.Transport.NewStoreReference(s.s, nil, img.ID)
	if err != nil {
		return err
	}
	tagged := s.taggedName(img, name)
	var dest types.ImageReference
	switch format {
	case "", "docker-archive":
		if w != nil {
			dest, err = w.NewReference(tagged)
		} else {
			dest, err = dockerarchive.NewReference(path, tagged)
		}
	case "oci-archive":
		dest, err = ociarchive.NewReference(path, ociRefName(tagged))
	case "oci-dir":
		dest, err = layout.NewReference(path, ociRefName(tagged))
	case "docker-dir":
		dest, err = directory.NewReference(path)
	default:
		return fmt.Errorf("unknown format %q: use %s", format, strings.Join(saveFormats, ", "))
	}
	if err != nil {
		return err
	}
	if err := s.copyTuned(ctx, dest, src, tune, extraTags...); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	return nil
}

// ociRefName is what an OCI layout names an image by: its tagged name,
// or nothing.
func ociRefName(tagged reference.NamedTagged) string {
	if tagged == nil {
		return ""
	}
	return tagged.String()
}
