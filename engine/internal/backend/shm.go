package backend

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DefaultShmSize is the size of a container's /dev/shm without
// --shm-size, as Podman's.
const DefaultShmSize = 64 << 20

// ShmDir is where the /dev/shm of a container with a shareable IPC
// namespace is mounted, in its record's directory: containers that join
// that namespace (--ipc container:NAME) bind the same tmpfs, and share
// its POSIX shared memory as well as its System V IPC.
func (b *Backend) ShmDir(id string) string { return filepath.Join(b.Rec.Dir(id), "shm") }

// MountShm mounts a tmpfs of size bytes (0: DefaultShmSize) at
// ShmDir(id); one a killed monitor left goes first.
func (b *Backend) MountShm(id string, size int64) error {
	dir := b.ShmDir(id)
	b.UnmountShm(id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("make /dev/shm of %.12s: %w", id, err)
	}
	if size <= 0 {
		size = DefaultShmSize
	}
	opts := fmt.Sprintf("mode=1777,size=%dk", (size+1023)/1024)
	if err := unix.Mount("shm", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
		return fmt.Errorf("mount /dev/shm of %.12s: %w", id, err)
	}
	return nil
}

// UnmountShm takes down what is mounted at ShmDir(id), if anything.
func (b *Backend) UnmountShm(id string) {
	dir := b.ShmDir(id)
	for b.HasShm(id) {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			return
		}
	}
}

// HasShm tells whether a /dev/shm of container id is mounted at
// ShmDir(id).
func (b *Backend) HasShm(id string) bool {
	var dir, parent unix.Stat_t
	if unix.Lstat(b.ShmDir(id), &dir) != nil || unix.Lstat(b.Rec.Dir(id), &parent) != nil {
		return false
	}
	return dir.Dev != parent.Dev
}
