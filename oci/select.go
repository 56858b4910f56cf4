package oci

import (
	"fmt"
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CgroupVersion returns 2 on a host with only the unified hierarchy and 1
// on a legacy or hybrid one.
func CgroupVersion() int {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return 2
	}
	return 1
}

// FindRuntime returns the path of the named runtime, or picks one: crun
// where the host has only cgroup v2 (it starts faster), runc otherwise,
// since crun refuses hybrid v1/v2 hosts.
func FindRuntime(name string) (string, error) {
	if name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("OCI runtime %q not found: install it or pick another with --runtime", name)
		}
		return p, nil
	}
	order := []string{"runc", "crun"}
	if CgroupVersion() == 2 {
		order = []string{"crun", "runc"}
	}
	for _, n := range order {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no OCI runtime found: install runc (apt-get install runc)")
}

// RuntimeName is the base name of a runtime path, e.g. "runc".
func RuntimeName(path string) string { return filepath.Base(path) }
