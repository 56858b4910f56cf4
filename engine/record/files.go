package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"

	"go.podman.io/storage/pkg/ioutils"
	"golang.org/x/sys/unix"
)

// WriteJSON writes v to path atomically: temp file, rename. A durable
// record is fsynced first; state that a reboot makes stale anyway (a
// running container is stopped after one) is not, as fsync queues under
// load are what make other engines slow.
func WriteJSON(path string, v any, durable bool) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := ioutils.AtomicWriteFileWithOpts(path, data, 0o600, &ioutils.AtomicFileWriterOptions{NoSync: !durable}); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadJSON decodes the JSON file at path into v.
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

// Lock takes an exclusive flock on path (a file, created if missing, or
// a directory) and returns its release.
func Lock(path string) (func(), error) {
	return LockMode(path, unix.LOCK_EX)
}

// ErrLocked is returned by a non-blocking lock that someone else holds.
var ErrLocked = errors.New("locked")

// LockMode is Lock with flock's how: LOCK_SH or LOCK_EX, and LOCK_NB.
func LockMode(path string, how int) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if errors.Is(err, syscall.EISDIR) {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, err
	}
	return flock(f, path, how)
}

// LockDir locks the directory at path, which must exist: one that is
// gone is an os.ErrNotExist, never made again as a file.
func LockDir(path string, how int) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return flock(f, path, how)
}

// flock takes the lock of an open file and returns its release, which
// closes it.
func flock(f *os.File, path string, how int) (func(), error) {
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// SyncDir makes the entries of dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
