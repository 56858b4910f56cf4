package engine

import (
	"errors"
	"github.com/scow-project/scow/engine/errdefs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseMounts(t *testing.T) {
	cwd, _ := os.Getwd()
	existing := t.TempDir()
	for _, tc := range []struct {
		flag, spec string
		want       Mount
		err        bool
	}{
		{"-v", "/src:/dst", Mount{Type: MountBind, Source: "/src", Destination: "/dst"}, false},
		{"-v", "/src:/dst:ro", Mount{Type: MountBind, Source: "/src", Destination: "/dst", ReadOnly: true}, false},
		{"-v", "/src/:/dst/:rw,z", Mount{Type: MountBind, Source: "/src", Destination: "/dst"}, false},
		{"-v", "./rel:/dst", Mount{Type: MountBind, Source: filepath.Join(cwd, "rel"), Destination: "/dst"}, false},
		{"-v", "/src:/dst:U,O,rshared,noexec", Mount{Type: MountBind, Source: "/src", Destination: "/dst", Options: []string{"U", "O", "rshared", "noexec"}}, false},
		{"-v", "data:/dst", Mount{Type: MountVolume, Source: "data", Destination: "/dst"}, false},
		{"-v", "data:/dst:ro,nocopy", Mount{Type: MountVolume, Source: "data", Destination: "/dst", ReadOnly: true, Options: []string{"nocopy"}}, false},
		{"-v", "/anon", Mount{Type: MountVolume, Destination: "/anon"}, false},
		{"-v", "/anon:ro", Mount{Type: MountVolume, Destination: "/anon", ReadOnly: true}, false},
		{"-v", "data:/dst:O", Mount{}, true},
		{"-v", "/src:/dst:nocopy", Mount{}, true},
		{"-v", "/src:/dst:ro,rw", Mount{}, true},
		{"-v", "/src:/dst:shared,private", Mount{}, true},
		{"-v", "/src:relative", Mount{}, true},
		{"-v", "/tmp:rel", Mount{}, true},
		{"-v", "/src:/dst:bogus", Mount{}, true},
		{"-v", "bad name:/dst", Mount{}, true},
		{"-v", ":/dst", Mount{}, true},
		{"-v", "relative", Mount{}, true},
		{"-v", "/a:/b:ro:extra", Mount{}, true},
		{"--mount", "type=bind,source=" + existing + ",target=/x,readonly", Mount{Type: MountBind, Source: existing, Destination: "/x", ReadOnly: true}, false},
		{"--mount", "type=bind,src=" + existing + ",dst=/x,bind-propagation=rslave,U", Mount{Type: MountBind, Source: existing, Destination: "/x", Options: []string{"rslave", "U"}}, false},
		{"--mount", "type=volume,source=v1,target=/x,volume-nocopy", Mount{Type: MountVolume, Source: "v1", Destination: "/x", Options: []string{"nocopy"}}, false},
		{"--mount", "target=/x", Mount{Type: MountVolume, Destination: "/x"}, false},
		{"--mount", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770", Mount{Type: MountTmpfs, Destination: "/t", Options: []string{"size=1m", "mode=1770"}}, false},
		// Parsing does not look at the host: create checks that a source exists.
		{"--mount", "type=bind,source=/nonexistent/dir,target=/x", Mount{Type: MountBind, Source: "/nonexistent/dir", Destination: "/x"}, false},
		{"--mount", "type=bind,target=/x", Mount{}, true},
		{"--mount", "type=tmpfs,source=x,target=/x", Mount{}, true},
		{"--mount", "type=volume,target=/x,tmpfs-size=1m", Mount{}, true},
		{"--mount", "type=nfs,target=/x", Mount{}, true},
		{"--mount", "type=bind,source=" + existing + ",target=/x,readonly=maybe", Mount{}, true},
		{"--mount", "type=volume,source=v", Mount{}, true},
		{"--mount", "type=volume,target=/x,color=red", Mount{}, true},
		{"--tmpfs", "/run", Mount{Type: MountTmpfs, Destination: "/run", Options: []string{"noexec", "nosuid", "nodev"}}, false},
		{"--tmpfs", "/run:ro,size=64k", Mount{Type: MountTmpfs, Destination: "/run", ReadOnly: true, Options: []string{"size=64k"}}, false},
		{"--tmpfs", "run", Mount{}, true},
	} {
		parse := map[string]func(string) (Mount, error){"-v": ParseVolume, "--mount": ParseMount, "--tmpfs": ParseTmpfs}[tc.flag]
		got, err := parse(tc.spec)
		if (err != nil) != tc.err {
			t.Errorf("%s %q: error %v, want error %t", tc.flag, tc.spec, err, tc.err)
			continue
		}
		if err != nil && !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%s %q: error %v is not errdefs.ErrInvalid", tc.flag, tc.spec, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %q = %+v, want %+v", tc.flag, tc.spec, got, tc.want)
		}
	}
	if err := checkDestinations([]Mount{{Destination: "/a"}, {Destination: "/a/"}}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("two mounts at /a: %v", err)
	}
}
