package containers

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/idtools"
)

func TestNamespaceTranslation(t *testing.T) {
	// --userns=keep-id's maps for user 1000 in a namespace of 65537 IDs.
	keep := specIDMaps([]idtools.IDMap{{ContainerID: 0, HostID: 1, Size: 1000}, {ContainerID: 1000, HostID: 0, Size: 1}, {ContainerID: 1001, HostID: 1001, Size: 64536}})
	for _, tc := range []struct {
		name      string
		m         []specs.LinuxIDMapping
		container int // in the container
		ours      int // in scow's namespace
	}{
		{"no mapping", nil, 1000, 1000},
		{"keep-id's user", keep, 1000, 0},
		{"keep-id's root", keep, 0, 1},
		{"keep-id above the user", keep, 1001, 1001},
		{"--uidmap", specIDMaps([]idtools.IDMap{{ContainerID: 0, HostID: 5000, Size: 10}}), 3, 5003},
	} {
		if got := ToNamespace(tc.m, uint32(tc.container)); got != tc.ours {
			t.Errorf("%s: toNamespace(%d) = %d, want %d", tc.name, tc.container, got, tc.ours)
		}
		if got := fromNamespace(tc.m, tc.ours); got != tc.container {
			t.Errorf("%s: fromNamespace(%d) = %d, want %d", tc.name, tc.ours, got, tc.container)
		}
	}
	// What the mapping lacks is nobody, both ways.
	m := specIDMaps([]idtools.IDMap{{ContainerID: 0, HostID: 1, Size: 10}})
	if got := fromNamespace(m, 0); got != 65534 {
		t.Errorf("an unmapped ID of ours is %d in the container, want 65534", got)
	}
	if got := ToNamespace(m, 10); got != 65534 {
		t.Errorf("an unmapped container ID is %d of ours, want 65534", got)
	}
}
