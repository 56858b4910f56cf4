//go:build !scow_light

package build

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/oci"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// copyFlags are COPY's and ADD's flags.
type copyFlags struct {
	from, chown, chmod string
	exclude            []string
	// add unpacks local archives and downloads URLs, as ADD does; a
	// download must have checksum (sha256:HEX) if given.
	add      bool
	checksum string
	// parents keeps the sources' directories (COPY --parents).
	parents bool
}

// source is where a COPY reads: the context, or the root of an earlier
// stage's or an image's files.
type source struct {
	root string
	// context says root is the build context.
	context bool
	// ignore is the context's .containerignore; nil for an image.
	ignore *ignore
	// keepOwner keeps the files' owners, as a copy from an image does.
	keepOwner bool
}

// copy carries out a COPY or ADD step: what it copies is packed into a
// tar (whose digest is part of the step's cache key), then unpacked
// chrooted into a layer on the stage's image.
func (b *builder) copy(ctx context.Context, s *state, stage int, text string, sd instructions.SourcesAndDest, fl copyFlags) error {
	src, release, err := b.copySource(ctx, stage, fl.from)
	if err != nil {
		return err
	}
	defer release()
	if len(fl.exclude) > 0 {
		ex, err := newIgnore(fl.exclude)
		if err != nil {
			return err
		}
		src.ignore = src.ignore.and(ex)
	}
	dest := sd.DestPath
	if !path.IsAbs(dest) {
		dest = path.Join("/", s.config.Config.WorkingDir, dest)
		if strings.HasSuffix(sd.DestPath, "/") || sd.DestPath == "." {
			dest += "/"
		}
	}
	mode := int64(-1)
	if fl.chmod != "" {
		m, err := strconv.ParseUint(fl.chmod, 8, 32)
		if err != nil || m > 0o7777 {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--chmod=%s: give octal permissions such as 0755", fl.chmod))
		}
		mode = int64(m)
	}
	spool, err := os.CreateTemp(b.tmp, "copy-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	sum := sha256.New()
	p := &packer{tw: tar.NewWriter(spool), sum: sum, mode: mode, uid: -1, gid: -1}
	if err := b.pack(ctx, p, src, sd, dest, fl); err != nil {
		return err
	}
	if err := p.tw.Close(); err != nil {
		return err
	}
	key := s.cacheKey(text, hex.EncodeToString(sum.Sum(nil))+"\n"+fl.chown)
	if ok, err := b.cached(ctx, s, key); ok || err != nil {
		return err
	}
	// A container layer of the stage's image (or of nothing) receives
	// the files; its changes are the new layer.
	ctr := randomID()
	if err := b.Store.CreateBuildContainer(ctr, s.image, b.tmp); err != nil {
		return backend.StorageErr(err)
	}
	defer b.Store.DeleteContainer(ctr)
	root, err := b.Store.Mount(ctr)
	if err != nil {
		return err
	}
	defer b.Store.Unmount(ctr)
	uid, gid := 0, 0
	if fl.chown != "" {
		u, err := oci.ResolveUser(root, fl.chown)
		if err != nil {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--chown=%s: %w", fl.chown, err))
		}
		uid, gid = int(u.UID), int(u.GID)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	owned := chownTar(spool, uid, gid, fl.chown != "" || !src.keepOwner)
	defer owned.Close()
	if err := chrootarchive.UntarWithRoot(owned, root, &archive.TarOptions{}, root); err != nil {
		return fmt.Errorf("copy into the image: %w", err)
	}
	b.Store.Unmount(ctr)
	return b.commit(ctx, s, ctr, key, imgspecv1.History{CreatedBy: "/bin/sh -c #(nop) " + text})
}

// copySource finds what a COPY reads: the context, or with --from an
// earlier stage's image or any image, mounted until release.
func (b *builder) copySource(ctx context.Context, stage int, from string) (*source, func(), error) {
	if from == "" {
		return &source{root: b.ctx, context: true, ignore: b.ignore}, func() {}, nil
	}
	if dir, ok := b.o.Contexts[from]; ok {
		if ref, isImage := contextImage(dir); isImage {
			from = ref
		} else {
			// A named context: a directory read as the build's own,
			// without its ignore file.
			abs, err := filepath.Abs(dir)
			return &source{root: abs, context: true}, func() {}, err
		}
	}
	var id string
	if j := b.f.stageIndex(from, stage); j >= 0 {
		id = b.result(j)
	} else {
		if err := b.images.Ensure(ctx, from, b.o.Pull, b.o.Registry, b.out); err != nil {
			return nil, nil, err
		}
		img, err := b.Store.Resolve(from)
		if err != nil {
			return nil, nil, backend.StorageErr(err)
		}
		id = img.ID
	}
	if id == "" {
		// A stage of nothing (FROM scratch, no step).
		dir, err := os.MkdirTemp(b.tmp, "empty-")
		if err != nil {
			return nil, nil, err
		}
		return &source{root: dir, keepOwner: true}, func() { os.Remove(dir) }, nil
	}
	root, err := b.Store.MountImage(id)
	if err != nil {
		return nil, nil, err
	}
	return &source{root: root, keepOwner: true}, func() { b.Store.UnmountImage(id, false) }, nil
}

// randomID is a container ID of 64 hex digits.
func randomID() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// packer writes the tar of a COPY: names relative to the image's root,
// with --chmod's mode; its digest covers every header but the times,
// and the contents.
type packer struct {
	tw       *tar.Writer
	sum      io.Writer
	mode     int64
	uid, gid int
}

func (p *packer) add(h *tar.Header, r io.Reader) error {
	h.Name = strings.TrimPrefix(path.Clean(h.Name), "/")
	if h.Typeflag == tar.TypeDir {
		h.Name += "/"
	}
	if p.mode >= 0 {
		h.Mode = p.mode
	}
	h.Uname, h.Gname = "", ""
	fmt.Fprintf(p.sum, "%s %o %d %d %s %d %c\n", h.Name, h.Mode, h.Uid, h.Gid, h.Linkname, h.Size, h.Typeflag)
	if err := p.tw.WriteHeader(h); err != nil {
		return err
	}
	if r != nil {
		_, err := io.Copy(io.MultiWriter(p.tw, p.sum), r)
		return err
	}
	return nil
}

// pack adds the sources (globs, relative to src's root) to p, bound for
// dest: into it where it ends with / or several sources match, else as
// it.
func (b *builder) pack(ctx context.Context, p *packer, src *source, sd instructions.SourcesAndDest, dest string, fl copyFlags) error {
	var matches, kept []string
	intoDir := strings.HasSuffix(dest, "/") || len(sd.SourcePaths)+len(sd.SourceContents) > 1
	for _, h := range sd.SourceContents {
		// A heredoc is a file of its name.
		target := dest
		if intoDir {
			target = path.Join(dest, h.Path)
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: target, Mode: 0o644, Size: int64(len(h.Data)), ModTime: b.started}
		if err := p.add(hdr, strings.NewReader(h.Data)); err != nil {
			return err
		}
	}
	for _, pat := range sd.SourcePaths {
		if isURL(pat) {
			if !fl.add || !src.context {
				return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: only ADD downloads, and only outside --from: COPY copies files", pat))
			}
			if err := b.packURL(ctx, p, pat, dest, intoDir, fl.checksum); err != nil {
				return err
			}
			continue
		}
		if fl.checksum != "" {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("ADD --checksum checks a download: %s is no URL", pat))
		}
		clean := path.Clean("/" + pat)
		m, err := glob(src, clean)
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: no such file or directory in the build context (or excluded by its ignore file)", pat))
		}
		matches = append(matches, m...)
		for _, one := range m {
			kept = append(kept, keptParents(pat, one))
		}
	}
	intoDir = intoDir || len(matches) > 1 || fl.parents
	for i, m := range matches {
		full, err := inRoot(src.root, m)
		if err != nil {
			return err
		}
		st, err := os.Lstat(full)
		if err != nil {
			return err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			// A source named is what its link leads to, inside the
			// root, as Docker copies it; a dangling one stays a link.
			if to, err := securejoin.SecureJoin(src.root, m); err == nil {
				if tst, err := os.Stat(to); err == nil {
					full, st = to, tst
				}
			}
		}
		switch {
		case st.IsDir():
			// A directory's contents go, not the directory.
			into := dest
			if fl.parents {
				into = path.Join(dest, kept[i])
			}
			if err := packTree(p, src, m, full, into); err != nil {
				return err
			}
		case fl.add && src.context && isArchive(full):
			if err := packArchive(p, full, dest); err != nil {
				return fmt.Errorf("ADD %s: %w", m, err)
			}
		default:
			target := dest
			switch {
			case fl.parents:
				target = path.Join(dest, kept[i])
			case intoDir:
				target = path.Join(dest, path.Base(m))
			}
			if err := packFile(p, full, st, target); err != nil {
				return err
			}
		}
	}
	return nil
}

