//go:build e2e

package tests

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// owner returns a host file's UID.
func owner(t *testing.T, p string) int {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return int(st.Uid)
}

// hostID is the host UID of container UID id in the mode's default
// user namespace.
func (m *mode) hostID(id int) int {
	if m.rootless {
		return 100000 + id - 1 // the test user's range starts at 100000
	}
	return id
}

func TestNamedVolumes(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		if got := s.must("volume", "create", "--label", "team=a", "data"); got != "data\n" {
			t.Errorf("volume create printed %q", got)
		}
		wantError(t, s.scow("volume", "create", "data"), 125, "already exists")
		s.must("volume", "create", "--ignore", "data")
		wantError(t, s.scow("volume", "create", "bad name"), 125, "bad name")
		wantError(t, s.scow("volume", "create", "--opt", "color=red", "v2"), 125, "color")
		if got := s.must("volume", "inspect", "--format", "{{.Name}} {{.Driver}} {{.Labels.team}}", "data"); got != "data local a\n" {
			t.Errorf("volume inspect: %q", got)
		}
		if got := s.must("volume", "ls", "--filter", "label=team=a", "--format", "{{.Name}}"); got != "data\n" {
			t.Errorf("volume ls --filter: %q", got)
		}
		wantError(t, s.scow("volume", "ls", "--filter", "colour=red"), 125, "colour")
		wantError(t, s.scow("volume", "prune", "-f", "--filter", "dangling=maybe"), 125, "dangling")
		wantError(t, s.scow("volume", "create", "-d", "nfs", "far"), 125, "local driver")
		// Data outlives the container.
		s.must("run", "--rm", "-v", "data:/d", "busybox", "sh", "-c", "echo kept > /d/f")
		if got := s.must("run", "--rm", "-v", "data:/d", "busybox", "cat", "/d/f"); got != "kept\n" {
			t.Errorf("a new container sees %q", got)
		}
		// export and import move a volume's data; mount says where it is.
		archive := filepath.Join(m.userDir(t), "data.tar")
		s.must("volume", "export", "-o", archive, "data")
		s.must("volume", "create", "copy")
		s.must("volume", "import", "copy", archive)
		if got := s.must("run", "--rm", "-v", "copy:/c", "busybox", "cat", "/c/f"); got != "kept\n" {
			t.Errorf("a volume imported from an export has %q", got)
		}
		exported := s.must("volume", "export", "data")
		s.scowStdin(exported, "volume", "import", "copy", "-")
		where := strings.TrimSpace(s.must("volume", "mount", "data"))
		if data, err := os.ReadFile(filepath.Join(where, "f")); err != nil || string(data) != "kept\n" {
			t.Errorf("volume mount printed %q, where f is %q (%v)", where, data, err)
		}
		s.must("volume", "unmount", "data")
		// A hostile archive stays inside the volume.
		var evil bytes.Buffer
		tw := tar.NewWriter(&evil)
		for _, name := range []string{"../escaped", "../../escaped"} {
			tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
			tw.Write([]byte("x"))
		}
		tw.Close()
		s.scowStdin(evil.String(), "volume", "import", "copy", "-")
		for _, p := range []string{filepath.Join(where, "..", "escaped"), filepath.Join(where, "..", "..", "escaped")} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("volume import wrote %s, outside the volume", p)
			}
		}
		s.must("volume", "create", "--opt", "type=tmpfs", "inram")
		wantError(t, s.scow("volume", "export", "inram"), 125, "tmpfs")
		wantError(t, s.scow("volume", "import", "copy", filepath.Join(m.userDir(t), "none.tar")), 125, "none.tar")
		wantError(t, s.scow("volume", "export", "nosuch"), 125, "nosuch")
		s.must("volume", "rm", "copy", "inram")
		// :ro is enforced.
		if r := s.scow("run", "--rm", "-v", "data:/d:ro", "busybox", "touch", "/d/x"); r.code == 0 || !strings.Contains(r.stderr, "Read-only") {
			t.Errorf("write to a :ro volume: %s", r)
		}
		// A new volume gets what the image has at its mount point, once.
		if got := s.must("run", "--rm", "-v", "etc:/etc", "busybox", "cat", "/etc/passwd"); !strings.HasPrefix(got, "root:") {
			t.Errorf("copy-up into a new volume: %q", got)
		}
		if got := s.must("run", "--rm", "-v", "etc2:/etc:nocopy", "busybox", "ls", "/etc"); got != "" {
			t.Errorf("nocopy volume has %q", got)
		}
		// A volume in use is not removed, unless with -f (its user goes).
		s.must("create", "--name", "user", "-v", "data:/d", "busybox", "true")
		wantError(t, s.scow("volume", "rm", "data"), 125, "user", "data")
		s.must("volume", "rm", "-f", "-t", "0", "data")
		if r := s.scow("volume", "exists", "data"); r.code != 1 {
			t.Errorf("volume exists after rm: %s", r)
		}
		if r := s.scow("inspect", "--type", "container", "user"); r.code == 0 {
			t.Error("volume rm -f left the container that used it")
		}
		// A tmpfs volume.
		s.must("volume", "create", "--opt", "type=tmpfs", "--opt", "o=size=1m", "tv")
		if got := s.must("run", "--rm", "-v", "tv:/t", "busybox", "sh", "-c", "grep ' /t ' /proc/mounts"); !strings.Contains(got, "tmpfs") {
			t.Errorf("tmpfs volume mounted as %q", got)
		}
		// The other filters: opt=, scope=, until=.
		for filter, want := range map[string]string{"opt=type=tmpfs": "tv\n", "opt=o": "tv\n", "scope=local": "etc\netc2\ntv\n", "until=1h": "", "until=2099-01-01": "etc\netc2\ntv\n"} {
			if got := s.must("volume", "ls", "-q", "--filter", filter); got != want {
				t.Errorf("volume ls --filter %s: %q, want %q", filter, got, want)
			}
		}
		wantError(t, s.scow("volume", "ls", "--filter", "until=tomorrow"), 125, "until")
		// Anonymous volumes: the image's VOLUME and -v /path go with rm -v
		// and --rm.
		s.must("import", "--change", "VOLUME /vol", "--change", "CMD /bin/sh", rootfsTar(t, m), "withvol")
		before := len(strings.Fields(s.must("volume", "ls", "-q")))
		s.must("run", "--name", "anon", "-v", "/anon2", "withvol", "sh", "-c", "echo x > /vol/f; echo y > /anon2/f")
		if got := len(strings.Fields(s.must("volume", "ls", "-q"))); got != before+2 {
			t.Errorf("%d volumes after a run with two anonymous ones, want %d", got, before+2)
		}
		if got := s.must("inspect", "--format", "{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}", "anon"); got != "volume:/anon2 volume:/vol \n" {
			t.Errorf("inspect Mounts: %q", got)
		}
		// An anonymous volume another container mounts (--volumes-from)
		// outlives rm -v of its owner.
		s.must("create", "--name", "borrower", "--volumes-from", "anon", "busybox", "true")
		s.must("rm", "-v", "anon")
		if got := s.must("run", "--rm", "--volumes-from", "borrower", "busybox", "cat", "/vol/f"); got != "x\n" {
			t.Errorf("rm -v removed a volume another container uses: %q", got)
		}
		s.must("rm", "-v", "borrower")
		s.must("run", "--rm", "-v", "/anon3", "withvol", "true")
		if got := len(strings.Fields(s.must("volume", "ls", "-q"))); got != before {
			t.Errorf("%d volumes after rm -v and --rm, want %d", got, before)
		}
		// prune removes what no container uses.
		s.must("create", "--name", "keeper", "-v", "etc:/x", "busybox", "true")
		s.must("volume", "create", "--opt", "type=tmpfs", "unused-anon-like")
		// An anonymous volume left by an rm without -v: prune takes it.
		s.must("create", "--name", "leaver", "-v", "/anonp", "busybox", "true")
		anon := strings.TrimSpace(s.must("inspect", "--format", "{{range .Mounts}}{{.Name}}{{end}}", "leaver"))
		s.must("rm", "leaver")
		// As Podman's, named volumes go too; -a is Docker's spelling.
		pruned := s.must("volume", "prune", "-f")
		if !strings.Contains(pruned, "etc2") || !strings.Contains(pruned, anon) || strings.Contains(pruned, "etc\n") {
			t.Errorf("volume prune removed %q, want etc2 and %s, not etc", pruned, anon)
		}
		if got := s.must("volume", "prune", "-a", "-f"); got != "" {
			t.Errorf("a second volume prune -a removed %q", got)
		}
		s.must("rm", "keeper")
		wantError(t, s.scow("run", "--rm", "-v", "bad@name:/x", "busybox", "true"), 125, "bad@name")
		wantError(t, s.scow("volume", "inspect", "nosuch"), 125, "nosuch")
	})
}

