package engine

import (
	"errors"
	"fmt"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/BurntSushi/toml"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/oci"
	"github.com/scow-project/scow/storage"
)

// Config is scow.conf: settings that flags override.
type Config struct {
	Runtime       string `toml:"runtime"`
	StorageDriver string `toml:"storage_driver"`
	// MountProgram mounts overlay through a FUSE program such as
	// /usr/bin/fuse-overlayfs instead of the kernel.
	MountProgram string `toml:"mount_program"`
}

// Engine carries one invocation's settings and opens what it needs on
// first use: commands that touch no storage never pay for it.
type Engine struct {
	opts    Options
	cfg     Config
	rec     record.Store
	store   *storage.Store
	runtime *oci.Runtime
	// netWaits, in a monitor, wait for the network helpers of its runs.
	netWaits []func()
}

// New returns an engine for the options; it reads scow.conf but opens
// nothing else.
func New(o Options) (*Engine, error) {
	o = defaultPaths(o)
	var cfg Config
	if _, err := toml.DecodeFile(o.ConfigFile, &cfg); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("read %s: %w", o.ConfigFile, err))
	}
	if o.Runtime == "" {
		o.Runtime = cfg.Runtime
	}
	if o.StorageDriver == "" {
		o.StorageDriver = cfg.StorageDriver
	}
	if o.StorageDriver == "" && cfg.MountProgram != "" {
		o.StorageDriver = "overlay" // a mount program is overlay's
	}
	return &Engine{opts: o, cfg: cfg, rec: record.Store{Root: o.Root}}, nil
}

// ReexecInit runs a storage helper this binary was re-executed as, and
// reports whether it did: main calls it first.
func ReexecInit() bool { return storage.ReexecInit() }

// open enters the user namespace (unprivileged) and opens the store.
func (e *Engine) open() error {
	if e.store != nil {
		return nil
	}
	if err := userns.Enter(); err != nil {
		return fmt.Errorf("enter user namespace: %w", err)
	}
	for _, d := range []string{e.opts.Root, e.opts.RunRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	so := storage.Options{
		GraphRoot:         e.storageDir(),
		RunRoot:           filepath.Join(e.opts.RunRoot, "storage"),
		Driver:            e.opts.StorageDriver,
		CacheDir:          filepath.Join(e.opts.Root, "cache"),
		Rootless:          userns.Rootless(),
		IgnoreChownErrors: userns.Rootless() && userns.SingleMapping(),
		AutoNsUser:        "containers", // root's, as Podman's
	}
	if userns.Rootless() {
		if u, err := user.LookupId(strconv.Itoa(userns.UID())); err == nil {
			so.AutoNsUser = u.Username
		}
	}
	if so.Driver == "overlay" {
		so.MountProgram = e.cfg.MountProgram
	}
	s, err := storage.Open(so)
	if err != nil {
		return fmt.Errorf("open storage in %s: %w", e.storageDir(), err)
	}
	e.store = s
	return nil
}

// ociRuntime finds the OCI runtime on first use.
func (e *Engine) ociRuntime() (*oci.Runtime, error) {
	if e.runtime != nil {
		return e.runtime, nil
	}
	p, err := oci.FindRuntime(e.opts.Runtime)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrNotFound, err)
	}
	e.runtime = &oci.Runtime{Path: p, Root: filepath.Join(e.opts.RunRoot, oci.RuntimeName(p))}
	return e.runtime, nil
}

// Close releases the store.
func (e *Engine) Close() error {
	if e.store == nil {
		return nil
	}
	return e.store.Close()
}
