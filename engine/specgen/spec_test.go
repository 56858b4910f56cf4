package specgen

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
	"go.podman.io/storage/pkg/idtools"
)

// NewSpec is pure but for the files flags name: every option becomes a
// typed field, every conflict an errdefs.ErrInvalid that names the flags.
func TestNewSpec(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	os.WriteFile(envFile, []byte("# comment\nFROM_FILE=1\n"), 0o644)
	labelFile := filepath.Join(dir, "labels")
	os.WriteFile(labelFile, []byte("# comment\nteam=a\n\nkeep=file\n"), 0o644)
	taken := filepath.Join(dir, "cid")
	os.WriteFile(taken, nil, 0o644)
	str := func(s string) *string { return &s }
	ten := 10

	valid := []struct {
		name  string
		o     RunOptions
		check func(*Spec) bool
	}{
		{"the image and its command", RunOptions{Image: "busybox", Args: []string{"echo", "hi"}}, func(s *Spec) bool {
			return s.Image == "busybox" && reflect.DeepEqual(s.Cmd, []string{"echo", "hi"}) && !s.SetEntrypoint && s.Restart.Name == "no" && s.LogMaxFiles == 1
		}},
		{"ports on slirp4netns", RunOptions{Image: "i", Network: "slirp4netns", Publish: []string{"8080:80"}}, func(s *Spec) bool {
			return s.Network.Kind == netns.ModeSlirp && len(s.Ports) == 1 && s.Ports[0].HostPort == 8080 && s.Ports[0].ContainerPort == 80
		}},
		{"ports dropped on the host's network", RunOptions{Image: "i", Network: "host", Publish: []string{"80"}, PublishAll: true}, func(s *Spec) bool {
			return s.Ports == nil && !s.PublishAll
		}},
		{"env files, then -e", RunOptions{Image: "i", EnvFiles: []string{envFile}, Env: []string{"A=b", "EMPTY="}}, func(s *Spec) bool {
			return reflect.DeepEqual(s.Env, []string{"FROM_FILE=1", "A=b", "EMPTY="})
		}},
		{"a --rootfs directory under an overlay", RunOptions{Image: dir + ":O", Rootfs: true}, func(s *Spec) bool {
			return s.Rootfs == dir && s.RootfsOverlay && s.Image == ""
		}},
		{"a --rootfs directory", RunOptions{Image: dir, Rootfs: true}, func(s *Spec) bool {
			return s.Rootfs == dir && !s.RootfsOverlay
		}},
		{"chroot directories, comma-separated or repeated", RunOptions{Image: "i", ChrootDirs: []string{"/a,/b/", "/c"}}, func(s *Spec) bool {
			return reflect.DeepEqual(s.ChrootDirs, []string{"/a", "/b", "/c"})
		}},
		{"an empty entrypoint clears the image's", RunOptions{Image: "i", Entrypoint: str("")}, func(s *Spec) bool {
			return s.SetEntrypoint && len(s.Entrypoint) == 0
		}},
		{"a JSON entrypoint", RunOptions{Image: "i", Entrypoint: str(`["/bin/sh","-c"]`)}, func(s *Spec) bool {
			return reflect.DeepEqual(s.Entrypoint, []string{"/bin/sh", "-c"})
		}},
		{"labels, logs, restart, stop", RunOptions{Image: "i", Labels: []string{"a=b", "c"}, LogOpts: []string{"max-size=1k", "max-file=3"}, Restart: "on-failure:2", StopSignal: "SIGUSR1", StopTimeout: &ten}, func(s *Spec) bool {
			return reflect.DeepEqual(s.Labels, map[string]string{"a": "b", "c": ""}) && s.LogMaxSize == 1024 && s.LogMaxFiles == 3 &&
				s.Restart == record.RestartPolicy{Name: "on-failure", MaxRetries: 2} && s.StopSignal == "SIGUSR1" && *s.StopTimeout == 10
		}},
		{"mounts of every kind", RunOptions{Image: "i", Volumes: []string{"/src:/a:ro", "data:/b"}, Tmpfs: []string{"/t"}, VolumesFrom: []string{"other:ro"}}, func(s *Spec) bool {
			return len(s.Mounts) == 3 && s.Mounts[0].Type == record.MountBind && s.Mounts[0].ReadOnly && s.Mounts[1].Type == record.MountVolume &&
				s.Mounts[2].Type == record.MountTmpfs && reflect.DeepEqual(s.VolumesFrom, []string{"other:ro"})
		}},
		{"an ID mapping", RunOptions{Image: "i", UIDMap: []string{"0:1:10"}}, func(s *Spec) bool {
			return reflect.DeepEqual(s.IDMapping.UIDMap, []idtools.IDMap{{ContainerID: 0, HostID: 1, Size: 10}}) && s.KeepIDUser == ""
		}},
		{"a named network with an alias", RunOptions{Image: "i", Network: "app", NetworkAliases: []string{"db"}, IP: "10.1.0.5"}, func(s *Spec) bool {
			return s.Network.Kind == netns.ModeBridge && s.Network.Target == "app" && s.IP == "10.1.0.5"
		}},
		{"another container's network", RunOptions{Image: "i", Network: "container:web"}, func(s *Spec) bool {
			return s.Network.Kind == netns.ModeContainer && s.Network.Target == "web"
		}},
		{"label files under --label", RunOptions{Image: "i", LabelFiles: []string{labelFile}, Labels: []string{"team=b"}}, func(s *Spec) bool {
			return reflect.DeepEqual(s.Labels, map[string]string{"team": "b", "keep": "file"})
		}},
		{"annotations, exposed ports, env merging", RunOptions{Image: "i", Annotations: []string{"a=1"}, Expose: []string{"80"}, EnvMerge: []string{"P=${P}:/x"}, UnsetEnv: []string{"HOME"}}, func(s *Spec) bool {
			return reflect.DeepEqual(s.Annotations, map[string]string{"a": "1"}) && reflect.DeepEqual(s.Expose, []string{"80/tcp"}) &&
				reflect.DeepEqual(s.EnvMerge, []string{"P=${P}:/x"}) && reflect.DeepEqual(s.UnsetEnv, []string{"HOME"})
		}},
	}
	for _, tc := range valid {
		s, err := NewSpec(tc.o)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tc.check(s) {
			t.Errorf("%s: got %+v", tc.name, *s)
		}
	}

	invalid := []struct {
		name  string
		o     RunOptions
		class error
		words string
	}{
		{"a bad name", RunOptions{Image: "i", Name: "-x"}, errdefs.ErrInvalid, "-x"},
		{"a --rootfs that is no directory", RunOptions{Image: envFile, Rootfs: true}, errdefs.ErrInvalid, "not a directory"},
		{"a --rootfs option", RunOptions{Image: "/tmp:idmap", Rootfs: true}, errdefs.ErrInvalid, "only O"},
		{"a --rootfs with --userns=auto", RunOptions{Image: "/tmp", Rootfs: true, UserNS: "auto"}, errdefs.ErrInvalid, "--rootfs"},
		{"a relative chroot directory", RunOptions{Image: "i", ChrootDirs: []string{"/a,b"}}, errdefs.ErrInvalid, `"b"`},
		{"the root as a chroot directory", RunOptions{Image: "i", ChrootDirs: []string{"/"}}, errdefs.ErrInvalid, "--chrootdirs"},
		{"a bad hostname", RunOptions{Image: "i", Hostname: "a_b"}, errdefs.ErrInvalid, "--hostname"},
		{"a bad network", RunOptions{Image: "i", Network: "weird:x"}, errdefs.ErrInvalid, "weird"},
		{"a bad port", RunOptions{Image: "i", Network: "slirp4netns", Publish: []string{"x:y"}}, errdefs.ErrInvalid, "x:y"},
		{"ports without a network of its own", RunOptions{Image: "i", Network: "none", Publish: []string{"80"}}, errdefs.ErrInvalid, "-p and -P"},
		{"an alias without a named network", RunOptions{Image: "i", Network: "none", NetworkAliases: []string{"a"}}, errdefs.ErrInvalid, "--network-alias"},
		{"a bad MAC address", RunOptions{Image: "i", Network: "slirp4netns", MacAddress: "zz"}, errdefs.ErrInvalid, "--mac-address"},
		{"a MAC address on the host's network", RunOptions{Image: "i", Network: "host", MacAddress: "02:42:ac:11:00:02"}, errdefs.ErrInvalid, "--mac-address"},
		{"a bad --add-host", RunOptions{Image: "i", AddHosts: []string{"nocolon"}}, errdefs.ErrInvalid, "nocolon"},
		{"a hostname with another's network", RunOptions{Image: "i", Network: "container:web", Hostname: "h"}, errdefs.ErrInvalid, "conflicting options: --hostname"},
		{"a user namespace with a joined network", RunOptions{Image: "i", Network: "ns:/run/netns/x", UIDMap: []string{"0:1:10"}}, errdefs.ErrInvalid, "conflicting options"},
		{"restart and rm", RunOptions{Image: "i", Restart: "always", Remove: true}, errdefs.ErrInvalid, "--restart and --rm"},
		{"a bad restart policy", RunOptions{Image: "i", Restart: "sometimes"}, errdefs.ErrInvalid, "sometimes"},
		{"a bad stop signal", RunOptions{Image: "i", StopSignal: "NOPE"}, errdefs.ErrInvalid, "NOPE"},
		{"a relative workdir", RunOptions{Image: "i", Workdir: "rel"}, errdefs.ErrInvalid, "-w"},
		{"a bad --volumes-from mode", RunOptions{Image: "i", VolumesFrom: []string{"other:zz"}}, errdefs.ErrInvalid, "--volumes-from"},
		{"two mounts on one path", RunOptions{Image: "i", Volumes: []string{"/a:/x", "/b:/x/"}}, errdefs.ErrInvalid, "/x"},
		{"a bad -e", RunOptions{Image: "i", Env: []string{"=x"}}, errdefs.ErrInvalid, "=x"},
		{"a missing env file", RunOptions{Image: "i", EnvFiles: []string{filepath.Join(dir, "none")}}, os.ErrNotExist, "none"},
		{"a bad entrypoint", RunOptions{Image: "i", Entrypoint: str("[oops")}, errdefs.ErrInvalid, "--entrypoint"},
		{"a bad log option", RunOptions{Image: "i", LogOpts: []string{"colour=red"}}, errdefs.ErrInvalid, "colour"},
		{"a bad --userns", RunOptions{Image: "i", UserNS: "sideways"}, errdefs.ErrInvalid, "sideways"},
		{"a missing init", RunOptions{Image: "i", InitPath: filepath.Join(dir, "none")}, errdefs.ErrInvalid, "--init-path"},
		{"an existing cidfile", RunOptions{Image: "i", CIDFile: taken}, errdefs.ErrExists, "--cidfile"},
		{"a bad --env-merge", RunOptions{Image: "i", EnvMerge: []string{"novalue"}}, errdefs.ErrInvalid, "--env-merge"},
		{"a missing label file", RunOptions{Image: "i", LabelFiles: []string{filepath.Join(dir, "none")}}, errdefs.ErrInvalid, "--label-file"},
		{"a bad --expose", RunOptions{Image: "i", Expose: []string{"x"}}, errdefs.ErrInvalid, "--expose"},
		{"a bad --annotation", RunOptions{Image: "i", Annotations: []string{"=x"}}, errdefs.ErrInvalid, "--annotation"},
		{"an IPC sysctl in the host's IPC namespace", RunOptions{Image: "i", Namespaces: NamespaceOptions{IPC: "host"}, Security: SecurityOptions{Sysctl: []string{"kernel.shmmax=1"}}}, errdefs.ErrInvalid, "--ipc host"},
		{"a bad --cgroups", RunOptions{Image: "i", Cgroups: "sometimes"}, errdefs.ErrInvalid, "--cgroups"},
		{"no cgroup, with limits", RunOptions{Image: "i", Cgroups: "disabled", Resources: ResourceOptions{Memory: "1g"}}, errdefs.ErrInvalid, "--cgroups disabled"},
		{"no cgroup, with a parent", RunOptions{Image: "i", Cgroups: "disabled", CgroupParent: "/a"}, errdefs.ErrInvalid, "--cgroups disabled"},
		{"split, with a parent", RunOptions{Image: "i", Cgroups: "split", CgroupParent: "/a"}, errdefs.ErrInvalid, "--cgroup-parent"},
	}
	for _, tc := range invalid {
		_, err := NewSpec(tc.o)
		if !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%s: got %v, want %v naming %q", tc.name, err, tc.class, tc.words)
		}
	}
}
