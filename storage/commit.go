package storage

import (
	"archive/tar"
	"crypto/sha256"
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
	"go.podman.io/image/v5/manifest"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// CommitOptions describe the image Commit makes.
type CommitOptions struct {
	// Name, if set, is the new image's name.
	Name string
	// Config is the new image's runtime configuration.
	Config          dockerspec.DockerOCIImageConfig
	Author, Message string
	// Format is the manifest's: "oci" or "docker"; "" keeps the base
	// image's.
	Format string
	// Squash makes the image one layer of all the container's files.
	Squash bool
}

// Commit makes an image of container id: its image's layers plus a new
// one holding the container's changes. It returns the image's ID.
func (s *Store) Commit(id string, o CommitOptions) (string, error) {
	ctr, err := s.s.Container(id)
	if err != nil {
		return "", fmt.Errorf("container %.12s: %w", id, err)
	}
	base, err := s.Image(ctr.ImageID)
	if err != nil {
		return "", fmt.Errorf("image of container %.12s: %w", id, err)
	}
	cfg := base.Config
	cfg.Author, cfg.Config = o.Author, o.Config
	var names []string
	if o.Name != "" {
		names = []string{o.Name}
	}
	parent := base.ID
	if o.Squash {
		parent = ""
		if o.Format == "" && s.ManifestType(base.ID) == manifest.DockerV2Schema2MediaType {
			o.Format = "docker" // the base image's, as without squashing
		}
	}
	return s.NewImage(ImageOptions{
		Parent: parent, Container: id, Config: cfg, Format: o.Format, Names: names,
		History: []imgspecv1.History{{CreatedBy: "scow commit", Author: o.Author, Comment: o.Message}},
	})
}

// ImageOptions describe an image NewImage makes.
type ImageOptions struct {
	// Parent is the image it builds on; "" for none (FROM scratch).
	Parent string
	// Container, if set, is the container whose files become the new
	// image's top layer: what differs from Parent's (all of them without
	// Parent). From is an image to take the files of instead: with
	// Parent one of its bases, its layers above Parent squashed into
	// one. Without either the new image has Parent's layers.
	Container, From string
	// Config is the new image's configuration; its RootFS and History
	// are Parent's, with the new layer and History added.
	Config dockerspec.DockerOCIImage
	// History describes the new image's steps, the last the one that
	// made its layer, if it has one; their time is the image's.
	History []imgspecv1.History
	// Created is the image's time; zero: now. FileTimes sets the times of
	// the new layer's files to it too, for a reproducible image.
	Created   time.Time
	FileTimes bool
	// OmitHistory leaves the image without history.
	OmitHistory bool
	// Format is the manifest's: "oci" or "docker"; "" keeps Parent's
	// (oci without one).
	Format string
	// Names are the new image's names.
	Names []string
	// Metadata is kept with the image (a build step's cache key).
	Metadata string
	// Annotations are the manifest's; only an OCI manifest has them.
	Annotations map[string]string
}

// NewImage makes the image o describes and returns its ID. An image of
// the very same configuration already there is that image.
func (s *Store) NewImage(o ImageOptions) (string, error) {
	var parentManifest []byte
	parentLayer := ""
	cfg := o.Config
	cfg.RootFS = imgspecv1.RootFS{Type: "layers"}
	cfg.History = nil
	if o.Parent != "" {
		parent, err := s.s.Image(o.Parent)
		if err != nil {
			return "", fmt.Errorf("image %.12s: %w", o.Parent, err)
		}
		base, err := s.describe(parent, false)
		if err != nil {
			return "", err
		}
		if parentManifest, err = s.s.ImageBigData(parent.ID, cstorage.ImageDigestBigDataKey); err != nil {
			return "", fmt.Errorf("read manifest of image %.12s: %w", parent.ID, err)
		}
		parentLayer = parent.TopLayer
		cfg.RootFS.DiffIDs = slices.Clone(base.Config.RootFS.DiffIDs)
		cfg.History = slices.Clone(base.Config.History)
	}
	names := make([]string, 0, len(o.Names))
	for _, n := range o.Names {
		name, err := NormalizeName(n)
		if err != nil {
			return "", err
		}
		names = append(names, name)
	}
	topLayer, keep := parentLayer, true
	var layer *imgspecv1.Descriptor
	if to, err := s.newLayerSource(o); err != nil {
		return "", err
	} else if to != "" {
		// The diff is spooled first: reading it holds the layer store's
		// lock, which adding the layer needs.
		spool, err := os.CreateTemp(s.GraphRoot(), "commit-*.tar")
		if err != nil {
			return "", err
		}
		defer os.Remove(spool.Name())
		defer spool.Close()
		sum := sha256.New()
		var at time.Time
		if o.FileTimes {
			at = o.Created
		}
		size, err := s.spoolDiff(parentLayer, to, io.MultiWriter(spool, sum), at)
		if err != nil {
			return "", fmt.Errorf("read the files of the new layer: %w", err)
		}
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return "", err
		}
		l, _, err := s.s.PutLayer("", parentLayer, nil, "", false, nil, spool)
		if err != nil {
			return "", fmt.Errorf("store the new layer: %w", err)
		}
		topLayer, keep = l.ID, false
		defer func() {
			if !keep {
				s.s.DeleteLayer(l.ID)
			}
		}()
		diffID := digest.NewDigest(digest.SHA256, sum)
		layer = &imgspecv1.Descriptor{MediaType: imgspecv1.MediaTypeImageLayer, Digest: diffID, Size: size}
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, diffID)
	}
	created := o.Created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	for i, h := range o.History {
		h.Created = &created
		h.EmptyLayer = h.EmptyLayer || layer == nil || i < len(o.History)-1
		cfg.History = append(cfg.History, h)
	}
	cfg.Created = &created
	if o.OmitHistory {
		cfg.History = nil
	}
	config, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	configDigest := digest.FromBytes(config)
	man, err := addLayer(parentManifest, o.Format, configDigest, int64(len(config)), layer, o.Annotations)
	if err != nil {
		return "", fmt.Errorf("image %.12s: %w", o.Parent, err)
	}
	manDigest, err := manifest.Digest(man)
	if err != nil {
		return "", err
	}
	imageID := configDigest.Encoded()
	img, err := s.s.CreateImage(imageID, nil, topLayer, o.Metadata, &cstorage.ImageOptions{
		CreationDate: time.Now(), // when made: what Intermediate orders by, whatever --timestamp says
		Digest:       manDigest,
		BigData: []cstorage.ImageBigDataOption{
			{Key: configDigest.String(), Data: config, Digest: configDigest},
			{Key: cstorage.ImageDigestManifestBigDataNamePrefix + "-" + manDigest.String(), Data: man, Digest: manDigest},
			{Key: cstorage.ImageDigestBigDataKey, Data: man, Digest: manDigest},
		},
	})
	switch {
	case errors.Is(err, cstorage.ErrDuplicateID):
		// The same configuration, to the second: that image.
		if img, err = s.s.Image(imageID); err != nil {
			return "", fmt.Errorf("create the image: %w", err)
		}
	case err != nil:
		return "", fmt.Errorf("create the image: %w", err)
	default:
		keep = true
	}
	if len(names) > 0 {
		// The name moves from any image that had it, as with a pull.
		if err := s.s.AddNames(img.ID, names); err != nil {
			return img.ID, fmt.Errorf("name image %.12s %s: %w", img.ID, strings.Join(names, ", "), err)
		}
	}
	return img.ID, nil
}

