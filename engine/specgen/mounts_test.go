package specgen

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
)

func TestParseMounts(t *testing.T) {
	cwd, _ := os.Getwd()
	existing := t.TempDir()
	for _, tc := range []struct {
		flag, spec string
		want       record.Mount
		err        bool
	}{
		{"-v", "/src:/dst", record.Mount{Type: record.MountBind, Source: "/src", Destination: "/dst"}, false},
		{"-v", "/src:/dst:ro", record.Mount{Type: record.MountBind, Source: "/src", Destination: "/dst", ReadOnly: true}, false},
		{"-v", "/src/:/dst/:rw,z", record.Mount{Type: record.MountBind, Source: "/src", Destination: "/dst"}, false},
		{"-v", "./rel:/dst", record.Mount{Type: record.MountBind, Source: filepath.Join(cwd, "rel"), Destination: "/dst"}, false},
		{"-v", "/src:/dst:U,O,rshared,noexec", record.Mount{Type: record.MountBind, Source: "/src", Destination: "/dst", Options: []string{"U", "O", "rshared", "noexec"}}, false},
		{"-v", "data:/dst", record.Mount{Type: record.MountVolume, Source: "data", Destination: "/dst"}, false},
		{"-v", "data:/dst:ro,nocopy", record.Mount{Type: record.MountVolume, Source: "data", Destination: "/dst", ReadOnly: true, Options: []string{"nocopy"}}, false},
		{"-v", "/anon", record.Mount{Type: record.MountVolume, Destination: "/anon"}, false},
		{"-v", "/anon:ro", record.Mount{Type: record.MountVolume, Destination: "/anon", ReadOnly: true}, false},
		{"-v", "data:/dst:O", record.Mount{}, true},
		{"-v", "/src:/dst:nocopy", record.Mount{}, true},
		{"-v", "/src:/dst:ro,rw", record.Mount{}, true},
		{"-v", "/src:/dst:shared,private", record.Mount{}, true},
		{"-v", "/src:relative", record.Mount{}, true},
		{"-v", "/tmp:rel", record.Mount{}, true},
		{"-v", "/src:/dst:bogus", record.Mount{}, true},
		{"-v", "bad name:/dst", record.Mount{}, true},
		{"-v", ":/dst", record.Mount{}, true},
		{"-v", "relative", record.Mount{}, true},
		{"-v", "/a:/b:ro:extra", record.Mount{}, true},
		{"--mount", "type=bind,source=" + existing + ",target=/x,readonly", record.Mount{Type: record.MountBind, Source: existing, Destination: "/x", ReadOnly: true}, false},
		{"--mount", "type=bind,src=" + existing + ",dst=/x,bind-propagation=rslave,U", record.Mount{Type: record.MountBind, Source: existing, Destination: "/x", Options: []string{"rslave", "U"}}, false},
		{"--mount", "type=volume,source=v1,target=/x,volume-nocopy", record.Mount{Type: record.MountVolume, Source: "v1", Destination: "/x", Options: []string{"nocopy"}}, false},
		{"--mount", "target=/x", record.Mount{Type: record.MountVolume, Destination: "/x"}, false},
		{"--mount", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770", record.Mount{Type: record.MountTmpfs, Destination: "/t", Options: []string{"size=1m", "mode=1770"}}, false},
		// Parsing does not look at the host: create checks that a source exists.
		{"--mount", "type=bind,source=/nonexistent/dir,target=/x", record.Mount{Type: record.MountBind, Source: "/nonexistent/dir", Destination: "/x"}, false},
		{"--mount", "type=bind,target=/x", record.Mount{}, true},
		{"--mount", "type=tmpfs,source=x,target=/x", record.Mount{}, true},
		{"--mount", "type=volume,target=/x,tmpfs-size=1m", record.Mount{}, true},
		{"--mount", "type=nfs,target=/x", record.Mount{}, true},
		{"--mount", "type=bind,source=" + existing + ",target=/x,readonly=maybe", record.Mount{}, true},
		{"--mount", "type=volume,source=v", record.Mount{}, true},
		{"--mount", "type=volume,target=/x,color=red", record.Mount{}, true},
		{"--tmpfs", "/run", record.Mount{Type: record.MountTmpfs, Destination: "/run", Options: []string{"noexec", "nosuid", "nodev"}}, false},
		{"--tmpfs", "/run:ro,size=64k", record.Mount{Type: record.MountTmpfs, Destination: "/run", ReadOnly: true, Options: []string{"size=64k"}}, false},
		{"--tmpfs", "run", record.Mount{}, true},
	} {
		parse := map[string]func(string) (record.Mount, error){"-v": ParseVolume, "--mount": ParseMount, "--tmpfs": ParseTmpfs}[tc.flag]
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
	if err := checkDestinations([]record.Mount{{Destination: "/a"}, {Destination: "/a/"}}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("two mounts at /a: %v", err)
	}
}