func TestMountOptions(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		dir := m.userDir(t)
		file := filepath.Join(dir, "file")
		os.WriteFile(file, []byte("host\n"), 0o644)
		os.Chown(file, m.uid, m.gid)
		// A file the user owns is root's in the default container.
		if got := s.must("run", "--rm", "-v", dir+":/d", "busybox", "stat", "-c", "%u", "/d/file"); got != "0\n" {
			t.Errorf("the user's file is owned by %q in the container", got)
		}
		// O: an overlay whose changes are thrown away.
		if got := s.must("run", "--rm", "-v", dir+":/d:O", "busybox", "sh", "-c", "echo changed > /d/file; cat /d/file"); got != "changed\n" {
			t.Errorf("write through :O: %q", got)
		}
		if data, _ := os.ReadFile(file); string(data) != "host\n" {
			t.Errorf(":O changed the host's file: %q", data)
		}
		// U: the source is given to the container's user.
		s.must("run", "--rm", "-u", "1000:1000", "-v", dir+":/d:U", "busybox", "touch", "/d/new")
		if got := owner(t, filepath.Join(dir, "new")); got != m.hostID(1000) {
			t.Errorf("file made through :U is owned by %d on the host, want %d", got, m.hostID(1000))
		}
		// --mount and --tmpfs.
		got := s.must("run", "--rm", "--mount", "type=bind,src="+dir+",dst=/b,readonly", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m",
			"--tmpfs", "/t2:size=64k", "busybox", "sh", "-c", "cat /b/file; grep -E ' /(b|t|t2) ' /proc/mounts | cut -d' ' -f2,3,4 | cut -d, -f1")
		for _, want := range []string{"host", "/b ", "/t tmpfs rw", "/t2 tmpfs rw"} {
			if !strings.Contains(got, want) {
				t.Errorf("--mount/--tmpfs: no %q in\n%s", want, got)
			}
		}
		if !strings.Contains(got, "/b ext4 ro") && !strings.Contains(got, " ro") {
			t.Errorf("--mount readonly not read-only:\n%s", got)
		}
		// A missing host path is refused, as in Podman, and not made.
		for _, args := range [][]string{
			{"-v", dir + "/made:/m"},
			{"-v", dir + "/made:/m:O"},
			{"--mount", "type=bind,source=" + dir + "/made,target=/m"},
		} {
			before := containerCount(t, s.root)
			wantError(t, s.scow(append(append([]string{"run", "--rm"}, args...), "busybox", "true")...), 125, "stat "+dir+"/made: no such file or directory")
			if _, err := os.Stat(dir + "/made"); err == nil {
				t.Errorf("%v created the missing host path", args)
			}
			if after := containerCount(t, s.root); after != before {
				t.Errorf("%v left a container", args)
			}
		}
		// --read-only, with writable /tmp unless --read-only-tmpfs=false.
		if r := s.scow("run", "--rm", "--read-only", "busybox", "touch", "/x"); r.code == 0 {
			t.Errorf("--read-only let the container write: %s", r)
		}
		s.must("run", "--rm", "--read-only", "busybox", "sh", "-c", "touch /tmp/x /var/tmp/x /run/x")
		if r := s.scow("run", "--rm", "--read-only", "--read-only-tmpfs=false", "busybox", "touch", "/tmp/x"); r.code == 0 {
			t.Errorf("--read-only-tmpfs=false left /tmp writable: %s", r)
		}
		// --volumes-from.
		s.must("create", "--name", "src", "-v", "shared:/shared", "-v", dir+":/hostdir", "busybox", "true")
		s.must("run", "--rm", "--volumes-from", "src", "busybox", "sh", "-c", "echo via > /shared/f")
		if got := s.must("run", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c", "cat /shared/f /hostdir/file"); got != "via\nhost\n" {
			t.Errorf("--volumes-from: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--volumes-from", "nosuch", "busybox", "true"), 125, "nosuch")
		wantError(t, s.scow("run", "--rm", "-v", "/a:/x", "-v", "/b:/x", "busybox", "true"), 125, "/x")
		wantError(t, s.scow("run", "--rm", "-v", dir+":/x:bogus", "busybox", "true"), 125, "bogus")
		s.must("rm", "src")
	})
}

