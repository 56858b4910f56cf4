package contents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// CopyOptions are the flags of cp.
type CopyOptions struct {
	// Archive keeps owners (-a); otherwise what lands in a container is
	// root's and what lands on the host the caller's.
	Archive bool
	// FollowLink follows a symlink given as the source (-L).
	FollowLink bool
	// Overwrite lets a directory replace a file and a file a directory
	// (--overwrite); otherwise that is an error.
	Overwrite bool
}

// SplitCopyArg reads a cp argument as Docker does: CONTAINER:PATH, or a
// host path (one that is absolute, starts with '.', or has no ':').
func SplitCopyArg(arg string) (container, p string) {
	if filepath.IsAbs(arg) || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	c, rest, ok := strings.Cut(arg, ":")
	if !ok || strings.Contains(c, "/") {
		return "", arg
	}
	return c, rest
}

// Copy copies a file or directory between a container (running or not)
// and the host, or between two containers, following Docker's rules for
// trailing slashes and existing directories. "-" as the host side is a
// tar stream: read from stdin into the container, written to stdout from
// it. Container paths are resolved inside the container's root,
// symlinks included.
func (e *Service) Copy(ctx context.Context, src, dst string, o CopyOptions, stdin io.Reader, stdout io.Writer) error {
	srcCtr, srcPath := SplitCopyArg(src)
	dstCtr, dstPath := SplitCopyArg(dst)
	if srcCtr == "" && dstCtr == "" {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("cp: one side must be CONTAINER:PATH"))
	}
	if err := e.Open(); err != nil {
		return err
	}
	if srcCtr != "" && dstCtr != "" {
		return e.copyBetween(srcCtr, srcPath, dstCtr, dstPath, o)
	}
	if srcCtr != "" {
		return e.copyOut(srcCtr, srcPath, dstPath, o, stdout)
	}
	return e.copyIn(srcPath, dstCtr, dstPath, o, stdin)
}

// copyBetween copies from one container to another through a directory
// of the run root: out under the source's own name, then in by the same
// rules as from the host.
func (e *Service) copyBetween(srcCtr, srcPath, dstCtr, dstPath string, o CopyOptions) error {
	if srcPath == "-" || dstPath == "-" {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("cp: a tar stream (-) goes between a container and the host"))
	}
	tmp, done, err := e.TempDir("cp-")
	if err != nil {
		return err
	}
	defer done()
	base := path.Base(path.Clean("/" + srcPath))
	if base == "/" {
		base = "root"
	}
	staged := filepath.Join(tmp, base)
	if err := e.copyOut(srcCtr, srcPath, staged, o, nil); err != nil {
		return err
	}
	if strings.HasSuffix(srcPath, "/.") {
		staged += "/." // the directory's contents, as asked
	}
	return e.copyIn(staged, dstCtr, dstPath, o, nil)
}

// containerPath resolves p inside container cfg: under one of its bind
// or volume mounts the host side of that mount, else its mounted rootfs.
// It returns the root p is under and p's path below it, symlinks not yet
// resolved, whether the container sees it read-only (a :ro or :O mount,
// whose host side must not change, or a --read-only rootfs), and whether
// it is a file bound on its own (/etc/hosts and the like), to be written
// in place.
func (e *Service) containerPath(cfg *record.Config, rootfs, p string) (root, rel string, readOnly, file bool, err error) {
	p = path.Clean("/" + p)
	root, rel, readOnly = rootfs, p, cfg.ReadOnly
	// The files scow binds over the image's; the user's mounts, made
	// after them, win.
	if name, ok := strings.CutPrefix(p, "/etc/"); ok && slices.Contains(netns.Files(cfg.NoHosts, cfg.NoHostname), name) {
		if _, err := os.Stat(filepath.Join(e.Rec.Dir(cfg.ID), name)); err == nil {
			root, rel, readOnly, file = e.Rec.Dir(cfg.ID), "/"+name, false, true
		}
	}
	best := ""
	for _, m := range cfg.Volumes {
		d := path.Clean(m.Destination)
		if (p != d && !strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/")) || len(d) <= len(best) {
			continue
		}
		switch m.Kind() {
		case record.MountTmpfs:
			return "", "", false, false, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("cp: %s is on a tmpfs of the container, which cp cannot reach", p))
		case record.MountVolume:
			_, vm, err := e.volumes.Lookup(m.Source)
			if err != nil {
				return "", "", false, false, err
			}
			if vm.Type == "tmpfs" {
				return "", "", false, false, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("cp: %s is on a tmpfs volume, which cp cannot reach", p))
			}
			root = vm.Source
		default:
			root = m.Source
		}
		best, rel, readOnly, file = d, "/"+strings.TrimPrefix(p, d), m.ReadOnly || m.Has("O"), false
		if st, err := os.Stat(root); err == nil && st.Mode().IsRegular() {
			// A file bound on its own: its directory is the root.
			root, rel, file = filepath.Dir(root), "/"+filepath.Base(root), true
		}
	}
	return root, rel, readOnly, file, nil
}

