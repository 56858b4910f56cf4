package containers

import (
	"errors"
	"os/user"
	"slices"
	"testing"

	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/oci"
)

func TestAccounts(t *testing.T) {
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n")
	group := []byte("root:x:0:\nwww:x:33:\n")
	lookup := func(name string) (*user.User, error) {
		if name == "alice" {
			return &user.User{Uid: "1000", Gid: "1000", Username: "alice", Name: "Alice", HomeDir: "/home/alice"}, nil
		}
		return nil, errors.New("no such user")
	}
	tests := []struct {
		name          string
		u             oci.User
		cfg           record.Config
		passwd, group []string
		err           bool
	}{
		{name: "root needs nothing", u: oci.User{UID: 0, GID: 0, Home: "/root"}},
		{name: "a known UID needs nothing", u: oci.User{UID: 33, GID: 33}, cfg: record.Config{User: "33"}},
		{name: "an unknown UID gets entries", u: oci.User{UID: 1234, GID: 1234, Home: "/"}, cfg: record.Config{User: "1234"},
			passwd: []string{"1234:*:1234:1234:container user:/:/bin/sh"}, group: []string{"1234:x:1234:1234"}},
		{name: "a group named as --user names it", u: oci.User{UID: 1234, GID: 4321, Home: "/"}, cfg: record.Config{User: "1234:4321"},
			passwd: []string{"1234:*:1234:4321:container user:/:/bin/sh"}, group: []string{"4321:x:4321:1234"}},
		{name: "a known group stays", u: oci.User{UID: 1234, GID: 33, Home: "/"}, cfg: record.Config{User: "1234:33"},
			passwd: []string{"1234:*:1234:33:container user:/:/bin/sh"}},
		{name: "--passwd=false", u: oci.User{UID: 1234, GID: 1234}, cfg: record.Config{User: "1234", NoPasswd: true}},
		{name: "templates", u: oci.User{UID: 7, GID: 8, Home: "/h"}, cfg: record.Config{User: "7", PasswdEntry: "$USERNAME:x:$UID:$GID::$HOME:/bin/ash", GroupEntry: "g$GID:x:$GID:"},
			passwd: []string{"7:x:7:8::/h:/bin/ash"}, group: []string{"g8:x:8:"}},
		{name: "a host user", u: oci.User{}, cfg: record.Config{HostUsers: []string{"alice"}},
			passwd: []string{"alice:*:1000:1000:Alice:/home/alice:/bin/sh"}, group: []string{"alice:x:1000:alice"}},
		{name: "a missing host user", cfg: record.Config{HostUsers: []string{"bob"}}, err: true},
	}
	for _, tt := range tests {
		got, err := accounts(passwd, group, tt.u, &tt.cfg, lookup)
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if !slices.Equal(got.passwd, tt.passwd) || !slices.Equal(got.group, tt.group) {
			t.Errorf("%s: passwd %q group %q, want %q %q", tt.name, got.passwd, got.group, tt.passwd, tt.group)
		}
	}
}
