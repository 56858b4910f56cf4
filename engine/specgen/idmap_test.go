package specgen

import (
	"reflect"
	"testing"

	"go.podman.io/storage/pkg/idtools"
)

func TestParseUserNS(t *testing.T) {
	m := func(c, h, n int) idtools.IDMap { return idtools.IDMap{ContainerID: c, HostID: h, Size: n} }
	for _, tc := range []struct {
		mode           string
		uidmap, gidmap []string
		uids, gids     []idtools.IDMap
		auto           uint32
		err            bool
	}{
		{mode: ""},
		{mode: "host"},
		{mode: "auto", auto: 0},
		{mode: "auto:size=2000", auto: 2000},
		{uidmap: []string{"0:1:1000"}, uids: []idtools.IDMap{m(0, 1, 1000)}, gids: []idtools.IDMap{m(0, 1, 1000)}},
		{uidmap: []string{"0:1:10", "10:0:1"}, gidmap: []string{"0:5:3"}, uids: []idtools.IDMap{m(0, 1, 10), m(10, 0, 1)}, gids: []idtools.IDMap{m(0, 5, 3)}},
		{gidmap: []string{"0:1:7"}, uids: []idtools.IDMap{m(0, 1, 7)}, gids: []idtools.IDMap{m(0, 1, 7)}},
		{mode: "host:x", err: true},
		{mode: "auto:size=0", err: true},
		{mode: "auto:colour=red", err: true},
		{mode: "private", err: true},
		{mode: "auto", uidmap: []string{"0:1:10"}, err: true},
		{uidmap: []string{"0:1:0"}, err: true},
		{uidmap: []string{"0:1"}, err: true},
		{uidmap: []string{"0:-1:10"}, err: true},
		{uidmap: []string{"0:1:10:20:30:40"}, err: true},
		{gidmap: []string{"x:1:10"}, err: true},
		// Root's files need no mapping: the unit tests run as root.
		{mode: "keep-id", err: true},
		{mode: "nomap", err: true},
	} {
		u, err := parseUserNS(&RunOptions{UserNS: tc.mode, UIDMap: tc.uidmap, GIDMap: tc.gidmap})
		if tc.err {
			if err == nil {
				t.Errorf("parseUserNS(%q, %v, %v): no error", tc.mode, tc.uidmap, tc.gidmap)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseUserNS(%q, %v, %v): %v", tc.mode, tc.uidmap, tc.gidmap, err)
			continue
		}
		if !reflect.DeepEqual(u.mapping.UIDMap, tc.uids) || !reflect.DeepEqual(u.mapping.GIDMap, tc.gids) || u.mapping.AutoSize != tc.auto {
			t.Errorf("parseUserNS(%q, %v, %v) = %+v", tc.mode, tc.uidmap, tc.gidmap, u.mapping)
		}
	}
}

// TestSubIDConflicts: --subuidname and --subgidname stand alone.
func TestSubIDConflicts(t *testing.T) {
	for _, o := range []RunOptions{
		{SubUIDName: "u", UserNS: "auto"},
		{SubGIDName: "u", UserNS: "host"},
		{SubUIDName: "u", UIDMap: []string{"0:1:10"}},
		{SubGIDName: "u", GIDMap: []string{"0:1:10"}},
		{SubUIDName: "no-such-user-here"},
	} {
		if _, err := parseUserNS(&o); err == nil {
			t.Errorf("parseUserNS(%+v): no error", o)
		}
	}
}

func TestToNamespace(t *testing.T) {
	m := func(c, h, n int) idtools.IDMap { return idtools.IDMap{ContainerID: c, HostID: h, Size: n} }
	rootless := []idtools.IDMap{m(0, 1000, 1), m(1, 100000, 65536)}
	for _, tc := range []struct {
		name     string
		maps, ns []idtools.IDMap
		want     []idtools.IDMap
		err      bool
	}{
		{"root's identity", []idtools.IDMap{m(0, 200000, 65536)}, []idtools.IDMap{m(0, 0, 4294967295)}, []idtools.IDMap{m(0, 200000, 65536)}, false},
		{"the user's whole range", []idtools.IDMap{m(0, 100000, 65536)}, rootless, []idtools.IDMap{m(0, 1, 65536)}, false},
		{"part of it", []idtools.IDMap{m(0, 110000, 1000)}, rootless, []idtools.IDMap{m(0, 10001, 1000)}, false},
		{"across two lines", []idtools.IDMap{m(0, 1000, 3)}, []idtools.IDMap{m(0, 1000, 1), m(1, 1001, 5)}, []idtools.IDMap{m(0, 0, 1), m(1, 1, 2)}, false},
		{"two ranges", []idtools.IDMap{m(0, 100000, 10), m(10, 100100, 10)}, rootless, []idtools.IDMap{m(0, 1, 10), m(10, 101, 10)}, false},
		{"beyond the user's range", []idtools.IDMap{m(0, 160000, 10000)}, rootless, nil, true},
		{"another user's range", []idtools.IDMap{m(0, 300000, 65536)}, rootless, nil, true},
	} {
		got, err := toNamespace(tc.maps, tc.ns)
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: toNamespace = %v, %v; want %v (error %v)", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestKeepID(t *testing.T) {
	m := func(c, h, n int) idtools.IDMap { return idtools.IDMap{ContainerID: c, HostID: h, Size: n} }
	for _, tc := range []struct {
		id, size int
		want     []idtools.IDMap
	}{
		{id: 1000, size: 65537, want: []idtools.IDMap{m(0, 1, 1000), m(1000, 0, 1), m(1001, 1001, 64536)}},
		{id: 0, size: 65537, want: []idtools.IDMap{m(0, 0, 1), m(1, 1, 65536)}},
		// An ID past the namespace: what fits below it is mapped.
		{id: 70000, size: 65537, want: []idtools.IDMap{m(0, 1, 65536), m(70000, 0, 1)}},
	} {
		if got := keepID(tc.id, tc.size); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("keepID(%d, %d) = %v, want %v", tc.id, tc.size, got, tc.want)
		}
	}
}