// layerTypes maps layer media types between Docker's manifests and
// OCI's: the same bytes, other names.
var layerTypes = [][2]string{
	{manifest.DockerV2SchemaLayerMediaTypeUncompressed, imgspecv1.MediaTypeImageLayer},
	{manifest.DockerV2Schema2LayerMediaType, imgspecv1.MediaTypeImageLayerGzip},
	{manifest.DockerV2Schema2ForeignLayerMediaType, imgspecv1.MediaTypeImageLayerNonDistributable},
	{manifest.DockerV2Schema2ForeignLayerMediaTypeGzip, imgspecv1.MediaTypeImageLayerNonDistributableGzip},
}

// addLayer returns the manifest of parent (nil: none) plus layer, an
// uncompressed one if not nil, with a new config and annotations, as
// format says: "oci", "docker" or "" for the parent's own type (oci
// without a parent).
func addLayer(parent []byte, format string, config digest.Digest, configSize int64, layer *imgspecv1.Descriptor, annotations map[string]string) ([]byte, error) {
	var layers []imgspecv1.Descriptor
	switch mt := manifest.GuessMIMEType(parent); {
	case parent == nil:
		if format == "" {
			format = "oci"
		}
	case mt == manifest.DockerV2Schema2MediaType:
		m, err := manifest.Schema2FromManifest(parent)
		if err != nil {
			return nil, err
		}
		for _, l := range m.LayersDescriptors {
			layers = append(layers, imgspecv1.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, URLs: l.URLs})
		}
		if format == "" {
			format = "docker"
		}
	case mt == imgspecv1.MediaTypeImageManifest:
		m, err := manifest.OCI1FromManifest(parent)
		if err != nil {
			return nil, err
		}
		layers = m.Layers
		if format == "" {
			format = "oci"
		}
	default:
		return nil, fmt.Errorf("its manifest is of type %q, which commit cannot extend", mt)
	}
	if layer != nil {
		layers = append(layers, *layer)
	}
	switch format {
	case "oci":
		for i := range layers {
			layers[i].MediaType = convertLayerType(layers[i].MediaType, 0, 1)
		}
		m := manifest.OCI1FromComponents(imgspecv1.Descriptor{MediaType: imgspecv1.MediaTypeImageConfig, Digest: config, Size: configSize}, layers)
		if len(annotations) > 0 {
			m.Annotations = annotations
		}
		return m.Serialize()
	case "docker":
		if len(annotations) > 0 {
			return nil, errors.New("annotations: a Docker manifest has none: use --format oci")
		}
		var descs []manifest.Schema2Descriptor
		for _, l := range layers {
			t := convertLayerType(l.MediaType, 1, 0)
			if !strings.HasPrefix(t, "application/vnd.docker.") {
				return nil, fmt.Errorf("layer %s is %s, which a Docker manifest cannot hold: commit --format oci", l.Digest, l.MediaType)
			}
			descs = append(descs, manifest.Schema2Descriptor{MediaType: t, Digest: l.Digest, Size: l.Size, URLs: l.URLs})
		}
		return manifest.Schema2FromComponents(manifest.Schema2Descriptor{MediaType: manifest.DockerV2Schema2ConfigMediaType, Digest: config, Size: configSize}, descs).Serialize()
	}
	return nil, fmt.Errorf("--format %q: use oci or docker", format)
}

