package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	itypes "go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/ioutils"
	"go.podman.io/storage/pkg/reexec"
	"go.podman.io/storage/types"
)

// Options says where the store lives and which graph driver it uses.
type Options struct {
	// GraphRoot holds images and layers; RunRoot holds mount state.
	GraphRoot, RunRoot string
	// Driver is "overlay" or "vfs"; empty picks the best that works here
	// and remembers the choice next to GraphRoot.
	Driver string
	// MountProgram, if set, mounts overlay through it (fuse-overlayfs).
	MountProgram string
	// CacheDir holds containers/image's blob info cache.
	CacheDir string
	// Rootless tells whether the store runs in an unprivileged user's
	// namespace.
	Rootless bool
	// IgnoreChownErrors stores files of IDs the namespace cannot map
	// (a user without a subordinate range) as owned by root.
	IgnoreChownErrors bool
	// AutoNsUser is the user whose /etc/subuid ranges --userns=auto
	// takes from.
	AutoNsUser string
	// DriverOptions are more graph driver options (--storage-opt), as
	// storage.conf's: "overlay.mountopt=nodev".
	DriverOptions []string
	// TransientStore keeps the container store's records in the run
	// root (--transient-store).
	TransientStore bool
	// ImageStore, when set, holds the images apart from GraphRoot.
	ImageStore string
}

// Store is an open containers/storage store.
type Store struct {
	s    cstorage.Store
	opts Options
	sys  *itypes.SystemContext
}

// driverChoice is recorded on first use: a store cannot change driver
// without losing sight of its images.
type driverChoice struct {
	Driver       string `json:"driver"`
	MountProgram string `json:"mount_program,omitempty"`
}

func choicePath(graphRoot string) string { return filepath.Join(graphRoot, "scow-driver.json") }

// Open opens (creating if needed) the store described by opts.
func Open(opts Options) (*Store, error) {
	if opts.Driver != "" {
		if opts.Driver == "overlay" && opts.MountProgram != "" {
			if _, err := os.Stat(opts.MountProgram); err != nil {
				return nil, fmt.Errorf("mount program %s: %w", opts.MountProgram, err)
			}
		}
		return open(opts)
	}
	if data, err := os.ReadFile(choicePath(opts.GraphRoot)); err == nil {
		var c driverChoice
		if err := json.Unmarshal(data, &c); err == nil && c.Driver != "" {
			opts.Driver, opts.MountProgram = c.Driver, c.MountProgram
			return open(opts)
		}
	}
	var errs []error
	for _, c := range candidates(opts.Rootless) {
		o := opts
		o.Driver, o.MountProgram = c.Driver, c.MountProgram
		s, err := open(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s%s: %w", c.Driver, via(c.MountProgram), err))
			continue
		}
		data, _ := json.Marshal(c)
		if err := writeFileAtomic(choicePath(opts.GraphRoot), data); err != nil {
			s.Close()
			return nil, fmt.Errorf("record storage driver: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("no storage driver works here: %w", errors.Join(errs...))
}

func via(prog string) string {
	if prog == "" {
		return ""
	}
	return " (via " + filepath.Base(prog) + ")"
}

// candidates lists drivers best first: native overlay (rootless on
// kernels that allow it), overlay through fuse-overlayfs, then vfs.
func candidates(rootless bool) []driverChoice {
	c := []driverChoice{{Driver: "overlay"}}
	if rootless {
		if p, err := exec.LookPath("fuse-overlayfs"); err == nil {
			c = append(c, driverChoice{Driver: "overlay", MountProgram: p})
		}
	}
	return append(c, driverChoice{Driver: "vfs"})
}

func open(opts Options) (*Store, error) {
	so := types.StoreOptions{
		GraphRoot:       opts.GraphRoot,
		RunRoot:         opts.RunRoot,
		GraphDriverName: opts.Driver,
		// --userns=auto takes its ranges from this user's /etc/subuid.
		RootAutoNsUser:     opts.AutoNsUser,
		GraphDriverOptions: append([]string(nil), opts.DriverOptions...),
		TransientStore:     opts.TransientStore,
		ImageStore:         opts.ImageStore,
	}
	if opts.MountProgram != "" {
		so.GraphDriverOptions = append(so.GraphDriverOptions, "overlay.mount_program="+opts.MountProgram)
	}
	if opts.IgnoreChownErrors {
		so.GraphDriverOptions = append(so.GraphDriverOptions, opts.Driver+".ignore_chown_errors=true")
	}
	s, err := cstorage.GetStore(so)
	if err != nil {
		return nil, err
	}
	return &Store{s: s, opts: opts, sys: &itypes.SystemContext{BlobInfoCacheDir: opts.CacheDir}}, nil
}

// ReexecInit runs a helper that containers/storage re-executes this
// binary for (such as applying a layer inside a chroot) and reports
// whether it did; main must call it before anything else.
func ReexecInit() bool { return reexec.Init() }

// Close releases the store's driver; mounts stay.
func (s *Store) Close() error {
	_, err := s.s.Shutdown(false)
	return err
}

// Driver describes the graph driver in use, e.g. "overlay" or
// "overlay (via fuse-overlayfs)".
func (s *Store) Driver() string { return s.s.GraphDriverName() + via(s.opts.MountProgram) }

// GraphRoot returns where images and layers live.
func (s *Store) GraphRoot() string { return s.s.GraphRoot() }

// RunRoot returns where mount state lives.
func (s *Store) RunRoot() string { return s.s.RunRoot() }

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return ioutils.AtomicWriteFile(path, data, 0o600)
}

// isHex reports whether s looks like (a prefix of) an image or layer ID.
func isHex(s string) bool {
	return s != "" && strings.Trim(s, "0123456789abcdef") == ""
}