// TestUserNamespaceModesExec checks that every --userns mode takes exec,
// exec -it, cp both ways and top: runc enters a container's user
// namespace before its network namespace, which must then be the
// container's own.
func TestUserNamespaceModesExec(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		tests := []struct {
			flags []string
			uid   int // the container's user
		}{
			{[]string{"--userns=host"}, 0},
			{[]string{"--userns=auto:size=2000"}, 0},
			{[]string{"--uidmap=0:1:5000"}, 0},
			{[]string{"--uidmap=0:1:5000", "--network=none"}, 0},
		}
		if m.rootless {
			tests = append(tests, []struct {
				flags []string
				uid   int
			}{
				{[]string{"--userns=keep-id"}, m.uid},
				{[]string{"--userns=keep-id:uid=2000,gid=2000"}, 2000},
				{[]string{"--userns=nomap"}, 0},
			}...)
		} else {
			tests[2].flags[0], tests[3].flags[0] = "--uidmap=0:100000:65536", "--uidmap=0:100000:65536"
		}
		wantError(t, s.scow(append(append([]string{"run", "--rm"}, tests[2].flags[0], "--network", "ns:/nonexistent"), "busybox", "true")...), 125, "conflicting options")
		names := map[int]string{0: "root", 1000: "tester"}
		for _, tc := range tests {
			t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
				s := &store{t: t, m: m, root: s.root, run: s.run}
				s.must(append(append([]string{"run", "-d", "--name", "u"}, tc.flags...), "busybox", "sleep", "300")...)
				defer s.must("rm", "-f", "-t", "0", "u")
				if got := s.must("exec", "u", "id", "-u"); got != strconv.Itoa(tc.uid)+"\n" {
					t.Errorf("exec id -u: %q, want %d", got, tc.uid)
				}
				p := s.startPty("exec", "-it", "u", "sh", "-c", "tty; exit 3")
				p.expect("/dev/pts/")
				p.wantExit(3, "exec -it")
				dir := m.userDir(t)
				in := m.userFile(t, "in", "to the container\n")
				s.must("cp", in, "u:/tmp/in")
				if got := s.must("exec", "u", "cat", "/tmp/in"); got != "to the container\n" {
					t.Errorf("cp in: the container reads %q", got)
				}
				s.must("exec", "u", "sh", "-c", "echo from the container > /tmp/out")
				s.must("cp", "u:/tmp/out", dir+"/out")
				if data, err := os.ReadFile(dir + "/out"); string(data) != "from the container\n" {
					t.Errorf("cp out: %q, %v", data, err)
				}
				want, ok := names[tc.uid]
				if !ok {
					want = strconv.Itoa(tc.uid)
				}
				top := s.must("top", "u")
				found := false
				for _, l := range strings.Split(top, "\n") {
					if f := strings.Fields(l); len(f) > 1 && strings.HasSuffix(l, "sleep 300") {
						found = true
						if f[0] != want {
							t.Errorf("top shows the user as %q, want %q:\n%s", f[0], want, top)
						}
					}
				}
				if !found {
					t.Errorf("top does not list sleep 300:\n%s", top)
				}
			})
		}
	})
}