// resolveIn resolves rel under root with every symlink kept inside root:
// all but the last element, and the last too when follow is set. The
// user's trailing "/" or "/." is kept.
func resolveIn(root, rel, original string, follow bool) (string, error) {
	dir, base := path.Split(path.Clean(rel))
	var full string
	var err error
	if follow || base == "" || base == "." {
		full, err = securejoin.SecureJoin(root, rel)
	} else {
		full, err = securejoin.SecureJoin(root, dir)
		full = filepath.Join(full, base)
	}
	if err != nil {
		return "", err
	}
	return archive.PreserveTrailingDotOrSeparator(full, original), nil
}

// mountedContainer looks a container up and mounts its rootfs; release
// unmounts it.
func (e *Service) mountedContainer(ref string) (cfg *record.Config, rootfs string, release func(), err error) {
	cfg, err = e.containers.Config(ref)
	if err != nil {
		return nil, "", nil, err
	}
	// A container whose monitor died is reconciled (killed) first: a
	// --rootfs overlay it still used would go with this mount's release.
	if _, err := e.containers.State(context.Background(), cfg.ID); err != nil {
		return nil, "", nil, err
	}
	rootfs, release, err = e.MountRootfs(cfg)
	if err != nil {
		return nil, "", nil, fmt.Errorf("mount the rootfs of %s: %w", cfg.Name, err)
	}
	return cfg, rootfs, release, nil
}

// copyTarget is a path of a container resolved on the host.
type copyTarget struct {
	cfg *record.Config
	// full is the path, under root: the mounted rootfs or the host side
	// of a mount; readOnly says whether the container may not write it,
	// file whether it is a file mounted on its own.
	full, root     string
	readOnly, file bool
	release        func()
}

// inContainer mounts container ref and resolves p in it (see
// containerPath and resolveIn); release unmounts.
func (e *Service) inContainer(ref, p string, follow bool) (*copyTarget, error) {
	cfg, rootfs, release, err := e.mountedContainer(ref)
	if err != nil {
		return nil, err
	}
	t := &copyTarget{cfg: cfg, release: release}
	var rel string
	t.root, rel, t.readOnly, t.file, err = e.containerPath(cfg, rootfs, p)
	if err == nil {
		t.full, err = resolveIn(t.root, rel, p, follow)
	}
	if err != nil {
		release()
		return nil, err
	}
	return t, nil
}

func (e *Service) copyOut(ref, srcPath, dstPath string, o CopyOptions, stdout io.Writer) error {
	t, err := e.inContainer(ref, srcPath, o.FollowLink)
	if err != nil {
		return err
	}
	defer t.release()
	full := t.full
	// Symlinks are resolved already, inside the container.
	info, err := archive.CopyInfoSourcePath(full, false)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("cp: %s:%s does not exist", ref, srcPath))
		}
		return err
	}
	// Packed chrooted in the container's root: a running container that
	// swaps a directory for a symlink meanwhile cannot make us read the
	// host's files.
	dir, base := archive.SplitPathDirEntry(info.Path)
	content, err := chrootarchive.Tar(dir, &archive.TarOptions{
		IncludeFiles: []string{base}, IncludeSourceDir: true,
		RebaseNames: map[string]string{base: info.RebaseName},
	}, t.root)
	if err != nil {
		return err
	}
	defer content.Close()
	if dstPath == "-" {
		_, err := io.Copy(stdout, content)
		return err
	}
	dstInfo, err := archive.CopyInfoDestinationPath(dstPath)
	if err != nil {
		return copyErr(dstPath, err)
	}
	dstDir, prepared, err := archive.PrepareArchiveCopy(content, info, dstInfo)
	if err != nil {
		return copyErr(dstPath, err)
	}
	defer prepared.Close()
	// On the host, without -a, files are the caller's (our namespace's
	// root is the caller); what the container made cannot leave dstDir.
	return copyErr(dstPath, chrootarchive.Untar(prepared, dstDir, &archive.TarOptions{NoLchown: !o.Archive, NoOverwriteDirNonDir: !o.Overwrite}))
}

