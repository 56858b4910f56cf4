package engine

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/scow-project/scow/engine/internal/userns"
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
}

// defaultPaths fills Root, RunRoot and ConfigFile for root or a user.
func defaultPaths(o Options) Options {
	if o.ConfigFile == "" {
		o.ConfigFile = os.Getenv("SCOW_CONF")
	}
	if userns.Rootless() {
		home := os.Getenv("HOME")
		if o.Root == "" {
			data := os.Getenv("XDG_DATA_HOME")
			if data == "" {
				data = filepath.Join(home, ".local", "share")
			}
			o.Root = filepath.Join(data, "scow")
		}
		if o.RunRoot == "" {
			if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
				o.RunRoot = filepath.Join(x, "scow")
			} else {
				o.RunRoot = fmt.Sprintf("/tmp/scow-%d", userns.UID())
			}
		}
		if o.ConfigFile == "" {
			cfg := os.Getenv("XDG_CONFIG_HOME")
			if cfg == "" {
				cfg = filepath.Join(home, ".config")
			}
			o.ConfigFile = filepath.Join(cfg, "scow", "scow.conf")
		}
		return o
	}
	if o.Root == "" {
		o.Root = "/var/lib/scow"
	}
	if o.RunRoot == "" {
		o.RunRoot = "/run/scow"
	}
	if o.ConfigFile == "" {
		o.ConfigFile = "/etc/scow/scow.conf"
	}
	return o
}

func (e *Engine) storageDir() string { return filepath.Join(e.opts.Root, "storage") }