func TestUserNamespaces(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		dir := m.userDir(t)
		// --subuidname maps the container to the test user's range of
		// /etc/subuid: counted in the user's own namespace when rootless.
		start, size := subIDRange(t, suite.user.Username)
		want := fmt.Sprintf("0 %d %d", start, size)
		if m.rootless {
			want = fmt.Sprintf("0 1 %d", size)
			// The range of another name is not the user's to map.
			wantError(t, s.scow("run", "--rm", "--subuidname", "containers", "busybox", "true"), 125, "not yours to map")
		}
		for _, flag := range []string{"--subuidname", "--subgidname"} {
			got := s.must("run", "--rm", flag, suite.user.Username, "busybox", "cat", "/proc/self/uid_map", "/proc/self/gid_map")
			if f := strings.Fields(got); len(f) != 6 || strings.Join(f[:3], " ") != want || strings.Join(f[3:], " ") != want {
				t.Errorf("%s %s: maps %q, want %q twice", flag, suite.user.Username, got, want)
			}
		}
		wantError(t, s.scow("run", "--rm", "--subuidname", "no-such-name", "busybox", "true"), 125, "no-such-name")
		wantError(t, s.scow("run", "--rm", "--subuidname", suite.user.Username, "--userns=auto", "busybox", "true"), 125, "conflict")
		if !m.rootless {
			wantError(t, s.scow("run", "--rm", "--userns=keep-id", "busybox", "true"), 125, "keep-id")
			if got := s.must("run", "--rm", "--uidmap", "0:100000:65536", "busybox", "cat", "/proc/self/uid_map"); strings.Join(strings.Fields(got), " ") != "0 100000 65536" {
				t.Errorf("--uidmap as root: %q", got)
			}
			return
		}
		// keep-id: the user is themself inside, and what they write into
		// a bind-mounted tree stays theirs.
		got := s.must("run", "--rm", "--userns=keep-id", "-v", dir+":/src", "busybox", "sh", "-c", "id -u; id -g; touch /src/kept; stat -c %u /bin/busybox")
		if want := strings.Join([]string{strconv.Itoa(m.uid), strconv.Itoa(m.gid), "0"}, "\n") + "\n"; got != want {
			t.Errorf("keep-id: %q, want %q", got, want)
		}
		if o := owner(t, filepath.Join(dir, "kept")); o != m.uid {
			t.Errorf("keep-id wrote a file owned by %d, want %d", o, m.uid)
		}
		// keep-id:uid=N maps the user to N.
		if got := s.must("run", "--rm", "--userns=keep-id:uid=2000,gid=2000", "-v", dir+":/src", "busybox", "sh", "-c", "id -u; touch /src/as2000"); got != "2000\n" {
			t.Errorf("keep-id:uid=2000 runs as %q", got)
		}
		if o := owner(t, filepath.Join(dir, "as2000")); o != m.uid {
			t.Errorf("keep-id:uid=2000 wrote a file owned by %d, want %d", o, m.uid)
		}
		// :U under keep-id gives the tree to the user, mapped.
		udir := m.userDir(t)
		s.must("run", "--rm", "--userns=keep-id", "-v", udir+":/u:U", "busybox", "touch", "/u/mine")
		if o := owner(t, udir); o != m.uid {
			t.Errorf(":U with keep-id chowned the source to %d, want %d", o, m.uid)
		}
		// auto: a free range of its own.
		a := strings.Fields(s.must("run", "--rm", "--userns=auto:size=2000", "busybox", "cat", "/proc/self/uid_map"))
		if len(a) != 3 || a[0] != "0" || a[2] != "2000" {
			t.Errorf("--userns=auto:size=2000: %v", a)
		}
		if got := s.must("run", "--rm", "--uidmap", "0:1:1000", "-v", "mapped:/data", "busybox", "sh", "-c", "touch /data/x && cat /proc/self/uid_map"); strings.Join(strings.Fields(got), " ") != "0 1 1000" {
			t.Errorf("--uidmap: %q", got)
		}
		// A bind source under a directory others cannot search is the
		// user's to open up: scow says so rather than chmod it.
		private := m.userDir(t)
		os.Chmod(private, 0o700)
		os.Mkdir(filepath.Join(private, "in"), 0o755)
		os.Chown(filepath.Join(private, "in"), m.uid, m.gid)
		wantError(t, s.scow("run", "--rm", "--uidmap", "0:1:1000", "-v", private+"/in:/in", "busybox", "true"), 125, "chmod o+x "+private)
		if st, _ := os.Stat(private); st.Mode().Perm() != 0o700 {
			t.Errorf("scow changed the mode of the user's directory to %v", st.Mode())
		}
		wantError(t, s.scow("run", "--rm", "--userns=sideways", "busybox", "true"), 125, "sideways")
		wantError(t, s.scow("run", "--rm", "--uidmap", "0:1", "busybox", "true"), 125, "uidmap")
		wantError(t, s.scow("run", "--rm", "--userns=keep-id", "--uidmap", "0:1:10", "busybox", "true"), 125, "conflict")
	})
}