// convertLayerType names media type t as layerTypes' column to does,
// when column from has it.
func convertLayerType(t string, from, to int) string {
	for _, p := range layerTypes {
		if p[from] == t {
			return p[to]
		}
	}
	return t
}

// newLayerSource is the layer whose files o's new layer holds: its
// Container's or its From image's top layer; "" for none.
func (s *Store) newLayerSource(o ImageOptions) (string, error) {
	switch {
	case o.Container != "":
		ctr, err := s.s.Container(o.Container)
		if err != nil {
			return "", fmt.Errorf("container %.12s: %w", o.Container, err)
		}
		return ctr.LayerID, nil
	case o.From != "":
		img, err := s.s.Image(o.From)
		if err != nil {
			return "", fmt.Errorf("image %.12s: %w", o.From, err)
		}
		if img.TopLayer == "" {
			// An image of no files: an empty layer.
			l, err := s.emptyLayer()
			return l, err
		}
		return img.TopLayer, nil
	}
	return "", nil
}

// emptyLayer returns a layer of no files, made once.
func (s *Store) emptyLayer() (string, error) {
	const name = "scow-empty-layer"
	if l, err := s.s.Layer(name); err == nil {
		return l.ID, nil
	}
	l, err := s.s.CreateLayer("", "", []string{name}, "", false, nil)
	if errors.Is(err, cstorage.ErrDuplicateName) {
		l, err = s.s.Layer(name)
	}
	if err != nil {
		return "", fmt.Errorf("create an empty layer: %w", err)
	}
	return l.ID, nil
}

// spoolDiff writes to w, uncompressed, how layer to's files differ from
// layer from's (all of them for ""); with at set, every file's times are
// at.
func (s *Store) spoolDiff(from, to string, w io.Writer, at time.Time) (int64, error) {
	l, err := s.s.Layer(to)
	if err != nil {
		return 0, err
	}
	if from == "" && l.Parent != "" {
		// Against nothing: an empty layer is nothing.
		if from, err = s.emptyLayer(); err != nil {
			return 0, err
		}
	}
	if from == l.Parent {
		from = "" // the layer's own changes, from its tar-split
	}
	none := archive.Uncompressed
	diff, err := s.s.Diff(from, to, &cstorage.DiffOptions{Compression: &none})
	if err != nil {
		return 0, err
	}
	defer diff.Close()
	if at.IsZero() {
		return io.Copy(w, diff)
	}
	counted := &countingWriter{w: w}
	tr, tw := tar.NewReader(diff), tar.NewWriter(counted)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		h.ModTime, h.AccessTime, h.ChangeTime = at, time.Time{}, time.Time{}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return 0, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return 0, err
		}
	}
	err = tw.Close()
	return counted.n, err
}

