package containers

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/errdefs"
	"go.podman.io/storage/pkg/idtools"
)

// specIDMaps converts mappings for the runtime spec.
func specIDMaps(m []idtools.IDMap) []specs.LinuxIDMapping {
	if len(m) == 0 {
		return nil
	}
	out := make([]specs.LinuxIDMapping, len(m))
	for i, x := range m {
		out[i] = specs.LinuxIDMapping{ContainerID: uint32(x.ContainerID), HostID: uint32(x.HostID), Size: uint32(x.Size)}
	}
	return out
}

// ToNamespace is what container ID id is in our namespace: itself
// without a mapping, 65534 (nobody) when the mapping lacks it.
func ToNamespace(m []specs.LinuxIDMapping, id uint32) int {
	if len(m) == 0 {
		return int(id)
	}
	for _, x := range m {
		if id >= x.ContainerID && id-x.ContainerID < x.Size {
			return int(x.HostID + id - x.ContainerID)
		}
	}
	return 65534
}

// fromNamespace is what ID id of our namespace is in a container with
// mapping m: itself without a mapping, 65534 (nobody) when m lacks it.
func fromNamespace(m []specs.LinuxIDMapping, id int) int {
	if len(m) == 0 {
		return id
	}
	for _, x := range m {
		if id >= int(x.HostID) && id-int(x.HostID) < int(x.Size) {
			return int(x.ContainerID) + id - int(x.HostID)
		}
	}
	return 65534
}

// mapsOwner tells whether a mapping includes ID 0 of our namespace, the
// owner of scow's directories.
func mapsOwner(m []specs.LinuxIDMapping) bool {
	for _, x := range m {
		if x.HostID == 0 {
			return true
		}
	}
	return false
}

// makeTraversable lets a container whose user namespace does not map
// the owner of scow's directories reach p, as Podman's storage needs for
// --uidmap: scow's own directories on the way (under one of ours) get
// o+x, search without listing; any other directory that lacks it is the
// user's to change, and an error says which.
func makeTraversable(p string, ours ...string) error {
	for dir := filepath.Dir(p); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			mine := slices.ContainsFunc(ours, func(o string) bool { return dir == o || strings.HasPrefix(dir, o+"/") })
			if !mine || os.Chmod(dir, st.Mode().Perm()|0o001) != nil {
				return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("the container's user namespace cannot reach %s: give %s search permission for others (chmod o+x %s), or run without --userns/--uidmap", p, dir, dir))
			}
		}
		if dir == "/" {
			return nil
		}
	}
}
