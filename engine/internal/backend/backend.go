package backend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/userns"
	// The CLI's constructor, which joins the user's namespace.
	_ "github.com/scow-project/scow/engine/internal/userns/nsenter"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
	"github.com/scow-project/scow/storage"
	"golang.org/x/sys/unix"
)

// Options are the global settings of an invocation; empty fields take the
// defaults for root or for the invoking user.
type Options struct {
	// Root is scow's data directory: storage, containers, names.
	Root string
	// RunRoot holds runtime state that a reboot clears.
	RunRoot string
	// StorageDriver forces a graph driver ("overlay", "vfs").
	StorageDriver string
	// Runtime names or paths the OCI runtime.
	Runtime string
	// ConfigFile overrides the scow.conf path; the SCOW_CONF environment
	// variable does too.
	ConfigFile string
	// StorageOpts are more graph driver options, TransientStore keeps
	// storage's container records in the run root.
	StorageOpts    []string
	TransientStore bool
	// RuntimeFlags are global flags for every runtime call.
	RuntimeFlags []string
	// NoEvents writes no events (--events-backend none).
	NoEvents bool
	// VolumePath and NetworkConfigDir move the named volumes and the
	// networks' records out of Root; ImageStore keeps images apart from
	// containers' layers.
	VolumePath, NetworkConfigDir, ImageStore string
	// TmpDir holds the temporary directories of archives and copies on
	// their way (default: ROOT/tmp).
	TmpDir string
	// NetworkCmdPath is the slirp4netns binary (default: found in PATH).
	NetworkCmdPath string
	// HooksDirs hold OCI hooks (oci-hooks(5)); nil means Podman's
	// defaults, oci.DefaultHooksDirs.
	HooksDirs []string
	// CDISpecDirs hold the CDI specs of --device vendor.com/class=name;
	// nil means /etc/cdi and /var/run/cdi.
	CDISpecDirs []string
}

// Config is scow.conf: settings that flags override.
type Config struct {
	Runtime       string `toml:"runtime"`
	StorageDriver string `toml:"storage_driver"`
	// MountProgram mounts overlay through a FUSE program such as
	// /usr/bin/fuse-overlayfs instead of the kernel.
	MountProgram string `toml:"mount_program"`
}

// Backend is one invocation's store, runtime and records. It is not safe
// for concurrent use: an invocation is one goroutine's work, but for a
// build's stages, which share the runtime.
type Backend struct {
	Opts Options
	Cfg  Config
	Rec  record.Store
	// Store is the containers/storage store once Open has opened it.
	Store *storage.Store
	// RemoveContainer removes container id, stopped first if it runs
	// (killed after timeout seconds, when given, else its stop timeout):
	// a forced removal of an image, a volume or a network does that to
	// the containers that use it. The engine sets it.
	RemoveContainer func(ctx context.Context, id string, timeout *int) error
	runtimeMu       sync.Mutex // a build's stages run at the same time
	runtime         *oci.Runtime
}

// New returns a backend for the options; it reads scow.conf but opens
// nothing else.
func New(o Options) (*Backend, error) {
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
	return &Backend{Opts: o, Cfg: cfg, Rec: record.Store{Root: o.Root, NoEvents: o.NoEvents}}, nil
}

// Open enters the user namespace (unprivileged) and opens the store.
func (b *Backend) Open() error {
	if b.Store != nil {
		return nil
	}
	if err := userns.Enter(); err != nil {
		return fmt.Errorf("enter user namespace: %w", err)
	}
	for _, d := range []string{b.Opts.Root, b.Opts.RunRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	so := storage.Options{
		GraphRoot:         b.StorageDir(),
		RunRoot:           filepath.Join(b.Opts.RunRoot, "storage"),
		Driver:            b.Opts.StorageDriver,
		CacheDir:          filepath.Join(b.Opts.Root, "cache"),
		Rootless:          userns.Rootless(),
		IgnoreChownErrors: userns.Rootless() && userns.SingleMapping(),
		AutoNsUser:        "containers", // root's, as Podman's
		DriverOptions:     b.Opts.StorageOpts,
		ImageStore:        b.Opts.ImageStore,
		TransientStore:    b.Opts.TransientStore,
	}
	if userns.Rootless() {
		if u, err := user.LookupId(strconv.Itoa(userns.UID())); err == nil {
			so.AutoNsUser = u.Username
		}
	}
	if so.Driver == "overlay" {
		so.MountProgram = b.Cfg.MountProgram
	}
	s, err := storage.Open(so)
	if err != nil {
		return fmt.Errorf("open storage in %s: %w", b.StorageDir(), err)
	}
	b.Store = s
	return nil
}

// Runtime finds the OCI runtime on first use.
func (b *Backend) Runtime() (*oci.Runtime, error) {
	b.runtimeMu.Lock()
	defer b.runtimeMu.Unlock()
	if b.runtime != nil {
		return b.runtime, nil
	}
	p, err := oci.FindRuntime(b.Opts.Runtime, b.Opts.RunRoot)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrNotFound, err)
	}
	b.runtime = b.runtimeAt(p)
	return b.runtime, nil
}