// subIDRange is the first range of name in /etc/subuid.
func subIDRange(t *testing.T, name string) (start, size int) {
	t.Helper()
	data, err := os.ReadFile("/etc/subuid")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Split(l, ":"); len(f) == 3 && f[0] == name {
			start, _ = strconv.Atoi(f[1])
			size, _ = strconv.Atoi(f[2])
			return start, size
		}
	}
	t.Fatalf("%s has no range in /etc/subuid", name)
	return 0, 0
}

func TestCopy(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		out := m.userDir(t)
		sentinelDir := m.userDir(t)
		sentinel := filepath.Join(sentinelDir, "sentinel")
		os.WriteFile(sentinel, []byte("untouched"), 0o644)
		s.must("run", "-d", "--name", "c", "busybox", "sh", "-c",
			"mkdir -p /d/sub; echo a > /d/a; echo b > /d/sub/b; chmod 750 /d/sub/b; chown 1000:1000 /d/a; ln -s /etc/passwd /pw; mkdir -p "+sentinelDir+"; ln -s "+sentinelDir+" /escape; touch /ready; sleep 300")
		mustWaitFor(t, 10*time.Second, "c made its files", func() bool { return s.scow("exec", "c", "test", "-e", "/ready").code == 0 })
		// Out: a directory to a new path, into an existing one, its
		// content with /., a file, and the trailing-slash rule.
		s.must("cp", "c:/d", out+"/new")
		s.must("cp", "c:/d", out+"/new")
		s.must("cp", "c:/d/.", out+"/content")
		for _, p := range []string{"new/a", "new/sub/b", "new/d/a", "content/a", "content/sub/b"} {
			if _, err := os.Stat(filepath.Join(out, p)); err != nil {
				t.Errorf("cp out: %v", err)
			}
		}
		if st, err := os.Stat(out + "/new/sub/b"); err != nil || st.Mode().Perm() != 0o750 {
			t.Errorf("cp out lost the mode: %v %v", st.Mode(), err)
		}
		wantError(t, s.scow("cp", "c:/d/a", out+"/nodir/"), 125, "nodir")
		wantError(t, s.scow("cp", "c:/nosuch", out), 125, "nosuch")
		// Owners: the caller's without -a, the container's with it.
		if o := owner(t, out+"/new/a"); o != m.uid {
			t.Errorf("cp without -a: owner %d, want %d", o, m.uid)
		}
		s.must("cp", "-a", "c:/d/a", out+"/kept")
		if o := owner(t, out+"/kept"); o != m.hostID(1000) {
			t.Errorf("cp -a: owner %d, want %d", o, m.hostID(1000))
		}
		// A symlink is copied as a link; -L follows it inside the
		// container, never to the host's file.
		s.must("cp", "c:/pw", out+"/link")
		if target, err := os.Readlink(out + "/link"); err != nil || target != "/etc/passwd" {
			t.Errorf("cp of a symlink: %q %v", target, err)
		}
		s.must("cp", "-L", "c:/pw", out+"/followed")
		if data, _ := os.ReadFile(out + "/followed"); !strings.HasPrefix(string(data), "root:x:0:0") || strings.Contains(string(data), "scowtest") {
			t.Errorf("cp -L read the wrong passwd: %q", data)
		}
		// In: a file into a directory, a directory to a new path; owned
		// by root in the container without -a.
		in := m.userFile(t, "hostfile", "from host\n")
		s.must("cp", in, "c:/d/")
		s.must("cp", filepath.Dir(in), "c:/copied")
		if got := s.must("exec", "c", "sh", "-c", "cat /d/hostfile /copied/hostfile; stat -c %u /d/hostfile"); got != "from host\nfrom host\n0\n" {
			t.Errorf("cp in: %q", got)
		}
		// The container's symlink to a host path leads inside the
		// container, not to the host's directory.
		s.must("cp", in, "c:/escape/")
		if data, _ := os.ReadFile(sentinel); string(data) != "untouched" {
			t.Errorf("cp through a symlink changed the host: %q", data)
		}
		if _, err := os.Stat(filepath.Join(sentinelDir, "hostfile")); err == nil {
			t.Error("cp through the container's symlink wrote into the host's directory")
		}
		if r := s.scow("exec", "c", "cat", sentinelDir+"/hostfile"); r.stdout != "from host\n" {
			t.Errorf("cp through the container's symlink: %s", r)
		}
		// Tar streams both ways.
		r := s.scow("cp", "c:/d", "-")
		if !strings.Contains(r.stdout, "d/sub/b") {
			t.Errorf("cp to stdout: %s", r)
		}
		var tb bytes.Buffer
		tw := tar.NewWriter(&tb)
		tw.WriteHeader(&tar.Header{Name: "streamed", Mode: 0o644, Size: 3})
		tw.Write([]byte("tar"))
		tw.Close()
		if r := s.scowStdin(tb.String(), "cp", "-", "c:/d"); r.code != 0 {
			t.Errorf("cp from stdin: %s", r)
		}
		if got := s.must("exec", "c", "cat", "/d/streamed"); got != "tar" {
			t.Errorf("streamed file: %q", got)
		}
		// A hostile tar cannot leave the destination.
		hostile := filepath.Join(m.userDir(t), "hostile.tar")
		tarWith(t, hostile, []tar.Header{
			{Name: "../../../../../../" + sentinelDir[1:] + "/dotdot", Typeflag: tar.TypeReg},
			{Name: sentinelDir + "/absolute", Typeflag: tar.TypeReg},
			{Name: "ln", Typeflag: tar.TypeSymlink, Linkname: sentinelDir},
			{Name: "ln/through", Typeflag: tar.TypeReg},
			{Name: "hard", Typeflag: tar.TypeLink, Linkname: "../../../../../../" + sentinel[1:]},
		}, map[string]string{"../../../../../../" + sentinelDir[1:] + "/dotdot": "x", sentinelDir + "/absolute": "x", "ln/through": "x"})
		data, _ := os.ReadFile(hostile)
		s.scowStdin(string(data), "cp", "-", "c:/d")
		entries, _ := os.ReadDir(sentinelDir)
		if len(entries) != 1 {
			t.Errorf("a hostile tar wrote next to the sentinel: %v", entries)
		}
		if data, _ := os.ReadFile(sentinel); string(data) != "untouched" {
			t.Errorf("a hostile tar changed the sentinel: %q", data)
		}
		wantError(t, s.scowStdin(tb.String(), "cp", "-", "c:/d/a"), 125, "directory")
		// A stopped container.
		s.must("stop", "-t", "0", "c")
		if got := s.must("cp", "c:/d/sub/b", "-"); !strings.Contains(got, "b\n") {
			t.Errorf("cp from a stopped container: %q", got)
		}
		// Between containers, a missing source is named.
		wantError(t, s.scow("cp", "c:/a", "c:/b"), 125, "c:/a does not exist")
		// Nothing is written through a read-only mount or rootfs.
		s.must("create", "--name", "ro", "--read-only", "-v", out+":/host:ro", "--tmpfs", "/scratch", "busybox", "true")
		wantError(t, s.scow("cp", in, "ro:/host/"), 125, "read-only")
		wantError(t, s.scow("cp", in, "ro:/etc/"), 125, "read-only")
		wantError(t, s.scow("cp", "ro:/scratch/x", out), 125, "tmpfs")
		if _, err := os.Stat(filepath.Join(out, "hostfile")); err == nil {
			t.Error("cp wrote through a :ro mount")
		}
		s.must("rm", "ro")
		wantError(t, s.scow("cp", out, out), 125, "CONTAINER:PATH")
		wantError(t, s.scow("cp", "nosuch:/a", out), 125, "nosuch")
		s.must("rm", "c")
	})
}

