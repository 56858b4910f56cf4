package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/scow-project/scow/engine/internal/userns"
)

// defaultPaths fills Root, RunRoot and ConfigFile for root or a user,
// and makes every directory of o absolute.
func defaultPaths(o Options) Options {
	o = defaultDirs(o)
	// The monitor gets these options and works from elsewhere: every
	// directory is absolute.
	dirs := []*string{&o.Root, &o.RunRoot, &o.VolumePath, &o.NetworkConfigDir, &o.ImageStore, &o.TmpDir}
	o.HooksDirs = slices.Clone(o.HooksDirs)
	o.CDISpecDirs = slices.Clone(o.CDISpecDirs)
	for i := range o.HooksDirs {
		dirs = append(dirs, &o.HooksDirs[i])
	}
	for i := range o.CDISpecDirs {
		dirs = append(dirs, &o.CDISpecDirs[i])
	}
	for _, p := range dirs {
		if *p != "" {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	return o
}

// defaultDirs fills in the directories not given: root's or the user's.
func defaultDirs(o Options) Options {
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
