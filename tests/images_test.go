//go:build e2e

package tests

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// store is a private data root for tests that change images.
type store struct {
	t         *testing.T
	m         *mode
	root, run string
}

func newStore(t *testing.T, m *mode) *store {
	root, run := m.newDirs(t, "img")
	// A test that stops early leaves no container running to skew the
	// tests after it.
	t.Cleanup(func() {
		m.cmdIn(context.Background(), root, run, "pod", "rm", "-a", "-f", "-t", "0").Run()
		m.cmdIn(context.Background(), root, run, "rm", "-a", "-f", "-t", "0").Run()
	})
	return &store{t: t, m: m, root: root, run: run}
}

func (s *store) scow(args ...string) result {
	s.t.Helper()
	return execute(s.t, s.m.cmdIn(context.Background(), s.root, s.run, args...), "")
}

func (s *store) scowStdin(stdin string, args ...string) result {
	s.t.Helper()
	return execute(s.t, s.m.cmdIn(context.Background(), s.root, s.run, args...), stdin)
}

func (s *store) must(args ...string) string {
	s.t.Helper()
	r := s.scow(args...)
	if r.code != 0 {
		s.t.Fatalf("%s", r)
	}
	return r.stdout
}

func (s *store) imageIDs() []string {
	s.t.Helper()
	return strings.Fields(s.must("images", "-q", "--no-trunc"))
}

func TestImageArchiveRoundTrip(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		if out := s.must("load", "-i", suite.image); out != "Loaded image: localhost/busybox:latest\n" {
			t.Errorf("load said %q", out)
		}
		ids := s.imageIDs()
		if len(ids) != 1 {
			t.Fatalf("images -q: %v", ids)
		}
		out := m.userDir(t)
		for _, format := range []string{"docker-archive", "oci-archive", "oci-dir"} {
			t.Run(format, func(t *testing.T) {
				// Converting a Docker image to OCI rewrites its config, so
				// the ID is compared from the first image in the format on.
				want := ids[0]
				from := s
				for round := range 2 {
					path := filepath.Join(out, fmt.Sprintf("%s-%d.tar", format, round))
					from.must("save", "--format", format, "-o", path, "busybox")
					fresh := newStore(t, m)
					if got := fresh.must("load", "-i", path); got != "Loaded image: localhost/busybox:latest\n" {
						t.Errorf("load of %s said %q", format, got)
					}
					after := fresh.imageIDs()
					if strings.HasPrefix(format, "oci-") && round == 0 {
						want = after[0]
					}
					if len(after) != 1 || after[0] != want {
						t.Errorf("image ID changed in %s round %d: %v, want %s", format, round, after, want)
					}
					if o := fresh.must("run", "--rm", "busybox", "echo", "ok"); o != "ok\n" {
						t.Errorf("run of the reloaded image: %q", o)
					}
					from = fresh
				}
			})
		}
		// The directory formats and their compression.
		layers := func(dir string) string {
			var kinds []string
			blobs, _ := filepath.Glob(filepath.Join(dir, "*"))
			blobs2, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
			for _, b := range append(blobs, blobs2...) {
				f, err := os.Open(b)
				if err != nil {
					continue
				}
				head := make([]byte, 512)
				n, _ := io.ReadFull(f, head)
				f.Close()
				switch {
				case n >= 2 && head[0] == 0x1f && head[1] == 0x8b:
					kinds = append(kinds, "gzip")
				case n == 512 && string(head[257:262]) == "ustar":
					kinds = append(kinds, "tar")
				}
			}
			return strings.Join(kinds, " ")
		}
		for _, tc := range []struct {
			format string
			flags  []string
			want   string
		}{
			{"docker-dir", nil, "tar"},
			{"docker-dir", []string{"--compress"}, "gzip"},
			{"oci-dir", nil, "gzip"},
			{"oci-dir", []string{"--uncompressed"}, "tar"},
		} {
			dir := filepath.Join(out, tc.format+strings.Join(tc.flags, ""))
			s.must(append(append([]string{"save", "--format", tc.format, "-o", dir}, tc.flags...), "busybox")...)
			if got := layers(dir); got != tc.want {
				t.Errorf("save --format %s %v: layers %q, want %q", tc.format, tc.flags, got, tc.want)
			}
			fresh := newStore(t, m)
			loaded := strings.TrimPrefix(strings.TrimSpace(fresh.must("load", "-i", dir)), "Loaded image: ")
			if o := fresh.must("run", "--rm", loaded, "echo", "ok"); o != "ok\n" {
				t.Errorf("run of the image loaded from %s %v: %q", tc.format, tc.flags, o)
			}
		}
		// push writes the other transports too.
		pushed := filepath.Join(out, "pushed")
		s.must("push", "--compress", "busybox", "dir:"+pushed)
		if got := layers(pushed); got != "gzip" {
			t.Errorf("push --compress dir: layers %q", got)
		}
		for _, dest := range []string{"oci:" + filepath.Join(out, "layout") + ":pushed", "docker-archive:" + filepath.Join(out, "pushed.tar")} {
			s.must("push", "busybox", dest)
			_, path, _ := strings.Cut(dest, ":")
			path, _, _ = strings.Cut(path, ":")
			if got := newStore(t, m).must("load", "-i", path); !strings.HasPrefix(got, "Loaded image: ") {
				t.Errorf("load of what push %s wrote: %q", dest, got)
			}
		}
		wantError(t, s.scow("push", "--compress", "busybox", "oci:"+filepath.Join(out, "layout2")), 125, "dir:")
		wantError(t, s.scow("save", "--format", "oci-dir", "--compress", "-o", filepath.Join(out, "x"), "busybox"), 125, "docker-dir")
		wantError(t, s.scow("save", "--uncompressed", "-o", filepath.Join(out, "x.tar"), "busybox"), 125, "oci-")
		wantError(t, s.scow("save", "--format", "docker-dir", "busybox"), 125, "-o DIR")
		wantError(t, s.scow("load", "-i", out), 125, "not an image directory")
		full := filepath.Join(out, "full")
		os.Mkdir(full, 0o755)
		os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
		wantError(t, s.scow("save", "--format", "oci-dir", "-o", full, "busybox"), 125, "remove it")
		// save to stdout, load from stdin.
		r := s.scow("save", "busybox")
		if r.code != 0 {
			t.Fatal(r)
		}
		fresh := newStore(t, m)
		if got := fresh.scowStdin(r.stdout, "load"); got.code != 0 || !strings.Contains(got.stdout, "localhost/busybox:latest") {
			t.Errorf("load from stdin: %s", got)
		}
		if after := fresh.imageIDs(); len(after) != 1 || after[0] != ids[0] {
			t.Errorf("stdin round trip changed the ID: %v", after)
		}
	})
}