// keptParents is what COPY --parents keeps of the path of a match of
// pattern: all of it, or what follows the pattern's /./, if it has one.
func keptParents(pattern, match string) string {
	if i := strings.Index(pattern, "/./"); i >= 0 {
		pivot := path.Clean("/" + pattern[:i])
		if rel, err := filepath.Rel(pivot, path.Clean("/"+match)); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return match
}

// isURL tells whether a source is a URL, which only ADD takes.
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "git@") || strings.Contains(s, "://")
}

// packURL downloads url and adds it as dest (into it when intoDir, under
// the URL's last path element), mode 0600 and the time the server gives,
// as ADD does; with checksum, the download must match it.
func (b *builder) packURL(ctx context.Context, p *packer, url, dest string, intoDir bool, checksum string) error {
	bad := func(format string, a ...any) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return bad("ADD %s: only http:// and https:// URLs are downloaded (a git repository: RUN git clone)", url)
	}
	want := ""
	if checksum != "" {
		algo, hexSum, ok := strings.Cut(checksum, ":")
		if !ok || algo != "sha256" || len(hexSum) != 64 {
			return bad("ADD --checksum=%s: give sha256:HEX", checksum)
		}
		want = strings.ToLower(hexSum)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return bad("ADD %s: %v", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ADD %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ADD %s: %s", url, resp.Status)
	}
	f, err := os.CreateTemp(b.tmp, "download-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sum := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, sum), resp.Body)
	if err != nil {
		return fmt.Errorf("ADD %s: %w", url, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); want != "" && got != want {
		return bad("ADD %s: its checksum is sha256:%s, not the --checksum given, sha256:%s", url, got, want)
	}
	target := dest
	if intoDir {
		name := path.Base(req.URL.Path)
		if name == "/" || name == "." || name == "" {
			return bad("ADD %s: the URL names no file: give a destination file, not a directory", url)
		}
		target = path.Join(dest, name)
	}
	mtime := time.Now()
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		mtime = t
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return p.add(&tar.Header{Name: target, Mode: 0o600, Size: size, ModTime: mtime, Typeflag: tar.TypeReg}, f)
}

// glob matches pattern (absolute, relative to src's root) in src: its
// files and directories that the ignore file leaves.
func glob(src *source, pattern string) ([]string, error) {
	if !strings.ContainsAny(pattern, "*?[") {
		full, err := inRoot(src.root, pattern)
		if err != nil {
			return nil, err
		}
		if _, err := os.Lstat(full); err != nil || src.ignore.excludes(pattern) {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	found, err := filepath.Glob(filepath.Join(src.root, pattern))
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: %w", pattern, err))
	}
	var out []string
	for _, f := range found {
		rel, err := filepath.Rel(src.root, f)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if full, err := inRoot(src.root, rel); err != nil || full != f {
			continue // found through a link that leaves the root
		}
		if rel = "/" + filepath.ToSlash(rel); !src.ignore.excludes(rel) {
			out = append(out, rel)
		}
	}
	return out, nil
}

// inRoot is where rel is under root, its directories' links resolved
// inside root as if it were /, as a container would see them: an image's
// /x -> /etc, or a context's link, never leads out. The last element
// stays as it is: a link is copied as a link.
func inRoot(root, rel string) (string, error) {
	dir, err := securejoin.SecureJoin(root, filepath.Dir(filepath.Join("/", rel)))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(filepath.Join("/", rel))), nil
}

// packTree adds the tree at full (rel in src) under dest.
func packTree(p *packer, src *source, rel, full, dest string) error {
	return filepath.WalkDir(full, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		sub, _ := filepath.Rel(full, f)
		if sub == "." {
			return nil
		}
		if src.ignore.excludes(path.Join(rel, filepath.ToSlash(sub))) {
			if d.IsDir() && !src.ignore.hasExceptions() {
				return filepath.SkipDir
			}
			return nil
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		return packFile(p, f, st, path.Join(dest, filepath.ToSlash(sub)))
	})
}

// packFile adds the file, directory or link at full as target.
func packFile(p *packer, full string, st fs.FileInfo, target string) error {
	link := ""
	if st.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(full); err != nil {
			return err
		}
	}
	h, err := tar.FileInfoHeader(st, link)
	if err != nil {
		return err
	}
	h.Name = target
	if !st.Mode().IsRegular() {
		h.Size = 0
		return p.add(h, nil)
	}
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	return p.add(h, f)
}

// isArchive tells whether the file at path is a tar, compressed or not,
// which ADD unpacks.
func isArchive(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := archive.DecompressStream(f)
	if err != nil {
		return false
	}
	defer r.Close()
	_, err = tar.NewReader(r).Next()
	return err == nil
}

// packArchive adds the entries of the archive at full under dest.
func packArchive(p *packer, full, dest string) error {
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := archive.DecompressStream(f)
	if err != nil {
		return err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		// Within dest, whatever the archive says: unpacked chrooted in
		// the image, nothing can reach outside it anyway.
		h.Name = path.Join(dest, path.Clean("/"+h.Name))
		if h.Typeflag == tar.TypeLink {
			h.Linkname = path.Join(dest, path.Clean("/"+h.Linkname))
		}
		if err := p.add(h, tr); err != nil {
			return err
		}
	}
}

// chownTar passes a tar through, its entries owned by uid:gid when set.
func chownTar(r io.Reader, uid, gid int, set bool) io.ReadCloser {
	if !set {
		return io.NopCloser(r)
	}
	pr, pw := io.Pipe()
	go func() {
		tr, tw := tar.NewReader(r), tar.NewWriter(pw)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				pw.CloseWithError(tw.Close())
				return
			}
			if err == nil {
				h.Uid, h.Gid = uid, gid
				if err = tw.WriteHeader(h); err == nil {
					_, err = io.Copy(tw, tr)
				}
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}

// ignore is a build context's .containerignore (or .dockerignore): the
// paths COPY and ADD do not see. A nil ignore excludes nothing.
type ignore struct {
	pm []*patternmatcher.PatternMatcher
}

// readIgnore reads file, or the context's .containerignore, else its
// .dockerignore.
func readIgnore(contextDir, file string) (*ignore, error) {
	paths := []string{file}
	if file == "" {
		paths = []string{filepath.Join(contextDir, ".containerignore"), filepath.Join(contextDir, ".dockerignore")}
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) && file == "" {
			continue
		}
		if err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--ignorefile %s: %w", p, err))
		}
		var patterns []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				patterns = append(patterns, l)
			}
		}
		return newIgnore(patterns)
	}
	return nil, nil
}

