package backend

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/record"
	"golang.org/x/sys/unix"
)

// A --rootfs DIR:O container runs on an overlay of DIR whose upper and
// work directories, and mount point, are in its record's directory.
// Whoever uses the overlay holds it with a file in its holders directory:
// a cp or an export a locked one while it copies, scow mount one named
// mountHolder and a run one named runHolder, which stay until unmount
// and the run's release. The overlay is mounted by its first holder and
// goes, with its changes, with the last: the files of copies that died
// without letting go are unlocked, and do not count.
const (
	mountHolder = "mount"
	runHolder   = "run"
)

// MountRootfs mounts the root filesystem of container cfg and returns
// where, with the release of this mount: the container's layer in
// storage, the directory of --rootfs, or the overlay over it (:O).
func (b *Backend) MountRootfs(cfg *record.Config) (string, func(), error) {
	switch {
	case cfg.Rootfs == "":
		p, err := b.Store.Mount(cfg.ID)
		if err != nil {
			return "", nil, err
		}
		return p, func() { b.Store.Unmount(cfg.ID) }, nil
	case !cfg.RootfsOverlay:
		return cfg.Rootfs, func() {}, nil
	}
	return b.holdOverlay(cfg, "")
}

// MountRootfsToStay is MountRootfs for scow mount: the mount stays until
// UnmountRootfs.
func (b *Backend) MountRootfsToStay(cfg *record.Config) (string, error) {
	return b.mountHeld(cfg, mountHolder)
}

// MountRootfsForRun is MountRootfs for a run of the container: the mount
// stays for its monitor, until ReleaseRun, whichever process that is.
func (b *Backend) MountRootfsForRun(cfg *record.Config) (string, error) {
	return b.mountHeld(cfg, runHolder)
}

// mountHeld mounts cfg's rootfs to stay, an overlay held by holder.
func (b *Backend) mountHeld(cfg *record.Config, holder string) (string, error) {
	if cfg.Rootfs == "" || !cfg.RootfsOverlay {
		p, _, err := b.MountRootfs(cfg)
		return p, err
	}
	p, _, err := b.holdOverlay(cfg, holder)
	return p, err
}

// UnmountRootfs undoes MountRootfsToStay; with force, every mount of
// the container's layer. An overlay others still hold stays theirs.
func (b *Backend) UnmountRootfs(cfg *record.Config, force bool) error {
	switch {
	case cfg.Rootfs == "" && force:
		return b.Store.UnmountAll(cfg.ID)
	case cfg.Rootfs == "":
		return b.Store.Unmount(cfg.ID)
	case !cfg.RootfsOverlay:
		return nil
	}
	return b.settleOverlay(cfg.ID, mountHolder)
}

// ReleaseRun undoes MountRootfsForRun.
func (b *Backend) ReleaseRun(cfg *record.Config) error {
	switch {
	case cfg.Rootfs == "":
		return b.Store.Unmount(cfg.ID)
	case !cfg.RootfsOverlay:
		return nil
	}
	return b.settleOverlay(cfg.ID, runHolder)
}

// DropRootfs takes down container id's --rootfs overlay, if it has one,
// whoever holds it: the container is going.
func (b *Backend) DropRootfs(id string) error {
	dir := b.overlayDir(id)
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	unlock, err := record.Lock(filepath.Join(dir, ".lock"))
	if err != nil {
		return err
	}
	defer unlock()
	return b.takeDownOverlay(dir)
}

// holdOverlay mounts the overlay of cfg unless it is, and holds it:
// with a locked file until the release, or with the lasting file holder
// when one is named. An
// overlay mounted with no live holder (its holders were killed, or the
// machine restarted) is nobody's: it is mounted afresh.
func (b *Backend) holdOverlay(cfg *record.Config, holder string) (string, func(), error) {
	dir := b.overlayDir(cfg.ID)
	// Not MkdirAll: a container removed meanwhile gets no overlay.
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", nil, fmt.Errorf("mount the --rootfs overlay of %.12s: %w", cfg.ID, err)
	}
	unlock, err := record.Lock(filepath.Join(dir, ".lock"))
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	holders, merged := filepath.Join(dir, "holders"), filepath.Join(dir, "merged")
	locked, lasting := liveHolders(holders)
	switch isMounted := mounted(merged); {
	case !isMounted && locked:
		return "", nil, fmt.Errorf("the --rootfs overlay of %.12s is mounted in another mount namespace: use it from there", cfg.ID)
	case isMounted && (locked || lasting):
	default:
		if err := b.takeDownOverlay(dir); err != nil {
			return "", nil, err
		}
		if err := mountOverlay(cfg, dir); err != nil {
			return "", nil, err
		}
	}
	if err := os.MkdirAll(holders, 0o700); err != nil {
		return "", nil, err
	}
	if holder != "" {
		if err := os.WriteFile(filepath.Join(holders, holder), nil, 0o600); err != nil {
			return "", nil, err
		}
		return merged, nil, nil
	}
	f, err := os.CreateTemp(holders, "pid-")
	if err == nil {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
	}
	if err != nil {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
		b.settleLocked(dir, "")
		return "", nil, fmt.Errorf("hold the --rootfs overlay of %.12s: %w", cfg.ID, err)
	}
	return merged, func() {
		name := filepath.Base(f.Name())
		f.Close() // its lock goes: settleOverlay sees it stale
		b.settleOverlay(cfg.ID, name)
	}, nil
}