// rootfsTar makes the busybox rootfs tarball for import.
func rootfsTar(t *testing.T, m *mode) string {
	t.Helper()
	p := filepath.Join(m.userDir(t), "rootfs.tar")
	if out, err := exec.Command("../hack/mkimage-busybox.sh", "--rootfs", p).CombinedOutput(); err != nil {
		t.Fatalf("mkimage-busybox --rootfs: %v\n%s", err, out)
	}
	os.Chmod(p, 0o644)
	return p
}

func TestImport(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		tarball := rootfsTar(t, m)
		out := s.must("import", "--change", "CMD=echo imported", "--change", "ENV=GREETING=hi", "--change", "WORKDIR=/tmp", tarball, "mine:v1")
		if !strings.HasPrefix(out, "sha256:") {
			t.Errorf("import printed %q, want the image ID", out)
		}
		if got := s.must("run", "--rm", "mine:v1"); got != "imported\n" {
			t.Errorf("CMD from --change: %q", got)
		}
		if got := s.must("run", "--rm", "mine:v1", "sh", "-c", "echo $GREETING; pwd"); got != "hi\n/tmp\n" {
			t.Errorf("ENV and WORKDIR from --change: %q", got)
		}
		data, _ := os.ReadFile(tarball)
		if r := s.scowStdin(string(data), "import", "-", "fromstdin"); r.code != 0 {
			t.Errorf("import from stdin: %s", r)
		}
		list := s.must("images", "--format", "{{.Repository}}:{{.Tag}}")
		for _, want := range []string{"localhost/mine:v1", "localhost/fromstdin:latest"} {
			if !strings.Contains(list, want) {
				t.Errorf("images lacks %s:\n%s", want, list)
			}
		}
		inspect := s.must("image", "inspect", "--format", "{{json .Config.Cmd}} {{.Config.WorkingDir}}", "mine:v1")
		if inspect != `["/bin/sh","-c","echo imported"] /tmp`+"\n" {
			t.Errorf("image inspect: %q", inspect)
		}
		wantError(t, s.scow("import", "--change", "BOGUS x", tarball), 125, "BOGUS")
	})
}