// TestCopyMountedFiles copies the files scow binds into a container and
// volume contents as the container sees them, both ways, while it runs.
func TestCopyMountedFiles(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		conf := m.userFile(t, "app.conf", "from the host\n")
		s.must("run", "-d", "--name", "c", "--hostname", "myhost", "--add-host", "extra:10.1.2.3", "-v", "vol:/data", "-v", conf+":/etc/app.conf",
			"busybox", "sh", "-c", "echo in the volume > /data/f; sleep 300")
		s.must("run", "-d", "--name", "nohosts", "--no-hosts", "busybox", "sleep", "300")
		mustWaitFor(t, 10*time.Second, "c wrote its volume", func() bool { return s.scow("exec", "c", "test", "-e", "/data/f").code == 0 })
		dir := m.userDir(t)
		for _, tc := range []struct{ ctr, path string }{
			{"c", "/etc/hostname"}, {"c", "/etc/hosts"}, {"c", "/etc/resolv.conf"}, {"c", "/data/f"}, {"c", "/etc/app.conf"},
			{"nohosts", "/etc/resolv.conf"}, {"nohosts", "/etc/hostname"},
		} {
			out := filepath.Join(dir, tc.ctr+strings.ReplaceAll(tc.path, "/", "_"))
			s.must("cp", tc.ctr+":"+tc.path, out)
			got, _ := os.ReadFile(out)
			if want := s.must("exec", tc.ctr, "cat", tc.path); string(got) != want || want == "" {
				t.Errorf("cp %s:%s copied %q, the container sees %q", tc.ctr, tc.path, got, want)
			}
		}
		// --no-hosts leaves the image's, which this one lacks.
		wantError(t, s.scow("cp", "nohosts:/etc/hosts", dir+"/h"), 125, "does not exist")
		// Into them: the running container sees the new content.
		for _, p := range []string{"/etc/hosts", "/etc/hostname", "/data/g", "/etc/app.conf"} {
			src := m.userFile(t, "new", "new content for "+p+"\n")
			s.must("cp", src, "c:"+p)
			if got := s.must("exec", "c", "cat", p); got != "new content for "+p+"\n" {
				t.Errorf("cp into %s: the container reads %q", p, got)
			}
		}
		wantError(t, s.scow("cp", dir, "c:/etc/hosts"), 125, "directory")
		s.must("rm", "-f", "-t", "0", "c", "nohosts")
	})
}