// liveHolders removes the files of dead holders and tells whether a
// live process holds the overlay, and whether scow mount or a run does.
func liveHolders(holders string) (locked, lasting bool) {
	entries, _ := os.ReadDir(holders)
	for _, e := range entries {
		p := filepath.Join(holders, e.Name())
		if e.Name() == mountHolder || e.Name() == runHolder {
			lasting = true
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			locked = true
			continue
		}
		os.Remove(p)
	}
	return locked, lasting
}

// mountOverlay mounts the overlay of cfg in dir, whose upper and work
// directories takeDownOverlay emptied.
func mountOverlay(cfg *record.Config, dir string) error {
	upper, work, merged := filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "merged")
	for _, d := range []string{upper, work, merged} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("mount the --rootfs overlay of %.12s: %w", cfg.ID, err)
		}
	}
	opts := "lowerdir=" + escapeOverlay(cfg.Rootfs) + ",upperdir=" + escapeOverlay(upper) + ",workdir=" + escapeOverlay(work)
	if userns.Rootless() {
		opts += ",userxattr" // a user namespace's overlay keeps its whiteouts in user.* attributes
	}
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount the --rootfs overlay of %.12s on %s: %w", cfg.ID, cfg.Rootfs, err)
	}
	return nil
}

// escapeOverlay escapes what overlay's options would split a path at.
func escapeOverlay(p string) string {
	out := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == ':' || p[i] == ',' || p[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, p[i])
	}
	return string(out)
}

// settleOverlay drops holder gone (none if "") of container id's
// overlay and takes the overlay down if no holder is left.
func (b *Backend) settleOverlay(id, gone string) error {
	dir := b.overlayDir(id)
	if _, err := os.Stat(dir); err != nil {
		return nil // never mounted
	}
	unlock, err := record.Lock(filepath.Join(dir, ".lock"))
	if err != nil {
		return err
	}
	defer unlock()
	return b.settleLocked(dir, gone)
}

// settleLocked is settleOverlay under the overlay's lock.
func (b *Backend) settleLocked(dir, gone string) error {
	holders := filepath.Join(dir, "holders")
	if gone != "" {
		os.Remove(filepath.Join(holders, gone))
	}
	if locked, lasting := liveHolders(holders); locked || lasting {
		return nil
	}
	return b.takeDownOverlay(dir)
}

// takeDownOverlay unmounts the overlay in dir and removes its changes;
// the caller holds its lock.
func (b *Backend) takeDownOverlay(dir string) error {
	merged := filepath.Join(dir, "merged")
	for mounted(merged) {
		if err := unix.Unmount(merged, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount the --rootfs overlay in %s: %w", dir, err)
		}
	}
	for _, d := range []string{"upper", "work", "holders"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			return err
		}
	}
	return nil
}

// RootfsOverlaySize is the bytes the --rootfs overlay of cfg holds.
func (b *Backend) RootfsOverlaySize(cfg *record.Config) int64 {
	var n int64
	filepath.WalkDir(filepath.Join(b.overlayDir(cfg.ID), "upper"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// overlayDir holds a --rootfs overlay: upper, work, merged, holders.
func (b *Backend) overlayDir(id string) string { return filepath.Join(b.Rec.Dir(id), "overlay") }

// mounted tells whether path has a filesystem of its own mounted, as an
// overlay is: one on another device than its parent.
func mounted(path string) bool {
	var st, parent unix.Stat_t
	if unix.Lstat(path, &st) != nil || unix.Lstat(filepath.Dir(path), &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev
}