func TestImagesTagRmi(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		lines := strings.Split(strings.TrimSpace(s.must("images")), "\n")
		if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "REPOSITORY TAG IMAGE ID CREATED SIZE" {
			t.Fatalf("images table:\n%s", strings.Join(lines, "\n"))
		}
		if f := strings.Fields(lines[1]); f[0] != "localhost/busybox" || f[1] != "latest" || len(f[2]) != 12 {
			t.Errorf("images row: %q", lines[1])
		}
		s.must("tag", "busybox", "other:1", "quay.io/x/y:2")
		list := s.must("images", "--format", "{{.Repository}}:{{.Tag}}")
		for _, want := range []string{"localhost/busybox:latest", "localhost/other:1", "quay.io/x/y:2"} {
			if !strings.Contains(list, want) {
				t.Errorf("after tag, images lacks %s:\n%s", want, list)
			}
		}
		if got := s.must("images", "-q"); len(strings.Fields(got)) != 1 {
			t.Errorf("images -q lists one ID once: %q", got)
		}
		if got := s.must("images", "--format", "json"); !strings.HasPrefix(got, "[") {
			t.Errorf("--format json: %q", got)
		}
		// Removing one of several names only untags.
		if got := s.must("rmi", "other:1"); got != "Untagged: localhost/other:1\n" {
			t.Errorf("rmi of one tag said %q", got)
		}
		if len(s.imageIDs()) != 1 {
			t.Error("rmi of one tag removed the image")
		}
		// An image a container uses is refused without -f.
		s.must("run", "--name", "user", "busybox", "true")
		s.must("rmi", "busybox") // untags: another name is left
		wantError(t, s.scow("rmi", "quay.io/x/y:2"), 125, "in use")
		out := s.must("rmi", "-f", "quay.io/x/y:2")
		if !strings.Contains(out, "Deleted: ") {
			t.Errorf("rmi -f said %q", out)
		}
		if ids := s.imageIDs(); len(ids) != 0 {
			t.Errorf("images left: %v", ids)
		}
		if n := containerCount(t, s.root); n != 0 {
			t.Errorf("rmi -f left %d containers", n)
		}
		wantError(t, s.scow("rmi", "busybox"), 125, "busybox")
		// rmi goes on past a failure and exits 125 at the end.
		s.must("load", "-i", suite.image)
		r := s.scow("rmi", "nosuch", "busybox")
		if r.code != 125 || !strings.Contains(r.stdout, "Deleted: ") {
			t.Errorf("rmi with one bad name: %s", r)
		}
	})
}

func TestShortNames(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		id := s.imageIDs()[0]
		s.must("tag", "busybox", "docker.io/library/alpine:3")
		for _, name := range []string{"busybox", "busybox:latest", "localhost/busybox", "localhost/busybox:latest", id[len("sha256:"):], id[len("sha256:") : len("sha256:")+12], id, "alpine:3", "library/alpine:3"} {
			if got := s.must("image", "inspect", "--format", "{{.Id}}", name); "sha256:"+strings.TrimSpace(got) != id {
				t.Errorf("%s resolved to %q, want %s", name, got, id)
			}
		}
	})
}

// tarWith writes a tar archive with the given entries.
func tarWith(t *testing.T, path string, entries []tar.Header, bodies map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		body := bodies[h.Name]
		h.Size = int64(len(body))
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeDir {
			h.Size = 0
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportHostileTarballs(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		dir := m.userDir(t)
		sentinel := filepath.Join(dir, "sentinel")
		os.WriteFile(sentinel, []byte("untouched"), 0o666)
		escape := filepath.Join(dir, "escaped")
		traversal := filepath.Join(dir, "traversal.tar")
		tarWith(t, traversal, []tar.Header{
			{Name: "../../../../../../../.." + escape, Typeflag: tar.TypeReg},
			{Name: "/" + strings.TrimPrefix(escape, "/") + "2", Typeflag: tar.TypeReg},
			{Name: "link", Typeflag: tar.TypeSymlink, Linkname: dir},
			{Name: "link/sentinel", Typeflag: tar.TypeReg},
			{Name: "hard", Typeflag: tar.TypeLink, Linkname: "../../../../../.." + sentinel},
		}, map[string]string{"link/sentinel": "overwritten"})
		r := s.scow("import", traversal, "hostile")
		if r.code == 0 {
			// Accepted entries must have landed inside the image.
			s.scow("run", "--rm", "hostile", "true")
		}
		if b, _ := os.ReadFile(sentinel); string(b) != "untouched" {
			t.Errorf("sentinel changed to %q", b)
		}
		for _, p := range []string{escape, escape + "2"} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s was written outside the image", p)
			}
		}

		corrupt := filepath.Join(dir, "corrupt.tar")
		os.WriteFile(corrupt, bytes.Repeat([]byte("not a tar archive "), 200), 0o644)
		before := len(s.imageIDs())
		wantError(t, s.scow("import", corrupt, "corrupt"), 125)
		wantError(t, s.scow("load", "-i", corrupt), 125)
		if after := len(s.imageIDs()); after != before {
			t.Errorf("a failed import left an image: %d images, had %d", after, before)
		}
	})
}
