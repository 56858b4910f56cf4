package specgen

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/storage"
	"go.podman.io/storage/pkg/idtools"
)

// userNS is a parsed --userns with --uidmap and --gidmap: the ID mapping
// of a container's own user namespace, and the user keep-id runs as.
type userNS struct {
	mapping storage.IDMapping
	user    string
}

// parseUserNS reads --userns (host, keep-id[:uid=N,gid=N], nomap,
// auto[:size=N], or empty), --uidmap/--gidmap CONTAINER:HOST:SIZE,
// where HOST counts in scow's namespace when rootless, as in Podman,
// and --subuidname/--subgidname.
func parseUserNS(o *RunOptions) (userNS, error) {
	bad := func(format string, a ...any) (userNS, error) {
		return userNS{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	var u userNS
	mode, uidmap, gidmap := o.UserNS, o.UIDMap, o.GIDMap
	name, opts, _ := strings.Cut(mode, ":")
	if (len(uidmap) > 0 || len(gidmap) > 0) && name != "" {
		return bad("--userns=%s and --uidmap/--gidmap conflict: give one", mode)
	}
	if o.SubUIDName != "" || o.SubGIDName != "" {
		if name != "" || len(uidmap) > 0 || len(gidmap) > 0 {
			return bad("--subuidname/--subgidname conflict with --userns, --uidmap and --gidmap: give one")
		}
		return subIDNamespace(cmp.Or(o.SubUIDName, o.SubGIDName), cmp.Or(o.SubGIDName, o.SubUIDName))
	}
	switch name {
	case "", "host":
		if opts != "" {
			return bad("--userns=%s: %s takes no options", mode, name)
		}
	case "keep-id":
		if !userns.Rootless() {
			return bad("--userns=keep-id is for rootless containers: root's files need no mapping")
		}
		uid, gid := userns.UID(), userns.GID()
		for _, o := range splitOpts(opts) {
			k, v, _ := strings.Cut(o, "=")
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (k != "uid" && k != "gid") {
				return bad("--userns=%s: option %q: use uid=N or gid=N", mode, o)
			}
			if k == "uid" {
				uid = n
			} else {
				gid = n
			}
		}
		size, err := namespaceSize("keep-id")
		if err != nil {
			return userNS{}, err
		}
		u.mapping.UIDMap, u.mapping.GIDMap = keepID(uid, size), keepID(gid, size)
		u.user = fmt.Sprintf("%d:%d", uid, gid)
	case "nomap":
		// The subordinate IDs only: the user's own ID stays out.
		if !userns.Rootless() {
			return bad("--userns=nomap is for rootless containers")
		}
		if opts != "" {
			return bad("--userns=%s: nomap takes no options", mode)
		}
		size, err := namespaceSize("nomap")
		if err != nil {
			return userNS{}, err
		}
		sub := []idtools.IDMap{{ContainerID: 0, HostID: 1, Size: size - 1}}
		u.mapping.UIDMap, u.mapping.GIDMap = sub, sub
	case "auto":
		u.mapping.Auto = true
		for _, o := range splitOpts(opts) {
			k, v, _ := strings.Cut(o, "=")
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || k != "size" || n == 0 {
				return bad("--userns=%s: option %q: use size=N", mode, o)
			}
			u.mapping.AutoSize = uint32(n)
		}
	default:
		return bad("--userns=%s: use host, keep-id[:uid=N,gid=N], nomap or auto[:size=N]", mode)
	}
	var err error
	if u.mapping.UIDMap == nil && len(uidmap) > 0 {
		if u.mapping.UIDMap, err = parseIDMaps("--uidmap", uidmap); err != nil {
			return userNS{}, err
		}
	}
	if u.mapping.GIDMap == nil && len(gidmap) > 0 {
		if u.mapping.GIDMap, err = parseIDMaps("--gidmap", gidmap); err != nil {
			return userNS{}, err
		}
	}
	// One of the two given: the other is the same, as in Podman.
	if u.mapping.GIDMap == nil {
		u.mapping.GIDMap = u.mapping.UIDMap
	}
	if u.mapping.UIDMap == nil {
		u.mapping.UIDMap = u.mapping.GIDMap
	}
	return u, nil
}

// subIDNamespace maps the container's IDs from 0 to the ranges of user
// in /etc/subuid and of group in /etc/subgid. Rootless, the ranges must
// be the user's own: they are counted in scow's namespace then.
func subIDNamespace(user, group string) (userNS, error) {
	m, err := idtools.NewIDMappings(user, group)
	if err != nil {
		return userNS{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--subuidname %s --subgidname %s: %w", user, group, err))
	}
	var u userNS
	if u.mapping.UIDMap, err = toNamespace(m.UIDs(), userns.Mappings("uid")); err != nil {
		return userNS{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--subuidname %s: %w", user, err))
	}
	if u.mapping.GIDMap, err = toNamespace(m.GIDs(), userns.Mappings("gid")); err != nil {
		return userNS{}, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--subgidname %s: %w", group, err))
	}
	return u, nil
}

// toNamespace counts the host IDs of maps in the namespace whose
// mappings (inside ID as ContainerID, outside as HostID) are ns, split
// where ns's lines split them; an ID the namespace lacks is an error.
func toNamespace(maps, ns []idtools.IDMap) ([]idtools.IDMap, error) {
	var out []idtools.IDMap
	for _, m := range maps {
		for c, h, n := m.ContainerID, m.HostID, m.Size; n > 0; {
			i := slices.IndexFunc(ns, func(l idtools.IDMap) bool { return h >= l.HostID && h < l.HostID+l.Size })
			if i < 0 {
				return nil, fmt.Errorf("host ID %d is not yours to map: use ranges of your own /etc/subuid and /etc/subgid entries", h)
			}
			l := ns[i]
			k := min(n, l.HostID+l.Size-h)
			out = append(out, idtools.IDMap{ContainerID: c, HostID: l.ContainerID + h - l.HostID, Size: k})
			c, h, n = c+k, h+k, n-k
		}
	}
	return out, nil
}

func splitOpts(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// keepID maps container ID id to our namespace's 0 (the user), and the
// rest of the container's IDs around it to the namespace's others.
func keepID(id, size int) []idtools.IDMap {
	var m []idtools.IDMap
	if below := min(id, size-1); below > 0 {
		m = append(m, idtools.IDMap{ContainerID: 0, HostID: 1, Size: below})
	}
	m = append(m, idtools.IDMap{ContainerID: id, HostID: 0, Size: 1})
	if id+1 < size {
		m = append(m, idtools.IDMap{ContainerID: id + 1, HostID: id + 1, Size: size - id - 1})
	}
	return m
}

// namespaceSize is how many IDs scow's user namespace maps, for
// --userns=mode, which needs a subordinate range.
func namespaceSize(mode string) (int, error) {
	total := userns.Size()
	if total < 2 {
		return 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--userns=%s needs a subordinate ID range in /etc/subuid and /etc/subgid", mode))
	}
	return total, nil
}

// parseIDMaps reads CONTAINER:HOST:SIZE triples, with containers/storage's
// parser; a size of 0 is refused too.
func parseIDMaps(flag string, values []string) ([]idtools.IDMap, error) {
	bad := func(v string) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s %q: want CONTAINER-ID:HOST-ID:SIZE", flag, v))
	}
	var out []idtools.IDMap
	for _, v := range values {
		m, err := idtools.ParseIDMap([]string{v}, flag)
		if err != nil || len(m) != 1 || m[0].Size == 0 {
			return nil, bad(v)
		}
		out = append(out, m[0])
	}
	return out, nil
}

// StorageIDMaps are a record's ID maps as storage takes them.
func StorageIDMaps(m []specs.LinuxIDMapping) []idtools.IDMap {
	out := make([]idtools.IDMap, len(m))
	for i, x := range m {
		out[i] = idtools.IDMap{ContainerID: int(x.ContainerID), HostID: int(x.HostID), Size: int(x.Size)}
	}
	return out
}