// RuntimeOf is the OCI runtime of container id in state st: the one it
// was started with, or Runtime's for one that never ran. A record from
// before runtimes were kept names none: the runtime whose state holds
// the container, if one does, is its.
func (b *Backend) RuntimeOf(id string, st *record.State) (*oci.Runtime, error) {
	if st != nil && st.Runtime != "" {
		return b.runtimeAt(st.Runtime), nil
	}
	if st != nil && st.RuntimeState {
		for _, name := range []string{"runc", "crun"} {
			if _, err := os.Stat(filepath.Join(b.Opts.RunRoot, name, id)); err == nil {
				if p, err := exec.LookPath(name); err == nil {
					return b.runtimeAt(p), nil
				}
			}
		}
	}
	return b.Runtime()
}

// runtimeAt drives the runtime binary at path, its state in the run root.
func (b *Backend) runtimeAt(path string) *oci.Runtime {
	return &oci.Runtime{Path: path, Root: filepath.Join(b.Opts.RunRoot, oci.RuntimeName(path)), Flags: b.Opts.RuntimeFlags}
}

// Close releases the store.
func (b *Backend) Close() error {
	if b.Store == nil {
		return nil
	}
	err := b.Store.Close()
	b.Store = nil
	return err
}

// TempDir makes a temporary directory for an archive or a copy on its
// way, under --tmpdir or the data root (the run root is often a small
// tmpfs), and returns it with its removal. Its name starts with
// tempPrefix, and it is locked while in use: one of those names whose
// lock nobody holds was left by a killed invocation, and the next
// TempDir removes it. Nothing else in the directory is touched: --tmpdir
// may be /tmp.
func (b *Backend) TempDir(pattern string) (string, func(), error) {
	root := b.TmpDir()
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", root, err)
	}
	// Creation and sweep are serialised, so that a sweep never finds a
	// directory made but not locked yet.
	unlockRoot, err := record.Lock(filepath.Join(root, tempPrefix+"lock"))
	if err != nil {
		return "", nil, err
	}
	defer unlockRoot()
	sweepTemp(root)
	dir, err := os.MkdirTemp(root, tempPrefix+pattern)
	if err != nil {
		return "", nil, fmt.Errorf("create a temporary directory in %s: %w", root, err)
	}
	unlock, err := record.LockDir(dir, unix.LOCK_EX)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir); unlock() }, nil
}

// TempDirInUse tells whether dir, made by TempDir, is held by a live
// invocation; a killed one's is not, even before the next TempDir
// removes it.
func TempDirInUse(dir string) bool {
	unlock, err := record.LockDir(dir, unix.LOCK_EX|unix.LOCK_NB)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	unlock()
	return false
}

// tempPrefix starts the names of TempDir's directories and lock.
const tempPrefix = ".scow-"

// sweepTemp removes the directories of TempDir in root that no live
// invocation has locked.
func sweepTemp(root string) {
	entries, _ := os.ReadDir(root)
	for _, d := range entries {
		if !d.IsDir() || !strings.HasPrefix(d.Name(), tempPrefix) {
			continue
		}
		dir := filepath.Join(root, d.Name())
		if unlock, err := record.LockDir(dir, unix.LOCK_EX|unix.LOCK_NB); err == nil {
			os.RemoveAll(dir)
			unlock()
		}
	}
}

// TmpDir is where TempDir makes its directories.
func (b *Backend) TmpDir() string { return cmp.Or(b.Opts.TmpDir, filepath.Join(b.Opts.Root, "tmp")) }

