package storage

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseVolumeOptions(t *testing.T) {
	dev := t.TempDir()
	file := filepath.Join(dev, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts map[string]string
		want VolumeMount
		err  bool
	}{
		{name: "plain", opts: nil, want: VolumeMount{Type: "bind"}},
		{name: "owner", opts: map[string]string{"o": "uid=1000,gid=100"}, want: VolumeMount{Type: "bind", Options: []string{"uid=1000", "gid=100"}}},
		{name: "tmpfs", opts: map[string]string{"type": "tmpfs", "o": "size=1m", "device": "tmpfs"}, want: VolumeMount{Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}}},
		{name: "bound directory", opts: map[string]string{"type": "none", "o": "bind,ro", "device": dev}, want: VolumeMount{Type: "bind", Source: dev, Options: []string{"ro"}}},
		{name: "unknown key", opts: map[string]string{"colour": "red"}, err: true},
		{name: "device without type", opts: map[string]string{"device": dev}, err: true},
		{name: "other o without type", opts: map[string]string{"o": "size=1m"}, err: true},
		{name: "tmpfs with a device", opts: map[string]string{"type": "tmpfs", "device": dev}, err: true},
		{name: "relative device", opts: map[string]string{"type": "none", "o": "bind", "device": "rel"}, err: true},
		{name: "no o=bind", opts: map[string]string{"type": "none", "device": dev}, err: true},
		{name: "device is a file", opts: map[string]string{"type": "none", "o": "bind", "device": file}, err: true},
		{name: "unknown type", opts: map[string]string{"type": "nfs"}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseVolumeOptions(tc.opts)
			if tc.err {
				if !errors.Is(err, ErrVolumeInvalid) {
					t.Fatalf("err = %v, want ErrVolumeInvalid", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("= %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if uid, gid, ok := (VolumeMount{Options: []string{"gid=5"}}).OwnerIDs(); !ok || uid != -1 || gid != 5 {
		t.Errorf("OwnerIDs of gid=5: %d %d %t", uid, gid, ok)
	}
	// A plain volume mounts with no options but keeps its owner.
	m, err := (&Volume{Mountpoint: "/v/_data", Options: map[string]string{"o": "uid=7,gid=8"}}).Mount()
	if uid, gid, ok := m.OwnerIDs(); err != nil || len(m.Options) != 0 || !ok || uid != 7 || gid != 8 {
		t.Errorf("Mount of a plain volume with an owner: %+v, %v; owner %d:%d %t", m, err, uid, gid, ok)
	}
}

func TestVolumes(t *testing.T) {
	v := OpenVolumes(filepath.Join(t.TempDir(), "volumes"))
	unlock, err := v.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	data, err := v.Create(Volume{Name: "data", Labels: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if !data.NeedsCopyUp || data.Driver != "local" || data.Mountpoint != filepath.Join(v.dir, "data", "_data") {
		t.Errorf("created %+v", data)
	}
	if st, err := os.Stat(data.Mountpoint); err != nil || !st.IsDir() {
		t.Errorf("no data directory: %v", err)
	}
	if _, err := v.Create(Volume{Name: "data"}); !errors.Is(err, ErrVolumeExists) {
		t.Errorf("second create: %v", err)
	}
	if _, err := v.Create(Volume{Name: "../x"}); !errors.Is(err, ErrVolumeInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := v.Create(Volume{Name: "bad", Options: map[string]string{"type": "nfs"}}); !errors.Is(err, ErrVolumeInvalid) {
		t.Errorf("bad options: %v", err)
	}
	if _, err := os.Stat(filepath.Join(v.dir, "bad")); !os.IsNotExist(err) {
		t.Errorf("a refused create left %v", err)
	}
	if tmp, err := v.Create(Volume{Name: "tmp", Options: map[string]string{"type": "tmpfs"}}); err != nil || tmp.NeedsCopyUp {
		t.Errorf("tmpfs volume: %+v %v", tmp, err)
	}
	// A create killed before its record: skipped by List, unknown to Get.
	if err := os.Mkdir(filepath.Join(v.dir, "half"), 0o700); err != nil {
		t.Fatal(err)
	}
	list, err := v.List()
	if err != nil || len(list) != 2 || list[0].Name != "data" || list[1].Name != "tmp" {
		t.Errorf("List = %v, %v", list, err)
	}
	if _, err := v.Get("half"); !errors.Is(err, ErrVolumeUnknown) {
		t.Errorf("Get of a half-made volume: %v", err)
	}
	if !data.Match("label", "team=a") || data.Match("label", "team=b") || !data.Match("name", "at") || !data.Match("driver", "local") || !data.Match("scope", "local") || data.Match("opt", "type") {
		t.Errorf("Match")
	}
	if err := v.Remove("data"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get("data"); !errors.Is(err, ErrVolumeUnknown) {
		t.Errorf("after Remove: %v", err)
	}
	if err := v.Remove("data"); !errors.Is(err, ErrVolumeUnknown) {
		t.Errorf("second Remove: %v", err)
	}
	for _, k := range []string{"name", "label", "opt", "scope"} {
		if err := CheckVolumeFilter(k); err != nil {
			t.Errorf("CheckVolumeFilter(%s): %v", k, err)
		}
	}
	if err := CheckVolumeFilter("colour"); !errors.Is(err, ErrVolumeInvalid) {
		t.Errorf("CheckVolumeFilter(colour): %v", err)
	}
}