func (e *Service) copyIn(srcPath, ref, dstPath string, o CopyOptions, stdin io.Reader) error {
	t, err := e.inContainer(ref, dstPath, true)
	if err != nil {
		return err
	}
	defer t.release()
	if t.readOnly {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("cp: %s:%s is on a read-only mount or root filesystem of the container", ref, dstPath))
	}
	if t.cfg.RootfsOverlay {
		// Its overlay keeps changes only while the container runs.
		if st, err := e.Rec.LoadState(t.cfg.ID); err != nil || st.Status != record.StatusRunning {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("cp: %s runs on a --rootfs overlay (:O) whose changes go when it stops: start it first, or copy into %s", ref, t.cfg.Rootfs))
		}
	}
	full, root := t.full, t.root
	opts := &archive.TarOptions{NoOverwriteDirNonDir: !o.Overwrite}
	if srcPath == "-" {
		// A tar from the user goes into an existing directory, and is
		// unpacked chrooted there: nothing in it can reach outside.
		if st, err := os.Stat(full); err != nil || !st.IsDir() {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("cp: %s:%s must be an existing directory to extract a tar stream into", ref, dstPath))
		}
		return copyErr(dstPath, chrootarchive.Untar(stdin, full, opts))
	}
	info, err := archive.CopyInfoSourcePath(srcPath, o.FollowLink)
	if err != nil {
		return copyErr(srcPath, err)
	}
	if t.file {
		return copyErr(dstPath, writeInPlace(info.Path, full))
	}
	var content io.ReadCloser
	if o.Archive {
		content, err = archive.TarResource(info)
	} else {
		// Without -a, what lands in a container is root's, as in Docker.
		dir, base := archive.SplitPathDirEntry(info.Path)
		content, err = archive.TarWithOptions(dir, &archive.TarOptions{
			IncludeFiles: []string{base}, IncludeSourceDir: true,
			RebaseNames: map[string]string{base: info.RebaseName},
			ChownOpts:   &idtools.IDPair{UID: containers.ToNamespace(t.cfg.UIDMap, 0), GID: containers.ToNamespace(t.cfg.GIDMap, 0)},
		})
	}
	if err != nil {
		return err
	}
	defer content.Close()
	dstInfo, err := containerDestination(full)
	if err != nil {
		return copyErr(dstPath, err)
	}
	dir, prepared, err := archive.PrepareArchiveCopy(content, info, dstInfo)
	if err != nil {
		return copyErr(dstPath, err)
	}
	defer prepared.Close()
	// Unpacked chrooted into the container's root, so that the
	// container's own symlinks resolve inside it.
	return copyErr(dstPath, chrootarchive.UntarWithRoot(prepared, dir, opts, root))
}

// writeInPlace copies the regular file src over the file dst, keeping
// dst's inode: dst is bound into a running container, which would not
// see a new file put in its place. Such files are small: src is read
// whole first, so that a failed read leaves dst as it was.
func writeInPlace(src, dst string) error {
	st, err := os.Lstat(src) // a link is followed only with -L, which resolved it
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		if st.IsDir() {
			return archive.ErrCannotCopyDir
		}
		return fmt.Errorf("%s is not a regular file: only a file can be copied over a file bound into the container", src)
	}
	const max = 16 << 20
	if st.Size() > max {
		return fmt.Errorf("%s is bigger than the %d MiB cp writes over a file bound into the container", src, max>>20)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	if _, err := out.Write(data); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// containerDestination describes a resolved destination in a container:
// like archive.CopyInfoDestinationPath, without following symlinks out.
func containerDestination(full string) (archive.CopyInfo, error) {
	info := archive.CopyInfo{Path: full}
	st, err := os.Stat(full)
	switch {
	case err == nil:
		info.Exists, info.IsDir = true, st.IsDir()
	case !errors.Is(err, os.ErrNotExist):
		return info, err
	default:
		parent, _ := archive.SplitPathDirEntry(full)
		if st, err := os.Stat(parent); err != nil || !st.IsDir() {
			return info, fmt.Errorf("%w: its parent directory does not exist", os.ErrNotExist)
		}
	}
	return info, nil
}

// copyErr says which path a copy error is about, in Docker's words.
func copyErr(p string, err error) error {
	switch {
	case errors.Is(err, archive.ErrDirNotExists):
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("cp: destination directory %s does not exist", p))
	case errors.Is(err, archive.ErrCannotCopyDir):
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("cp: cannot copy a directory to the file %s", p))
	case err == nil:
		return nil
	case errors.Is(err, os.ErrNotExist):
		return errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("cp: %s: %w", p, err))
	}
	return fmt.Errorf("cp %s: %w", p, err)
}
