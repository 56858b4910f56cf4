package oci

import (
	"reflect"
	"slices"
	"testing"
)

func TestSecurityCaps(t *testing.T) {
	for _, tc := range []struct {
		name string
		sec  Security
		want []string
	}{
		{"defaults", Security{}, DefaultCaps},
		{"drop all, add one", Security{CapDrop: []string{"ALL"}, CapAdd: []string{"CAP_NET_RAW"}}, []string{"CAP_NET_RAW"}},
		{"drop one", Security{CapDrop: []string{"CAP_CHOWN"}}, DefaultCaps[1:]},
		{"add all", Security{CapAdd: []string{"ALL"}}, nil},
		{"add all, drop one", Security{CapAdd: []string{"ALL"}, CapDrop: []string{"CAP_SYS_ADMIN"}}, slices.DeleteFunc(boundingCaps(), func(c string) bool { return c == "CAP_SYS_ADMIN" })},
		{"privileged", Security{Privileged: true}, nil},
	} {
		got := tc.sec.Caps()
		if tc.want == nil {
			tc.want = boundingCaps()
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", tc.name, got, want)
		}
	}
	s, err := New(WithSecurity(Security{Seccomp: "unconfined", Unmask: []string{"/proc/kcore"}, Mask: []string{"/etc/secret"}, ShmSize: 1 << 20}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Linux.Seccomp != nil || slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.MaskedPaths, "/etc/secret") {
		t.Errorf("seccomp %v, masked %v", s.Linux.Seccomp, s.Linux.MaskedPaths)
	}
	for _, m := range s.Mounts {
		if m.Destination == "/dev/shm" && !slices.Contains(m.Options, "size=1024k") {
			t.Errorf("/dev/shm options %v", m.Options)
		}
	}
	// What runc 1.1 lacks goes where a runtime finds it.
	s, err = New(WithSecurity(Security{KeepGroups: true, Personality: "LINUX32", RdtClass: "gold", ProcOpts: []string{"hidepid=2"}}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Annotations[KeepGroupsAnnotation] != "1" || s.Linux.Personality.Domain != "LINUX32" || s.Linux.IntelRdt.ClosID != "gold" {
		t.Errorf("annotations %v, personality %v, RDT %v", s.Annotations, s.Linux.Personality, s.Linux.IntelRdt)
	}
	for _, m := range s.Mounts {
		if m.Destination == "/proc" && !slices.Contains(m.Options, "hidepid=2") {
			t.Errorf("/proc options %v", m.Options)
		}
	}
}
