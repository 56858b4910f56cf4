package oci

import (
	"fmt"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
)

// User is a resolved container user.
type User struct {
	UID, GID   uint32
	Additional []uint32
	Home       string
}

// AdditionalGroups resolves --group-add values (names or GIDs) against
// the group file inside rootfs; a GID need not exist there.
func AdditionalGroups(rootfs string, groups []string) ([]uint32, error) {
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return nil, err
	}
	gids, err := user.GetAdditionalGroupsPath(groups, group)
	if err != nil {
		return nil, fmt.Errorf("--group-add: %w", err)
	}
	var out []uint32
	for _, g := range gids {
		out = append(out, uint32(g))
	}
	return out, nil
}

// ResolveUser resolves a Docker user spec (name, uid, name:group,
// uid:gid; empty means root) against the passwd and group files inside
// rootfs, as Docker does: a numeric uid need not exist there.
func ResolveUser(rootfs, spec string) (*User, error) {
	passwd, err := securejoin.SecureJoin(rootfs, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return nil, err
	}
	defaults := &user.ExecUser{Home: "/"}
	u, err := user.GetExecUserPath(spec, defaults, passwd, group)
	if err != nil {
		return nil, fmt.Errorf("resolve user %q in the image: %w", spec, err)
	}
	out := &User{UID: uint32(u.Uid), GID: uint32(u.Gid), Home: u.Home}
	for _, g := range u.Sgids {
		if uint32(g) != out.GID {
			out.Additional = append(out.Additional, uint32(g))
		}
	}
	return out, nil
}