func TestCommitDiffExport(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("run", "--name", "c", "-v", "vol:/data", "busybox", "sh", "-c", "echo changed > /etc/motd; rm /etc/group; mkdir /newd; touch /newd/f")
		diff := s.must("diff", "c")
		for _, want := range []string{"C /etc\n", "A /etc/motd\n", "D /etc/group\n", "A /newd\n", "A /newd/f\n"} {
			if !strings.Contains(diff, want) {
				t.Errorf("diff lacks %q:\n%s", want, diff)
			}
		}
		for _, not := range []string{"/etc/hosts", "/data"} {
			if strings.Contains(diff, not) {
				t.Errorf("diff lists scow's own mount point %s:\n%s", not, diff)
			}
		}
		id := strings.TrimSpace(s.must("commit", "-c", `CMD ["cat","/etc/motd"]`, "-m", "my change", "--author", "me", "c", "committed:1"))
		if len(id) != 64 {
			t.Errorf("commit printed %q", id)
		}
		if got := s.must("run", "--rm", "committed:1"); got != "changed\n" {
			t.Errorf("the committed image runs %q", got)
		}
		if r := s.scow("run", "--rm", "committed:1", "ls", "/etc/group"); r.code == 0 {
			t.Errorf("the deletion was not committed: %s", r)
		}
		if got := s.must("history", "--format", "{{.Comment}}", "committed:1"); !strings.HasPrefix(got, "my change\n") {
			t.Errorf("history: %q", got)
		}
		if got := s.must("image", "inspect", "--format", "{{.Author}}", "committed:1"); got != "me\n" {
			t.Errorf("author: %q", got)
		}
		// The new image saves and loads like any other.
		archive := filepath.Join(m.userDir(t), "committed.tar")
		s.must("save", "-o", archive, "committed:1")
		exported := filepath.Join(m.userDir(t), "export.tar")
		wantError(t, s.scow("export", "-o", exported, "nosuch"), 125, "nosuch")
		if _, err := os.Stat(exported); !os.IsNotExist(err) {
			t.Errorf("a failed export left its file: %v", err)
		}
		s.must("export", "-o", exported, "c")
		f, err := os.Open(exported)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		names := map[string]bool{}
		tr := tar.NewReader(f)
		for h, err := tr.Next(); err == nil; h, err = tr.Next() {
			names[strings.TrimPrefix(h.Name, "./")] = true
		}
		if !names["etc/motd"] || !names["newd/f"] || names["etc/group"] || !names["bin/busybox"] {
			t.Errorf("export has %d entries, etc/motd %t, newd/f %t, etc/group %t", len(names), names["etc/motd"], names["newd/f"], names["etc/group"])
		}
		// --pause freezes a running container where the host lets the
		// user use the freezer (root here; rootless on cgroup v1 cannot).
		s.must("run", "-d", "--name", "live", "busybox", "sh", "-c", "echo live > /live; sleep 100")
		mustWaitFor(t, 10*time.Second, "live made its file", func() bool { return s.scow("exec", "live", "test", "-e", "/live").code == 0 })
		if r := s.scow("commit", "--pause", "live", "paused:1"); r.code != 0 {
			if !m.rootless {
				t.Errorf("commit --pause as root: %s", r)
			}
			wantError(t, r, 125, "--pause")
		} else if got := s.must("run", "--rm", "paused:1", "cat", "/live"); got != "live\n" {
			t.Errorf("commit --pause: %q", got)
		}
		s.must("rm", "-f", "-t", "0", "live")
		wantError(t, s.scow("commit", "nosuch"), 125, "nosuch")
		wantError(t, s.scow("diff", "nosuch"), 125, "nosuch")
		wantError(t, s.scow("commit", "-c", "BOGUS x", "c"), 125, "BOGUS")
		s.must("rm", "c")
	})
}

func TestMountAndUnshare(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("create", "--name", "c", "busybox", "true")
		if !m.rootless {
			p := strings.TrimSpace(s.must("mount", "c"))
			if _, err := os.Stat(filepath.Join(p, "bin", "busybox")); err != nil {
				t.Errorf("mount: %v", err)
			}
			if got := s.must("mount"); !strings.Contains(got, p) {
				t.Errorf("mount lists %q", got)
			}
			s.must("unmount", "c")
			wantError(t, s.scow("unshare", "true"), 125, "rootless")
			return
		}
		wantError(t, s.scow("mount", "c"), 125, "unshare")
		scow := strings.Join([]string{suite.binary, "--root", s.root, "--runroot", s.run}, " ")
		got := s.must("unshare", "sh", "-c", "id -u; p=$("+scow+" mount c) && ls $p/bin/busybox && "+scow+" unmount c >/dev/null && echo $CONTAINERS_GRAPHROOT")
		if want := "0\n" + "/bin/busybox"; !strings.Contains(got, "/bin/busybox") || !strings.HasPrefix(got, "0\n") || !strings.Contains(got, filepath.Join(s.root, "storage")) {
			t.Errorf("unshare: %q, want %q and the graph root", got, want)
		}
		r := s.m.cmdIn(context.Background(), s.root, s.run, "unshare", "sh", "-c", "exit 3")
		if res := execute(t, r, ""); res.code != 3 {
			t.Errorf("unshare's exit code: %s", res)
		}
		s.must("rm", "c")
	})
}

