package oci

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func hasNS(s *specs.Spec, typ specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	for _, n := range s.Linux.Namespaces {
		if n.Type == typ {
			return n, true
		}
	}
	return specs.LinuxNamespace{}, false
}

func mountAt(s *specs.Spec, dst string) (specs.Mount, bool) {
	for _, m := range s.Mounts {
		if m.Destination == dst {
			return m, true
		}
	}
	return specs.Mount{}, false
}

func TestSpecOptions(t *testing.T) {
	tests := []struct {
		name  string
		opts  []SpecOpt
		check func(t *testing.T, s *specs.Spec)
	}{
		{"defaults", nil, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Capabilities.Bounding, DefaultCaps) || len(DefaultCaps) != 11 {
				t.Errorf("capabilities %v, want Podman's 11", s.Process.Capabilities.Bounding)
			}
			for _, typ := range []specs.LinuxNamespaceType{specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace, specs.NetworkNamespace} {
				if _, ok := hasNS(s, typ); !ok {
					t.Errorf("no %s namespace", typ)
				}
			}
			for _, dst := range []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"} {
				if _, ok := mountAt(s, dst); !ok {
					t.Errorf("no mount at %s", dst)
				}
			}
			if s.Linux.Sysctl["net.ipv4.ping_group_range"] != "0 0" {
				t.Errorf("ping_group_range not set: %v", s.Linux.Sysctl)
			}
			if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") {
				t.Error("masked or read-only paths missing")
			}
		}},
		{"process", []SpecOpt{WithArgs([]string{"sh", "-c", "x"}), WithEnv([]string{"A=1"}), WithCwd("/w"), WithUser(1, 2, []uint32{3}), WithHostname("h")}, func(t *testing.T, s *specs.Spec) {
			p := s.Process
			if !slices.Equal(p.Args, []string{"sh", "-c", "x"}) || !slices.Equal(p.Env, []string{"A=1"}) || p.Cwd != "/w" {
				t.Errorf("process %+v", p)
			}
			if p.User.UID != 1 || p.User.GID != 2 || !slices.Equal(p.User.AdditionalGids, []uint32{3}) || s.Hostname != "h" {
				t.Errorf("user %+v hostname %q", p.User, s.Hostname)
			}
		}},
		{"empty cwd keeps /", []SpecOpt{WithCwd("")}, func(t *testing.T, s *specs.Spec) {
			if s.Process.Cwd != "/" {
				t.Errorf("cwd %q", s.Process.Cwd)
			}
		}},
		{"host network", []SpecOpt{WithNetNS("host")}, func(t *testing.T, s *specs.Spec) {
			if _, ok := hasNS(s, specs.NetworkNamespace); ok {
				t.Error("host network still has a network namespace")
			}
			if m, _ := mountAt(s, "/sys"); m.Type != "bind" || !slices.Contains(m.Options, "ro") {
				t.Errorf("/sys must be the host's, read-only: %+v", m)
			}
			if _, ok := s.Linux.Sysctl["net.ipv4.ping_group_range"]; ok {
				t.Error("network sysctl set on the host's namespace")
			}
		}},
		{"joined network", []SpecOpt{WithNetNS("/run/netns/x")}, func(t *testing.T, s *specs.Spec) {
			if n, _ := hasNS(s, specs.NetworkNamespace); n.Path != "/run/netns/x" {
				t.Errorf("network namespace %+v", n)
			}
		}},
		{"rootless single mapping", []SpecOpt{WithRootless(true)}, func(t *testing.T, s *specs.Spec) {
			if m, _ := mountAt(s, "/dev/pts"); slices.Contains(m.Options, "gid=5") {
				t.Errorf("devpts uses an unmapped gid: %v", m.Options)
			}
		}},
		{"rootless full mapping", []SpecOpt{WithRootless(false)}, func(t *testing.T, s *specs.Spec) {
			if m, _ := mountAt(s, "/dev/pts"); !slices.Contains(m.Options, "gid=5") {
				t.Errorf("devpts lost its tty group: %v", m.Options)
			}
		}},
		{"seccomp", []SpecOpt{WithSecurity(Security{})}, func(t *testing.T, s *specs.Spec) {
			if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno || len(s.Linux.Seccomp.Syscalls) == 0 {
				t.Errorf("seccomp %+v", s.Linux.Seccomp)
			}
		}},
		{"mounts appended", []SpecOpt{WithMounts([]specs.Mount{{Destination: "/data", Source: "/src", Type: "bind"}})}, func(t *testing.T, s *specs.Spec) {
			if _, ok := mountAt(s, "/data"); !ok {
				t.Error("bind mount missing")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
	if _, err := New(WithArgs(nil)); err == nil {
		t.Error("a spec without a command was accepted")
	}
}

func TestCheckExecutable(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"bin", "etc", "work"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "bin/tool"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/data"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, "work/local"), []byte("x"), 0o755)
	// A symlink may not lead out of the rootfs.
	os.Symlink("/bin/sh", filepath.Join(root, "bin/escape"))
	tests := []struct {
		prog string
		env  []string
		want error
	}{
		{"tool", nil, nil},
		{"/bin/tool", nil, nil},
		{"./local", nil, nil},
		{"missing", nil, ErrNotFound},
		{"/bin/missing", nil, ErrNotFound},
		{"/etc/data", nil, ErrNotExecutable},
		{"/etc", nil, ErrNotExecutable},
		{"tool", []string{"PATH=/etc"}, ErrNotFound},
		{"data", []string{"PATH=/etc:/bin"}, ErrNotExecutable},
		{"escape", nil, ErrNotFound},
		// Under a mount it is the runtime's to find.
		{"/probe", nil, nil},
		{"/opt/bin/x", nil, nil},
		{"x", []string{"PATH=/opt/bin"}, nil},
		{"/optional", nil, ErrNotFound},
	}
	mounts := []specs.Mount{{Destination: "/probe"}, {Destination: "/opt/"}}
	for _, tc := range tests {
		err := CheckExecutable(root, tc.prog, tc.env, "/work", mounts)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("CheckExecutable(%q, %v) = %v, want %v", tc.prog, tc.env, err, tc.want)
		}
	}
}

func TestLastMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{`time="2024" level=error msg="container_linux.go:380: starting container process caused: exec: \"x\": executable file not found in $PATH"`, `container_linux.go:380: starting container process caused: exec: "x": executable file not found in $PATH`},
		{"plain failure\n\n", "plain failure"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := lastMessage(tc.in); got != tc.want {
			t.Errorf("lastMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRuntimeErrorClasses(t *testing.T) {
	r := &Runtime{Path: "/usr/bin/runc"}
	tests := []struct {
		log  string
		want error
	}{
		{`exec: "x": executable file not found in $PATH`, ErrNotFound},
		{`exec /x: permission denied`, ErrNotExecutable},
		{`mount failed`, nil},
	}
	for _, tc := range tests {
		err := r.error([]string{"create"}, tc.log, errors.New("exit status 1"))
		if tc.want != nil && !errors.Is(err, tc.want) || tc.want == nil && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotExecutable)) {
			t.Errorf("%q classified as %v, want %v", tc.log, err, tc.want)
		}
	}
}

// TestRuntimeFake drives the runtime wrapper with a script in place of
// runc, as go-runc's tests do.
func TestRuntimeFake(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "fakeruntime")
	os.WriteFile(fake, []byte("#!/bin/sh\ncase \"$*\" in *--version*) echo 'fakeruntime version 9.9';; *) echo 'level=error msg=\"container \\\"x\\\" does not exist\"' >&2; exit 1;; esac\n"), 0o755)
	r := &Runtime{Path: fake, Root: dir}
	if v, err := r.Version(t.Context()); err != nil || v != "fakeruntime version 9.9" {
		t.Errorf("Version = %q, %v", v, err)
	}
	if err := r.Delete(t.Context(), "x", true); err != nil {
		t.Errorf("Delete of an unknown container: %v", err)
	}
	var re *RuntimeError
	if err := r.run(t.Context(), r.command(t.Context(), "kill", "x")); !errors.As(err, &re) || re.Msg != `container "x" does not exist` {
		t.Errorf("runtime error %v", err)
	}
}