// countingWriter counts what goes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Change is one path a container added (A), changed (C) or deleted (D).
type Change struct {
	Kind string `json:"kind"`
	Path string `json:"path"`
}

// Changes lists what container id changed in its image's filesystem.
func (s *Store) Changes(id string) ([]Change, error) {
	ctr, err := s.s.Container(id)
	if err != nil {
		return nil, fmt.Errorf("container %.12s: %w", id, err)
	}
	changes, err := s.s.Changes("", ctr.LayerID)
	if err != nil {
		return nil, fmt.Errorf("changes of container %.12s: %w", id, err)
	}
	out := make([]Change, 0, len(changes))
	for _, c := range changes {
		kind := map[archive.ChangeType]string{archive.ChangeModify: "C", archive.ChangeAdd: "A", archive.ChangeDelete: "D"}[c.Kind]
		if kind == "" {
			return nil, errors.New("unknown kind of change")
		}
		out = append(out, Change{Kind: kind, Path: c.Path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// MarkImage gives image id the metadata (a build step's cache key) and
// takes the name it was pulled by: a build's image pulled from a cache
// repository.
func (s *Store) MarkImage(id, name, metadata string) error {
	if err := s.Untag(id, []string{name}); err != nil && !errors.Is(err, ErrImageUnknown) {
		return err
	}
	return s.s.SetMetadata(id, metadata)
}

// Mounted lists the containers whose layers are mounted, with where.
func (s *Store) Mounted() (map[string]string, error) {
	ctrs, err := s.s.Containers()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range ctrs {
		if n, err := s.s.Mounted(c.ID); err == nil && n > 0 {
			if l, err := s.s.Layer(c.LayerID); err == nil && l.MountPoint != "" {
				out[c.ID] = l.MountPoint
			}
		}
	}
	return out, nil
}

// MountImage mounts the image name means, read-only, and returns where;
// it stays until UnmountImage.
func (s *Store) MountImage(name string) (string, error) {
	img, err := s.lookup(name)
	if err != nil {
		return "", err
	}
	p, err := s.s.MountImage(img.ID, nil, "")
	if err != nil {
		return "", fmt.Errorf("mount image %s: %w", name, err)
	}
	return p, nil
}

// UnmountImage undoes a MountImage of name; with force, every one.
func (s *Store) UnmountImage(name string, force bool) (string, error) {
	img, err := s.lookup(name)
	if err != nil {
		return "", err
	}
	if _, err := s.s.UnmountImage(img.ID, force); err != nil && !errors.Is(err, cstorage.ErrLayerNotMounted) {
		return "", fmt.Errorf("unmount image %s: %w", name, err)
	}
	return img.ID, nil
}

// CopyImage copies the files of the image name means into directory
// dst (owners, modes and links kept): an image's files as a volume.
func (s *Store) CopyImage(name, dst string) error {
	img, err := s.lookup(name)
	if err != nil {
		return err
	}
	// By ID: a tag that moves meanwhile names another image.
	src, err := s.s.MountImage(img.ID, nil, "")
	if err != nil {
		return fmt.Errorf("mount image %s: %w", name, err)
	}
	defer s.s.UnmountImage(img.ID, false)
	if err := CopyTree(src, dst); err != nil {
		return fmt.Errorf("copy the files of image %s: %w", name, err)
	}
	return nil
}

// CopyTree copies directory src to dst, owners, modes and links kept.
func CopyTree(src, dst string) error {
	return archive.NewDefaultArchiver().CopyWithTar(src, dst)
}

// MountedImages maps the IDs of the mounted images to their mount
// points.
func (s *Store) MountedImages() (map[string]string, error) {
	imgs, err := s.s.Images()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, img := range imgs {
		if n, err := s.s.Mounted(img.TopLayer); err == nil && n > 0 {
			if l, err := s.s.Layer(img.TopLayer); err == nil && l.MountPoint != "" {
				out[img.ID] = l.MountPoint
			}
		}
	}
	return out, nil
}

// ImageByMetadata finds the newest image NewImage made with metadata.
func (s *Store) ImageByMetadata(metadata string) (string, bool) {
	imgs, err := s.s.Images()
	if err != nil {
		return "", false
	}
	var newest *cstorage.Image
	for i, img := range imgs {
		if img.Metadata == metadata && (newest == nil || img.Created.After(newest.Created)) {
			newest = &imgs[i]
		}
	}
	if newest == nil {
		return "", false
	}
	return newest.ID, true
}