func newIgnore(patterns []string) (*ignore, error) {
	var clean []string
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		p = strings.TrimPrefix(filepath.Clean("/"+p), "/")
		if neg {
			p = "!" + p
		}
		clean = append(clean, p)
	}
	pm, err := patternmatcher.New(clean)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("ignore patterns: %w", err))
	}
	return &ignore{pm: []*patternmatcher.PatternMatcher{pm}}, nil
}

// and is an ignore excluding what either excludes.
func (i *ignore) and(o *ignore) *ignore {
	if i == nil {
		return o
	}
	return &ignore{pm: append(slices.Clone(i.pm), o.pm...)}
}

// matching serialises the use of patternmatcher's matchers.
var matching sync.Mutex

// excludes tells whether the path (absolute in the context) is ignored.
func (i *ignore) excludes(p string) bool {
	if i == nil {
		return false
	}
	rel := strings.TrimPrefix(path.Clean(p), "/")
	if rel == "" {
		return false
	}
	// A matcher compiles its patterns as it first matches, unlocked, and
	// the stages built at the same time share them.
	matching.Lock()
	defer matching.Unlock()
	for _, pm := range i.pm {
		if m, _ := pm.MatchesOrParentMatches(rel); m {
			return true
		}
	}
	return false
}

// hasExceptions tells whether some pattern is an exception (!), so that
// an excluded directory may still hold included files.
func (i *ignore) hasExceptions() bool {
	return i != nil && slices.ContainsFunc(i.pm, func(pm *patternmatcher.PatternMatcher) bool { return pm.Exclusions() })
}