// A network namespace the container's user namespace does not own gets
// the host's /sys, read-only, and no net sysctls.
func TestForeignNetNS(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1, Size: 10}}
	for _, tc := range []struct {
		name    string
		opts    []SpecOpt
		foreign bool
	}{
		{name: "own namespace", opts: nil},
		{name: "host", opts: []SpecOpt{WithNetNS("host")}, foreign: true},
		{name: "a pinned one", opts: []SpecOpt{WithNetNS("/run/x")}},
		{name: "a pinned one from a user namespace", opts: []SpecOpt{WithNetNS("/run/x"), WithUserNS(maps, maps)}, foreign: true},
		{name: "the same, options the other way", opts: []SpecOpt{WithUserNS(maps, maps), WithNetNS("/run/x")}, foreign: true},
		{name: "own namespace in a user namespace", opts: []SpecOpt{WithUserNS(maps, maps)}},
	} {
		s, err := New(tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		sysType := ""
		for _, m := range s.Mounts {
			if m.Destination == "/sys" {
				sysType = m.Type
			}
		}
		_, sysctl := s.Linux.Sysctl["net.ipv4.ping_group_range"]
		if (sysType == "bind") != tc.foreign || sysctl == tc.foreign {
			t.Errorf("%s: /sys %s, ping sysctl %t", tc.name, sysType, sysctl)
		}
	}
}