// StorageDir is containers/storage's graph root.
func (b *Backend) StorageDir() string { return filepath.Join(b.Opts.Root, "storage") }

// SocketDir holds the monitors' attach sockets and the runtime's console
// sockets. Their names use a 16-digit ID prefix: a unix socket path must
// fit in 108 bytes.
func (b *Backend) SocketDir() string { return filepath.Join(b.Opts.RunRoot, "attach") }

// AttachSocket is where the monitor of container id serves attaches.
func (b *Backend) AttachSocket(id string) string {
	return filepath.Join(b.SocketDir(), id[:16])
}

// NotifyDir holds the socket a container with --sdnotify container
// tells systemd through, its monitor relaying.
func (b *Backend) NotifyDir(id string) string {
	return filepath.Join(b.Opts.RunRoot, "notify", id[:16])
}

// NetnsDir holds the pinned network namespaces of running containers.
func (b *Backend) NetnsDir() string { return filepath.Join(b.Opts.RunRoot, "netns") }

// NetworksDir holds one record per network the user created: NAME.json.
func (b *Backend) NetworksDir() string {
	return cmp.Or(b.Opts.NetworkConfigDir, filepath.Join(b.Opts.Root, "networks"))
}

// VolumesDir holds the named volumes.
func (b *Backend) VolumesDir() string {
	return cmp.Or(b.Opts.VolumePath, filepath.Join(b.Opts.Root, "volumes"))
}

// Bridges says where named networks live. Root's are bridges of the
// host, so their runtime state is the host's, whatever the run root.
func (b *Backend) Bridges() netns.Bridges {
	br := netns.Bridges{RunDir: b.NetnsDir(), Rootless: userns.Rootless(), SlirpPath: b.Opts.NetworkCmdPath}
	if br.Rootless {
		br.StateDir = filepath.Join(b.NetnsDir(), "nets")
	} else {
		br.StateDir = "/run/scow/nets"
	}
	return br
}

// RemoveUnused removes what (a volume or a network) called name, under
// lock, once users says no container has it; with force, those that do
// are removed first, outside the lock, which their own removal may take.
func (b *Backend) RemoveUnused(ctx context.Context, what, name string, force bool, timeout *int,
	lock func() (func(), error), users func() (map[string][]string, error), remove func() error) error {
	for attempt := 0; ; attempt++ {
		unlock, err := lock()
		if err != nil {
			return err
		}
		all, err := users()
		if err != nil {
			unlock()
			return err
		}
		ids := all[name]
		if len(ids) == 0 {
			err := remove()
			unlock()
			return err
		}
		unlock()
		if !force || attempt > 0 {
			return errdefs.WithClass(errdefs.ErrInUse, fmt.Errorf("%s %s is used by container %s: remove the container first, or use --force", what, name, b.Rec.NameOf(ids[0])))
		}
		for _, id := range ids {
			if err := b.RemoveContainer(ctx, id, timeout); err != nil {
				return fmt.Errorf("remove container %.12s that uses %s %s: %w", id, what, name, err)
			}
		}
	}
}

// StorageErr gives storage's errors the engine's classes.
func StorageErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrImageUnknown), errors.Is(err, storage.ErrVolumeUnknown):
		return errdefs.WithClass(errdefs.ErrNotFound, err)
	case errors.Is(err, storage.ErrInvalidName), errors.Is(err, storage.ErrVolumeInvalid), errors.Is(err, storage.ErrNoAutoRange):
		return errdefs.WithClass(errdefs.ErrInvalid, err)
	case errors.Is(err, storage.ErrVolumeExists):
		return errdefs.WithClass(errdefs.ErrExists, err)
	case errors.Is(err, storage.ErrImageInUse), errors.Is(err, storage.ErrImageConflict):
		return errdefs.WithClass(errdefs.ErrInUse, err)
	}
	return err
}

// CgroupPath is the cgroup of container cfg, under its --cgroup-parent:
// root's containers have one of their own; "" for a rootless one, which
// stays in the runtime's.
func (b *Backend) CgroupPath(cfg *record.Config) string {
	if userns.Rootless() {
		return ""
	}
	return path.Join(cmp.Or(cfg.CgroupParent, "/scow"), "scow-"+cfg.ID)
}