// TestSecrets: secrets made, listed, used as a file or a variable, kept
// out of inspect, commit and export, and not removed while used.
func TestSecrets(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		id := strings.TrimSpace(s.scowStdin("s3cret", "secret", "create", "--label", "app=web", "mysecret", "-").stdout)
		if len(id) != 25 {
			t.Fatalf("secret create printed %q", id)
		}
		if info, err := os.Stat(filepath.Join(s.root, "secrets", id, "data")); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("the secret's data: %v %v", info, err)
		}
		if got := s.must("secret", "ls", "--format", "{{.Name}} {{.Driver}}"); got != "mysecret file\n" {
			t.Errorf("secret ls: %q", got)
		}
		s.must("secret", "exists", "mysecret")
		if r := s.scow("secret", "exists", "nosuch"); r.code != 1 {
			t.Errorf("secret exists nosuch: %s", r)
		}
		if got := s.must("secret", "inspect", "mysecret"); strings.Contains(got, "s3cret") || !strings.Contains(got, `"app": "web"`) {
			t.Errorf("secret inspect: %s", got)
		}
		if got := s.must("secret", "inspect", "--showsecret", "--format", "{{.SecretData}}", "mysecret"); got != "s3cret\n" {
			t.Errorf("secret inspect --showsecret: %q", got)
		}
		// A file, a variable, and a file of its own place, owner and mode.
		if got := s.must("run", "--rm", "--secret", "mysecret", "busybox", "cat", "/run/secrets/mysecret"); got != "s3cret" {
			t.Errorf("the secret as a file: %q", got)
		}
		if got := s.must("run", "--rm", "--secret", "mysecret,type=env,target=TOKEN", "busybox", "sh", "-c", "echo $TOKEN"); got != "s3cret\n" {
			t.Errorf("the secret as a variable: %q", got)
		}
		if got := s.must("run", "--rm", "--secret", "mysecret,target=/etc/app/key,uid=1000,gid=1000,mode=0400", "busybox", "stat", "-c", "%a %u %g", "/etc/app/key"); got != "400 1000 1000\n" {
			t.Errorf("the secret's file with target, uid, gid and mode: %q", got)
		}
		// In a container with a user namespace of its own, the host's
		// copy is the container root's alone.
		if !m.rootless {
			s.must("run", "--name", "mapped", "--uidmap", "0:100000:65536", "--secret", "mysecret", "busybox", "cat", "/run/secrets/mysecret")
			mid := strings.TrimSpace(s.must("inspect", "--format", "{{.Id}}", "mapped"))
			var st syscall.Stat_t
			if err := syscall.Stat(filepath.Join(s.root, "containers", mid, "secrets"), &st); err != nil || st.Mode&0o777 != 0o700 || st.Uid != 100000 {
				t.Errorf("the secrets of a mapped container: mode %o, owner %d, %v", st.Mode&0o777, st.Uid, err)
			}
			s.must("rm", "mapped")
		}
		// Out of inspect, commit and export.
		s.must("run", "--name", "holder", "--secret", "mysecret", "--secret", "mysecret,type=env,target=TOKEN", "busybox", "true")
		if got := s.must("inspect", "holder"); strings.Contains(got, "s3cret") {
			t.Error("inspect shows the secret")
		}
		if out := s.must("export", "holder"); strings.Contains(out, "s3cret") {
			t.Error("export holds the secret")
		}
		s.must("commit", "-q", "holder", "withsecret:1")
		if got := s.must("run", "--rm", "withsecret:1", "sh", "-c", "cat /run/secrets/mysecret 2>/dev/null; echo ${TOKEN:-none}"); got != "none\n" {
			t.Errorf("a commit of a container with secrets has %q", got)
		}
		// Not removed while used; --replace; errors.
		wantError(t, s.scow("secret", "rm", "mysecret"), 125, "holder")
		wantError(t, s.scowStdin("again", "secret", "create", "mysecret", "-"), 125, "--replace")
		s.scowStdin("other", "secret", "create", "--replace", "mysecret", "-")
		if got := s.must("secret", "inspect", "--showsecret", "--format", "{{.SecretData}} {{.ID}}", "mysecret"); got != "other "+id+"\n" {
			t.Errorf("after --replace: %q", got)
		}
		if got := s.must("start", "-a", "holder"); got != "" {
			t.Errorf("holder's restart after --replace: %q", got)
		}
		wantError(t, s.scow("run", "--rm", "--secret", "nosuch", "busybox", "true"), 125, "nosuch")
		wantError(t, s.scow("run", "--rm", "--secret", "mysecret,type=disk", "busybox", "true"), 125, "type")
		wantError(t, s.scowStdin("x", "secret", "create", "bad/name", "-"), 125, "bad/name")
		wantError(t, s.scowStdin("", "secret", "create", "empty", "-"), 125, "no data")
		s.must("rm", "holder")
		s.must("secret", "rm", "--all")
		if got := s.must("secret", "ls", "-q"); got != "" {
			t.Errorf("secrets after rm --all: %q", got)
		}
	})
}
