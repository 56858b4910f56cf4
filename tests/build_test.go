//go:build e2e

package tests

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildContext makes a build context of files (path: content) that the
// mode's user owns.
func buildContext(t *testing.T, m *mode, files map[string]string) string {
	t.Helper()
	dir := m.userDir(t)
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, m.uid, m.gid) })
	return dir
}

// tarGz is a gzipped tar of files, with a hostile entry that climbs out.
func tarGz(t *testing.T, files map[string]string) string {
	t.Helper()
	var b strings.Builder
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
		tw.Write([]byte(content))
	}
	tw.Close()
	gz.Close()
	return b.String()
}

// TestBuild builds a Containerfile of every instruction and compares the
// image's configuration with the file, field by field.
func TestBuild(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx := buildContext(t, m, map[string]string{
			"Containerfile": `ARG BASE=busybox
FROM $BASE
MAINTAINER someone
ARG GREETING=hi
ENV WHO=world PATH=/opt/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL tier=web version="1.0"
WORKDIR /app
COPY a.txt ./
COPY sub /app/sub/
COPY --chown=1000:1000 --chmod=0600 a.txt /owned
COPY g*.txt /globbed/
ADD data.tar.gz /unpacked/
RUN echo "$GREETING $WHO" > /app/greet && cat /app/greet
RUN ["sh", "-c", "echo exec form > /app/exec"]
RUN <<EOF
echo heredoc > /app/heredoc
EOF
USER 1000
RUN id -u > /tmp/uid
USER root
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=5s CMD true
ONBUILD RUN echo child
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/greet"]
`,
			"a.txt": "hello\n", "sub/s.txt": "s\n", "g1.txt": "1", "g2.txt": "2",
			"data.tar.gz": tarGz(t, map[string]string{"inside.txt": "in\n", "../../escaped.txt": "out\n"}),
		})
		r := s.scow("build", "-t", "app:v1", "--build-arg", "GREETING=hello", ctx)
		if r.code != 0 {
			t.Fatalf("build: %s", r)
		}
		for _, want := range []string{"STEP 1/25: FROM $BASE", "STEP 12/25: RUN echo \"$GREETING $WHO\"", "hello world\n", "COMMIT app:v1", "Successfully tagged localhost/app:v1"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("build output lacks %q:\n%s", want, r.stdout)
			}
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		id := lines[len(lines)-1]
		if got := strings.TrimSpace(s.must("image", "inspect", "--format", "{{.Id}}", "app:v1")); got != id {
			t.Errorf("build printed %s last, the image is %s", id, got)
		}
		// The files.
		got := s.must("run", "--rm", "--entrypoint", "sh", "app:v1", "-c",
			"cat /app/a.txt /app/sub/s.txt /app/greet /app/exec /app/heredoc /tmp/uid /globbed/g1.txt /globbed/g2.txt; echo; cat /unpacked/inside.txt; ls /escaped.txt /unpacked/escaped.txt 2>&1 | wc -l; stat -c '%u:%g %a' /owned")
		if want := "hello\ns\nhello world\nexec form\nheredoc\n1000\n12\nin\n2\n1000:1000 600\n"; got != want {
			t.Errorf("files of the image:\n%q\nwant\n%q", got, want)
		}
		if got := s.must("run", "--rm", "app:v1"); got != "hello world\n" {
			t.Errorf("run of the built image: %q", got)
		}
		// The configuration, field by field.
		var img struct {
			Config struct {
				Env, Entrypoint, Cmd []string
				WorkingDir, User     string
				StopSignal           string
				Labels               map[string]string
				ExposedPorts         map[string]any
				Volumes              map[string]any
			}
			Author      string
			Healthcheck *struct{ Test []string }
			History     []struct {
				CreatedBy  string `json:"created_by"`
				EmptyLayer bool   `json:"empty_layer"`
			}
		}
		if err := json.Unmarshal([]byte(s.must("image", "inspect", "--format", "json", "app:v1")), &[]any{&img}); err != nil {
			t.Fatal(err)
		}
		c := img.Config
		checks := []struct {
			what      string
			got, want any
		}{
			{"Env", strings.Join(c.Env, " "), "PATH=/opt/bin:/usr/sbin:/usr/bin:/sbin:/bin WHO=world"},
			{"Entrypoint", strings.Join(c.Entrypoint, " "), "/bin/sh -c"},
			{"Cmd", strings.Join(c.Cmd, " "), "cat /app/greet"},
			{"WorkingDir", c.WorkingDir, "/app"},
			{"User", c.User, "root"},
			{"StopSignal", c.StopSignal, "SIGUSR1"},
			{"Labels", c.Labels["tier"] + " " + c.Labels["version"], "web 1.0"},
			{"ExposedPorts", len(c.ExposedPorts), 2},
			{"Volumes", len(c.Volumes), 1},
			{"Author", img.Author, "someone"},
			{"Healthcheck", img.Healthcheck != nil && strings.Join(img.Healthcheck.Test, " ") == "CMD-SHELL true", true},
		}
		for _, ck := range checks {
			if ck.got != ck.want {
				t.Errorf("%s: %v, want %v", ck.what, ck.got, ck.want)
			}
		}
		if _, ok := c.ExposedPorts["53/udp"]; !ok {
			t.Errorf("ExposedPorts: %v", c.ExposedPorts)
		}
		if n := len(img.History); n < 24 || !strings.Contains(img.History[n-1].CreatedBy, "CMD") || !img.History[n-1].EmptyLayer {
			t.Errorf("history: %+v", img.History)
		}
		// ONBUILD triggers run in a build from the image.
		child := buildContext(t, m, map[string]string{"Containerfile": "FROM app:v1\n"})
		if r := s.scow("build", "-q", "-t", "child", child); r.code != 0 || !strings.Contains(r.stdout, "child\n") {
			t.Errorf("ONBUILD trigger: %s", r)
		}
		// Nothing is left behind: no container, and no file outside.
		if got := s.must("ps", "-a", "-q"); got != "" {
			t.Errorf("containers left by builds: %q", got)
		}
	})
}

// TestBuildStagesAndCache: multi-stage builds with COPY --from and
// --target; a second build reuses every step, and a changed file
// rebuilds from its COPY on.
func TestBuildStagesAndCache(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx := buildContext(t, m, map[string]string{
			"Containerfile": `FROM busybox AS builder
RUN echo built > /artifact
FROM busybox AS unused
RUN false
FROM scratch
COPY --from=builder /artifact /artifact
COPY --from=builder /bin/busybox /bin/sh
FROM busybox
COPY keep.txt changed.txt /files/
RUN cat /files/changed.txt > /files/seen
COPY --from=2 /artifact /from-scratch-stage
`,
			"keep.txt": "keep\n", "changed.txt": "v1\n",
			".dockerignore": "*.log\nsecret/\n!secret/allowed\n",
			"x.log":         "ignored", "secret/hidden": "no", "secret/allowed": "yes",
		})
		r := s.scow("build", "-t", "multi", ctx)
		if r.code != 0 {
			t.Fatalf("multi-stage build: %s", r)
		}
		if strings.Contains(r.stdout, "RUN false") {
			t.Errorf("an unneeded stage was built:\n%s", r.stdout)
		}
		if !strings.Contains(r.stdout, "[1/3] STEP 1/2: FROM busybox AS builder") {
			t.Errorf("stage steps are not numbered:\n%s", r.stdout)
		}
		if got := s.must("run", "--rm", "multi", "cat", "/from-scratch-stage", "/files/seen"); got != "built\nv1\n" {
			t.Errorf("multi-stage result: %q", got)
		}
		// --target: that stage only.
		if got := s.must("build", "-q", "--target", "builder", "-t", "builder-only", ctx); strings.Count(got, "\n") != 1 {
			t.Errorf("--target builder printed %q", got)
		}
		if got := s.must("run", "--rm", "builder-only", "cat", "/artifact"); got != "built\n" {
			t.Errorf("--target builder: %q", got)
		}
		// Everything cached the second time, the same image.
		first := strings.TrimSpace(s.must("image", "inspect", "--format", "{{.Id}}", "multi"))
		r = s.scow("build", "-t", "multi", ctx)
		if r.code != 0 || strings.Count(r.stdout, "Using cache") != 6 || !strings.HasSuffix(r.stdout, first+"\n") {
			t.Errorf("a second build is not all cached:\n%s", r)
		}
		// One copied file changed: its COPY and what follows run again.
		os.WriteFile(filepath.Join(ctx, "changed.txt"), []byte("v2\n"), 0o644)
		r = s.scow("build", "-t", "multi", ctx)
		if r.code != 0 || strings.Count(r.stdout, "Using cache") != 3 {
			t.Errorf("after a change, want the 3 steps before it cached:\n%s", r)
		}
		if got := s.must("run", "--rm", "multi", "cat", "/files/seen"); got != "v2\n" {
			t.Errorf("the rebuilt step: %q", got)
		}
		// --no-cache: nothing reused.
		if r := s.scow("build", "--no-cache", "-t", "multi", ctx); r.code != 0 || strings.Contains(r.stdout, "Using cache") {
			t.Errorf("--no-cache: %s", r)
		}
		// The ignore file, with an exception.
		ign := buildContext(t, m, map[string]string{
			"Containerfile": "FROM busybox\nCOPY . /ctx/\nRUN find /ctx -type f | sort\n",
			".dockerignore": "*.log\nsecret/\n!secret/allowed\n",
			"x.log":         "ignored", "secret/hidden": "no", "secret/allowed": "yes", "kept": "k",
		})
		r = s.scow("build", "-q", ign)
		if r.code != 0 || !strings.Contains(r.stdout, "/ctx/kept\n/ctx/secret/allowed\n") || strings.Contains(r.stdout, "x.log") || strings.Contains(r.stdout, "hidden") {
			t.Errorf(".dockerignore with an exception:\n%s", r)
		}
	})
}

// TestBuildErrors: a failing RUN keeps its exit code and leaves no
// container; bad files, flags and sources are refused with why.
func TestBuildErrors(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx := buildContext(t, m, map[string]string{
			"Containerfile": "FROM busybox\nRUN echo before > /b\nRUN exit 3\n",
		})
		r := s.scow("build", ctx)
		if r.code != 3 || !strings.Contains(r.stderr, `building at STEP "RUN exit 3"`) || !strings.Contains(r.stderr, "exit status 3") {
			t.Errorf("a failing RUN: %s", r)
		}
		if got := s.must("ps", "-a", "-q"); got != "" {
			t.Errorf("a failed build left containers: %q", got)
		}
		// The step before it is cached.
		if r := s.scow("build", ctx); r.code != 3 || strings.Count(r.stdout, "Using cache") != 1 {
			t.Errorf("the cache of the steps before a failure: %s", r)
		}
		empty := m.userDir(t)
		wantError(t, s.scow("build", empty), 125, "no Containerfile or Dockerfile")
		bad := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nFLY away\n"})
		wantError(t, s.scow("build", bad), 125, "FLY")
		wantError(t, s.scow("build", "--target", "nosuch", ctx), 125, "--target nosuch")
		missing := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nCOPY nothere /x\n"})
		wantError(t, s.scow("build", missing), 125, "nothere")
		url := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nADD http://127.0.0.1:1/x /x\n"})
		wantError(t, s.scow("build", url), 125, "ADD http://127.0.0.1:1/x", "refused")
		wantError(t, s.scow("build", "-t", "Bad:Name", ctx), 125, "Bad:Name")
		wantError(t, s.scow("build", "--format", "v1", ctx), 125, "--format")
		// -f - reads the file from standard input; --pull alone is
		// --pull=always, which a local-only image cannot satisfy.
		if r := s.scowStdin("FROM busybox\nCMD [\"true\"]\n", "build", "-q", "-f", "-", empty); r.code != 0 {
			t.Errorf("-f -: %s", r)
		}
		if r := s.scow("build", "--pull", "-q", ctx); r.code != 125 || !strings.Contains(r.stderr, "busybox") {
			t.Errorf("--pull alone: %s", r)
		}
		// A build killed (kill -9) in a RUN step leaves its container,
		// which the next build removes.
		slow := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nRUN sleep 60\n"})
		killed := s.m.cmdIn(context.Background(), s.root, s.run, "build", slow)
		if err := killed.Start(); err != nil {
			t.Fatal(err)
		}
		if !waitFor(10*time.Second, func() bool { return s.must("ps", "-q", "--filter", "label=io.scow.build") != "" }) {
			t.Fatal("the RUN step's container did not start")
		}
		killed.Process.Kill()
		killed.Wait()
		if got := s.must("ps", "-a", "-q"); got == "" {
			t.Fatal("no container left by a killed build")
		}
		if r := s.scowStdin("FROM busybox\n", "build", "-q", "-f", "-", empty); r.code != 0 {
			t.Fatalf("a build after a killed one: %s", r)
		}
		if got := s.must("ps", "-a", "-q"); got != "" {
			t.Errorf("the container of a killed build stays after the next build: %q", got)
		}
	})
}

// TestBuildFlags: run's flags reach RUN's containers; the image flags
// change the image.
func TestBuildFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		shared := m.userDir(t)
		os.WriteFile(filepath.Join(shared, "f"), []byte("from a volume\n"), 0o644)
		os.Chown(filepath.Join(shared, "f"), m.uid, m.gid)
		ctx := buildContext(t, m, map[string]string{"Containerfile": `FROM busybox
LABEL base=yes drop=me
RUN cd /tmp && grep ^CapEff: /proc/self/status | cut -f2 > caps; cat /mnt/f > copied; grep -c myhost /etc/hosts > hosts; echo "$A" > a
`})
		s.must("build", "-q", "-t", "flags", "--cap-drop", "ALL", "-v", shared+":/mnt:ro", "--add-host", "myhost:10.1.2.3",
			"--env", "A=b", "--unsetlabel", "drop", "--timestamp", "86400", "--omit-history", ctx)
		if got := s.must("run", "--rm", "flags", "cat", "/tmp/caps", "/tmp/copied", "/tmp/hosts", "/tmp/a"); got != "0000000000000000\nfrom a volume\n1\nb\n" {
			t.Errorf("RUN with --cap-drop ALL, -v, --add-host, --env: %q", got)
		}
		if got := s.must("image", "inspect", "--format", "{{.Created}} {{json .History}} {{.Labels.base}} {{index .Labels \"drop\"}}", "flags"); !strings.HasPrefix(got, "1970-01-02T00:00:00Z null yes ") {
			t.Errorf("--timestamp, --omit-history, --unsetlabel: %q", got)
		}
		if got := s.must("run", "--rm", "flags", "sh", "-c", "echo $A; stat -c %Y /tmp/copied"); got != "b\n86400\n" {
			t.Errorf("--env in the image, --timestamp of the files: %q", got)
		}
		child := buildContext(t, m, map[string]string{"Containerfile": "FROM flags\nLABEL own=1\n"})
		out := strings.Fields(s.must("build", "-q", "--inherit-labels=false", child))
		if got := s.must("image", "inspect", "--format", "{{len .Labels}}", out[len(out)-1]); got != "1\n" {
			t.Errorf("--inherit-labels=false: %s labels", got)
		}
		// --rm=false keeps a step's container, --force-rm=false a failed one.
		s.must("build", "-q", "--no-cache", "--rm=false", ctx)
		fail := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nRUN exit 1\n"})
		s.scow("build", "--force-rm=false", fail)
		if n := strings.Count(s.must("ps", "-a", "-q"), "\n"); n != 2 {
			t.Errorf("--rm=false and --force-rm=false kept %d containers, want 2", n)
		}
		wantError(t, s.scow("build", "--platform", "linux/s390x", ctx), 125, "--platform", "this host's platform")
	})
}

// TestBuildAddURL: ADD downloads a URL (here one the test serves on
// loopback), checked against --checksum when given.
func TestBuildAddURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", "Fri, 02 Jan 1970 00:00:00 GMT")
		io.WriteString(w, "downloaded\n")
	}))
	defer srv.Close()
	sum := sha256.Sum256([]byte("downloaded\n"))
	right := "sha256:" + hex.EncodeToString(sum[:])
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nADD --checksum=" + right + " " + srv.URL + "/files/data.txt /dl/\nADD " + srv.URL + "/x /named\n"})
		s.must("build", "-q", "-t", "dl", ctx)
		if got := s.must("run", "--rm", "dl", "sh", "-c", "cat /dl/data.txt /named; stat -c '%a %Y' /dl/data.txt"); got != "downloaded\ndownloaded\n600 86400\n" {
			t.Errorf("ADD of a URL: %q", got)
		}
		wrong := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nADD --checksum=sha256:" + strings.Repeat("0", 64) + " " + srv.URL + "/f /f\n"})
		wantError(t, s.scow("build", wrong), 125, "checksum is "+right)
		cp := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nCOPY " + srv.URL + "/f /f\n"})
		wantError(t, s.scow("build", cp), 125, "only ADD downloads")
		git := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nADD git://example.com/repo.git /src\n"})
		wantError(t, s.scow("build", git), 125, "git clone")
	})
}

// TestBuildRunMounts: RUN --mount of every type, --network, and a
// --secret that no layer holds.
func TestBuildRunMounts(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		secret := m.userFile(t, "token", "s3cr3t-value")
		ctx := buildContext(t, m, map[string]string{
			"Containerfile": `FROM busybox AS other
RUN echo from-stage > /other.txt
FROM busybox
RUN --mount=type=bind,source=data,target=/src cat /src/in.txt > /copied
RUN --mount=type=bind,from=other,source=/other.txt,target=/o.txt cp /o.txt /from-other
RUN --mount=type=cache,target=/var/cache/app echo run >> /var/cache/app/log && wc -l < /var/cache/app/log > /cache-lines
RUN --mount=type=tmpfs,target=/scratch,size=1048576 df -k /scratch | tail -1 | awk '{print $2}' > /tmpfs-size
RUN --mount=type=secret,id=token cat /run/secrets/token | wc -c > /secret-len
RUN --mount=type=secret,id=token,env=TOKEN echo ${#TOKEN} > /secret-env-len
RUN --network=none ip -o link | grep -vc ' lo:' > /links || true
`,
			"data/in.txt": "bound\n",
		})
		args := []string{"build", "-q", "-t", "mounts", "--secret", "id=token,src=" + secret, ctx}
		s.must(args...)
		got := s.must("run", "--rm", "mounts", "sh", "-c", "cat /copied /from-other /cache-lines /tmpfs-size /secret-len /secret-env-len /links; ls /run/secrets /src /scratch /var/cache/app 2>&1 | grep -c 'No such file'")
		if want := "bound\nfrom-stage\n1\n1024\n12\n12\n0\n4\n"; got != want {
			t.Errorf("RUN mounts:\n%q\nwant\n%q", got, want)
		}
		// The secret is in no layer of the saved image.
		archive := filepath.Join(m.userDir(t), "mounts.tar")
		s.must("save", "-o", archive, "mounts")
		if data, _ := os.ReadFile(archive); strings.Contains(string(data), "s3cr3t-value") {
			t.Error("the saved image holds the secret")
		}
		// The cache mount persists: a rebuild of that step sees the
		// first run's line; a changed bound file runs its step again.
		os.WriteFile(filepath.Join(ctx, "data/in.txt"), []byte("rebound\n"), 0o644)
		args[len(args)-1] = ctx
		s.must(append([]string{"build", "--no-cache"}, args[1:]...)...)
		if got := s.must("run", "--rm", "mounts", "cat", "/copied", "/cache-lines"); got != "rebound\n2\n" {
			t.Errorf("a cache mount's second build: %q", got)
		}
		missing := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nRUN --mount=type=secret,id=nope,required cat /run/secrets/nope\n"})
		wantError(t, s.scow("build", missing), 125, "id=nope")
		wantError(t, s.scow("build", "--secret", "bogus=1", ctx), 125, "--secret")
	})
}

// TestBuildIntermediateImages: a build's step images are hidden from
// images (shown with -a), kept by image prune while an image is built on
// them, and removed with the image by rmi unless --no-prune.
func TestBuildIntermediateImages(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nRUN echo 1 > /1\nRUN echo 2 > /2\nCMD [\"true\"]\n", "x": "x"})
		s.must("build", "-q", "-t", "layered", ctx)
		count := func(args ...string) int {
			t.Helper()
			return strings.Count(s.must(append([]string{"images", "-q", "--no-trunc"}, args...)...), "\n")
		}
		if n, all := count(), count("-a"); n != 2 || all != 4 {
			t.Errorf("images: %d, images -a: %d; want 2 and 4 (busybox, layered and 2 steps' images)", n, all)
		}
		if n := count("-a", "--filter", "intermediate=true"); n != 2 {
			t.Errorf("--filter intermediate=true: %d", n)
		}
		s.must("image", "prune", "-f")
		if n := count("-a"); n != 4 {
			t.Errorf("image prune removed a build's cache of a tagged image: %d left", n)
		}
		if got := s.must("rmi", "layered"); strings.Count(got, "Deleted: ") != 3 {
			t.Errorf("rmi of a built image: %q, want it and its 2 step images deleted", got)
		}
		if n := count("-a"); n != 1 {
			t.Errorf("after rmi: %d images", n)
		}
		s.must("build", "-q", "-t", "layered", ctx)
		if got := s.must("rmi", "--no-prune", "layered"); strings.Count(got, "Deleted: ") != 1 {
			t.Errorf("rmi --no-prune: %q", got)
		}
		if n := count("-a"); n != 3 {
			t.Errorf("after rmi --no-prune: %d images, want busybox and 2 dangling", n)
		}
		s.must("image", "prune", "-f")
		if n := count("-a"); n != 1 {
			t.Errorf("image prune left %d images, want busybox", n)
		}
	})
}

// TestBuildHeredocsAndSquash: heredocs of COPY and RUN in BuildKit's four
// forms; --squash, --squash-all and --layers=false make fewer layers of
// the same files; --annotation, --logfile, --runtime.
func TestBuildHeredocsAndSquash(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx := buildContext(t, m, map[string]string{"Containerfile": `FROM busybox
ARG NAME=world
COPY <<EOT /greeting
hello $NAME "quoted"
EOT
COPY <<A <<B /dir/
a
A
b
B
RUN <<EOT
echo script $NAME > /s
EOT
RUN cat <<X > /t && cat /t
piped
X
RUN <<EOT
#!/bin/sh -e
echo shebang $0 > /sb
EOT
RUN <<-EOT
	echo chomped > /c
	EOT
CMD ["cat", "/greeting"]
`})
		s.must("build", "-q", "-t", "hd", ctx)
		// A rebuild takes every step from the cache, heredocs too.
		if out := s.must("build", "-t", "hd", ctx); regexp.MustCompile(`(?m)^--> [0-9a-f]{11}$`).MatchString(out) {
			t.Errorf("a rebuild committed a step again:\n%s", out)
		}
		want := "hello world \"quoted\"\na\nb\nscript world\npiped\nshebang /dev/pipes/EOT\nchomped\n"
		if got := s.must("run", "--rm", "hd", "cat", "/greeting", "/dir/A", "/dir/B", "/s", "/t", "/sb", "/c"); got != want {
			t.Errorf("heredocs:\n%q\nwant\n%q", got, want)
		}
		if got := s.must("run", "--rm", "hd", "sh", "-c", "ls /dev/pipes 2>&1; true"); !strings.Contains(got, "No such file") {
			t.Errorf("a heredoc program stays in /dev/pipes: %q", got)
		}
		layers := func(ref string) string {
			t.Helper()
			return s.must("image", "inspect", "--format", "{{len .RootFS.Layers}}", ref)
		}
		if got := layers("hd"); got != "7\n" {
			t.Fatalf("hd has %s layers, want busybox's and 6", got)
		}
		for flag, n := range map[string]string{"--squash": "2\n", "--squash-all": "1\n", "--layers=false": "2\n"} {
			before := strings.Count(s.must("images", "-a", "-q"), "\n")
			s.must("build", "-q", flag, "-t", "sq", ctx)
			if got := layers("sq"); got != n {
				t.Errorf("%s: %s layers, want %s", flag, got, n)
			}
			// As many history entries with a layer as layers.
			var hist []struct {
				Empty bool `json:"empty_layer"`
			}
			json.Unmarshal([]byte(s.must("image", "inspect", "--format", "{{json .History}}", "sq")), &hist)
			withLayer := 0
			for _, h := range hist {
				if !h.Empty {
					withLayer++
				}
			}
			if got := fmt.Sprint(withLayer) + "\n"; got != n {
				t.Errorf("%s: %s history entries with a layer, want %s", flag, got, n)
			}
			if got := s.must("run", "--rm", "sq", "cat", "/greeting", "/dir/A", "/dir/B", "/s", "/t", "/sb", "/c"); got != want {
				t.Errorf("%s: the files are %q", flag, got)
			}
			if after := strings.Count(s.must("images", "-a", "-q"), "\n"); flag == "--layers=false" && after != before+1 {
				t.Errorf("--layers=false left %d images more, want the image alone", after-before)
			}
		}
		// commit --squash: one layer of all the container's files.
		s.must("create", "--name", "c", "hd")
		s.must("commit", "--squash", "c", "flat")
		if got := layers("flat"); got != "1\n" {
			t.Errorf("commit --squash: %s layers", got)
		}
		if got := s.must("run", "--rm", "flat", "cat", "/sb"); got != "shebang /dev/pipes/EOT\n" {
			t.Errorf("commit --squash's files: %q", got)
		}
		// --annotation is the manifest's; a Docker manifest has none.
		s.must("build", "-q", "--annotation", "org.example.k=v 1", "-t", "ann", ctx)
		if got := s.must("image", "inspect", "--format", "{{index .Annotations \"org.example.k\"}}", "ann"); got != "v 1\n" {
			t.Errorf("--annotation: %q", got)
		}
		if out := s.must("build", "--annotation", "k=v", "--format", "docker", ctx); !strings.Contains(out, "annotations; they are dropped") {
			t.Errorf("--annotation with --format docker: %s", out)
		}
		wantError(t, s.scow("build", "--annotation", "novalue", ctx), 125, "KEY=VALUE")
		// --logfile takes what build prints, the ID too.
		log := filepath.Join(m.userDir(t), "build.log")
		if got := s.must("build", "--logfile", log, ctx); got != "" {
			t.Errorf("build --logfile printed %q", got)
		}
		if data, _ := os.ReadFile(log); !strings.Contains(string(data), "STEP 1/9: FROM busybox") {
			t.Errorf("--logfile holds %q", data)
		}
		s.must("build", "--logfile", log, "--logsplit", ctx)
		if _, err := os.Stat(log + "_linux_" + runtime.GOARCH); err != nil {
			t.Errorf("--logsplit: %v", err)
		}
		// RUN steps run under build's --runtime, else the global one.
		wantError(t, s.scow("build", "--no-cache", "--runtime", "/nonexistent/rt", ctx), 125, `"/nonexistent/rt" not found`)
		wantError(t, s.scow("--runtime", "/nonexistent/rt2", "build", "--no-cache", ctx), 125, `"/nonexistent/rt2" not found`)
	})
}

// TestBuildRegistry: a built image goes to the local registry and comes
// back to run; --cache-to pushes the steps' images and --cache-from
// reuses them in a store that never built them.
func TestBuildRegistry(t *testing.T) {
	reg := startRegistry(t, false, false)
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx := buildContext(t, m, map[string]string{
			"Containerfile": "FROM busybox\nCOPY app.sh /app.sh\nRUN chmod +x /app.sh && echo built > /built\nCMD [\"/app.sh\"]\n",
			"app.sh":        "#!/bin/sh\necho \"app: $(cat /built)\"\n",
		})
		ref := reg.host + "/" + m.name + "/app:1"
		cache := reg.host + "/" + m.name + "/cache"
		s.must("build", "-q", "-t", ref, "--cache-to", cache, "--tls-verify=false", ctx)
		s.must("push", "--tls-verify=false", ref)
		s.must("rmi", "-a", "-f")
		s.must("pull", "--tls-verify=false", ref)
		if got := s.must("run", "--rm", ref); got != "app: built\n" {
			t.Errorf("the pushed and pulled image runs: %q", got)
		}
		// A store of busybox alone builds from the cache repository.
		s.must("rmi", "-a", "-f")
		s.must("load", "-i", suite.image)
		out := s.must("build", "-t", "fromcache", "--cache-from", cache, "--tls-verify=false", ctx)
		if n := strings.Count(out, "--> Using cache"); n != 3 {
			t.Errorf("--cache-from reused %d steps, want 3 (COPY, RUN, CMD):\n%s", n, out)
		}
		if got := s.must("run", "--rm", "fromcache"); got != "app: built\n" {
			t.Errorf("the image of cached steps runs: %q", got)
		}
		if got := s.must("images", "--format", "{{.Repository}}"); strings.Contains(got, "/cache") {
			t.Errorf("cache images keep their names: %q", got)
		}
		// A changed file misses the cache from that step on; --cache-ttl
		// 0 reuses nothing.
		os.WriteFile(filepath.Join(ctx, "app.sh"), []byte("#!/bin/sh\necho changed\n"), 0o644)
		out = s.must("build", "--cache-from", cache, "--tls-verify=false", ctx)
		if n := strings.Count(out, "--> Using cache"); n != 0 {
			t.Errorf("a changed COPY reused %d steps:\n%s", n, out)
		}
		out = s.must("build", "--cache-ttl", "0", ctx)
		if n := strings.Count(out, "--> Using cache"); n != 0 {
			t.Errorf("--cache-ttl 0 reused %d steps", n)
		}
		// An expired step is built again, and that newer image is reused.
		time.Sleep(1100 * time.Millisecond)
		if out = s.must("build", "--cache-ttl", "1s", ctx); strings.Contains(out, "--> Using cache") {
			t.Errorf("--cache-ttl 1s reused a step built over a second ago:\n%s", out)
		}
		if out = s.must("build", "--cache-ttl", "1s", ctx); strings.Count(out, "--> Using cache") != 3 {
			t.Errorf("--cache-ttl 1s did not reuse the steps just built:\n%s", out)
		}
		if out = s.must("build", "--cache-ttl", "1h", ctx); strings.Count(out, "--> Using cache") != 3 {
			t.Errorf("--cache-ttl 1h:\n%s", out)
		}
		wantError(t, s.scow("build", "--cache-to", cache+":tag", ctx), 125, "without tag")
		wantError(t, s.scow("build", "--cache-ttl", "soon", ctx), 125, "--cache-ttl")
	})
}

// TestBuildConcurrentStages: independent stages run at the same time (each
// sees the other's mark in a shared volume) and print in order; --jobs 1
// builds one after the other; a failing stage stops the build with its
// step, and the other's container goes.
func TestBuildConcurrentStages(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		shared := m.userDir(t)
		wait := func(me, other string) string {
			return "RUN touch /shared/" + me + "; for i in $(seq 40); do [ -e /shared/" + other + " ] && break; sleep 0.1; done; " +
				"if [ -e /shared/" + other + " ]; then echo together; else echo alone; fi > /" + me + "; echo stage " + me + " done\n"
		}
		ctx := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox AS a\n" + wait("a", "b") +
			"FROM busybox AS b\n" + wait("b", "a") +
			"FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n"})
		out := s.must("build", "--jobs", "2", "-v", shared+":/shared", "-t", "both", ctx)
		if got := s.must("run", "--rm", "both", "cat", "/a", "/b"); got != "together\ntogether\n" {
			t.Errorf("--jobs 2: the stages ran %q", got)
		}
		a, b, last := strings.Index(out, "stage a done"), strings.Index(out, "[2/3] STEP 1/2"), strings.Index(out, "[3/3] STEP 1/3")
		if a < 0 || b < a || last < b || strings.Index(out, "stage b done") < b {
			t.Errorf("concurrent stages' output is out of order:\n%s", out)
		}
		os.Remove(filepath.Join(shared, "a"))
		os.Remove(filepath.Join(shared, "b"))
		s.must("build", "--no-cache", "--jobs", "1", "-v", shared+":/shared", "-t", "one", ctx)
		if got := s.must("run", "--rm", "one", "cat", "/a", "/b"); got != "alone\ntogether\n" {
			t.Errorf("--jobs 1: the stages ran %q", got)
		}
		fail := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox AS slow\nRUN sleep 30\n" +
			"FROM busybox AS bad\nRUN echo failing; exit 3\nFROM busybox\nCOPY --from=slow /etc/hostname /a\nCOPY --from=bad /etc/hostname /b\n"})
		r := s.scow("build", fail)
		wantError(t, r, 3, `building at STEP "RUN echo failing; exit 3"`)
		if !strings.Contains(r.stdout, "failing") || strings.Contains(r.stdout, "[3/3]") {
			t.Errorf("a failed concurrent build printed:\n%s", r.stdout)
		}
		if got := s.must("ps", "-a", "-q"); got != "" {
			t.Errorf("a failed concurrent build left containers: %q", got)
		}
		wantError(t, s.scow("build", "--jobs", "-1", ctx), 125, "--jobs")
	})
}

// TestBuildDebian builds on a Debian rootfs with its package manager: a
// .deb made here installed by dpkg, a user added by useradd, USER then
// RUN as that user.
func TestBuildDebian(t *testing.T) {
	pkg := filepath.Join(t.TempDir(), "pkg")
	os.MkdirAll(filepath.Join(pkg, "DEBIAN"), 0o755)
	os.MkdirAll(filepath.Join(pkg, "usr/bin"), 0o755)
	os.WriteFile(filepath.Join(pkg, "DEBIAN/control"), []byte("Package: hello-scow\nVersion: 1.0\nArchitecture: all\nMaintainer: scow tests <tests@localhost>\nDescription: a package of the tests\n"), 0o644)
	os.WriteFile(filepath.Join(pkg, "usr/bin/hello-scow"), []byte("#!/bin/sh\necho \"hello from a package, as $(id -un)\"\n"), 0o755)
	deb := filepath.Join(t.TempDir(), "hello.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", pkg, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v: %s", err, out)
	}
	data, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		debianImage(t, s)
		ctx := buildContext(t, m, map[string]string{
			"hello.deb": string(data),
			"Containerfile": `FROM localhost/debian:12
COPY hello.deb /tmp/
RUN dpkg -i /tmp/hello.deb && rm /tmp/hello.deb && useradd --create-home --uid 1500 app
USER app
WORKDIR /home/app
RUN hello-scow > greeting && id > id
CMD ["hello-scow"]
`,
		})
		s.must("build", "-q", "-t", "deb-app", ctx)
		if got := s.must("run", "--rm", "deb-app"); got != "hello from a package, as app\n" {
			t.Errorf("the installed package: %q", got)
		}
		if got := s.must("run", "--rm", "deb-app", "sh", "-c", "cat greeting id; stat -c %U:%a /home/app; dpkg -s hello-scow | grep Status"); got !=
			"hello from a package, as app\nuid=1500(app) gid=1500(app) groups=1500(app)\napp:755\nStatus: install ok installed\n" {
			t.Errorf("the image built on Debian: %q", got)
		}
	})
}

// TestBuildStdinAndParents: the context "-" is a Containerfile or a tar
// archive of the context on standard input (a hostile entry stays
// inside); COPY --parents keeps the sources' directories.
func TestBuildStdinAndParents(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		if r := s.scowStdin("FROM busybox\nRUN echo from-stdin > /s\n", "build", "-q", "-t", "stdin", "-"); r.code != 0 {
			t.Fatalf("a Containerfile on stdin: %s", r)
		}
		if got := s.must("run", "--rm", "stdin", "cat", "/s"); got != "from-stdin\n" {
			t.Errorf("a Containerfile on stdin: %q", got)
		}
		escape := filepath.Join(suite.dir, "escaped-"+m.name)
		rel, _ := filepath.Rel("/", escape)
		ctx := tarGz(t, map[string]string{
			"Other":                         "FROM busybox\nCOPY --parents a/b/f ./x/./y/g /p/\nRUN find /p -type f | sort\n",
			"a/b/f":                         "f\n",
			"x/y/g":                         "g\n",
			strings.Repeat("../", 20) + rel: "escaped\n",
		})
		r := s.scowStdin(ctx, "build", "--no-cache", "-f", "Other", "-")
		if r.code != 0 || !strings.Contains(r.stdout, "/p/a/b/f\n/p/y/g\n") {
			t.Errorf("a tar context on stdin with COPY --parents: %s", r)
		}
		if _, err := os.Stat(escape); err == nil {
			t.Errorf("a context's ../ entry escaped to %s", escape)
		}
		wantError(t, s.scowStdin("x", "build", "-f", "-", "-"), 125, "standard input is one of them")
		// A link in the context leads nowhere outside it.
		linked := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nCOPY hostetc/hostname /h\n"})
		if err := os.Symlink("/etc", filepath.Join(linked, "hostetc")); err != nil {
			t.Fatal(err)
		}
		wantError(t, s.scow("build", linked), 125, "no such file")
		// A source that is a link is copied as what it leads to.
		deref := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nCOPY link.txt dirlink /d/\nRUN test ! -L /d/link.txt && test ! -L /d/in.txt && cat /d/link.txt /d/in.txt\n", "real.txt": "real\n", "dir/in.txt": "in\n"})
		os.Symlink("real.txt", filepath.Join(deref, "link.txt"))
		os.Symlink("dir", filepath.Join(deref, "dirlink"))
		if r := s.scow("build", "--no-cache", deref); r.code != 0 || !strings.Contains(r.stdout, "real\nin\n") {
			t.Errorf("COPY of links named: %s", r)
		}
	})
}

// TestBuildMoreFlags: --output, --build-context, --from,
// --skip-unused-stages, --stdin, a Containerfile.in with --cpp-flag,
// --hooks-dir, --userns-uid-map, and the flags the host cannot honour.
func TestBuildMoreFlags(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("tag", "busybox", "other:1")
		extra := buildContext(t, m, map[string]string{"note.txt": "from a named context\n"})
		ctx := buildContext(t, m, map[string]string{
			"Containerfile": `FROM busybox AS unused
RUN echo unused > /unused
FROM base
COPY --from=extra note.txt /note.txt
COPY --from=img /bin/busybox /img-busybox
RUN --mount=type=bind,from=extra,target=/x cat /x/note.txt > /mounted
`,
			"Containerfile.in": "#include \"common.inc\"\nRUN echo WHO > /who\n",
			"common.inc":       "FROM busybox\n",
		})
		args := []string{"build", "--build-context", "extra=" + extra, "--build-context", "base=docker-image://busybox",
			"--build-context", "img=container-image://other:1"}
		out := filepath.Join(m.userDir(t), "out")
		s.must(append(args, "-q", "-t", "ctx", "--output", "type=local,dest="+out, ctx)...)
		if got := s.must("run", "--rm", "ctx", "cat", "/note.txt", "/mounted"); got != "from a named context\nfrom a named context\n" {
			t.Errorf("--build-context: %q", got)
		}
		if data, err := os.ReadFile(filepath.Join(out, "mounted")); err != nil || string(data) != "from a named context\n" {
			t.Errorf("--output type=local: %q %v", data, err)
		}
		if st, err := os.Stat(filepath.Join(out, "bin/busybox")); err != nil || st.Sys().(*syscall.Stat_t).Uid != uint32(m.uid) {
			t.Errorf("--output's files are not the user's: %v", err)
		}
		tarFile := filepath.Join(m.userDir(t), "out.tar")
		s.must(append(args, "-q", "-o", "type=tar,dest="+tarFile, ctx)...)
		r := s.scow(append(args, "-q", "-o", "-", ctx)...)
		file, _ := os.ReadFile(tarFile)
		for what, data := range map[string]string{"dest=FILE": string(file), "-": r.stdout} {
			if !strings.Contains(data, "from a named context") || !strings.Contains(data, "ustar") {
				t.Errorf("--output tar to %s: %d bytes without the files", what, len(data))
			}
		}
		// --skip-unused-stages=false builds the unused stage too.
		all := s.must(append(args, "--skip-unused-stages=false", ctx)...)
		if !strings.Contains(all, "RUN echo unused") || strings.Contains(s.must(append(args, ctx)...), "RUN echo unused") {
			t.Errorf("--skip-unused-stages: %s", all)
		}
		// --from replaces the first FROM.
		s.must("build", "-q", "--from", "other:1", "-t", "fromflag", "-f", filepath.Join(ctx, "Containerfile.in"), "--cpp-flag", "-DWHO=cpp", ctx)
		if got := s.must("run", "--rm", "fromflag", "cat", "/who"); got != "cpp\n" {
			t.Errorf("Containerfile.in with --cpp-flag: %q", got)
		}
		// --stdin reaches RUN.
		stdinCtx := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nRUN cat > /in\n"})
		if r := s.scowStdin("typed in\n", "build", "-q", "--no-cache", "--stdin", "-t", "stdin-run", stdinCtx); r.code != 0 {
			t.Fatalf("--stdin: %s", r)
		}
		if got := s.must("run", "--rm", "stdin-run", "cat", "/in"); got != "typed in\n" {
			t.Errorf("--stdin: %q", got)
		}
		// --hooks-dir: a hook of build's own runs for its RUN steps.
		hooks := filepath.Join(m.userDir(t), "hooks.d")
		os.Mkdir(hooks, 0o755)
		os.Chown(hooks, m.uid, m.gid)
		marker := filepath.Join(m.userDir(t), "hooked")
		script := m.userFile(t, "hook.sh", "#!/bin/sh\necho ran > "+marker+"\n")
		os.Chmod(script, 0o755)
		os.WriteFile(filepath.Join(hooks, "h.json"), []byte(`{"version":"1.0.0","hook":{"path":"`+script+`"},"when":{"always":true},"stages":["createRuntime"]}`), 0o644)
		s.must("build", "-q", "--no-cache", "--hooks-dir", hooks, stdinCtx)
		if _, err := os.Stat(marker); err != nil {
			t.Errorf("build --hooks-dir: the hook did not run: %v", err)
		}
		// --userns-uid-map: RUN in a namespace of its own mapping.
		mapCtx := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nRUN awk '{print $1, $3}' /proc/self/uid_map > /map\n"})
		s.must("build", "-q", "--userns-uid-map", "0:1:500", "--userns-gid-map", "0:1:500", "-t", "mapped", mapCtx)
		if got := s.must("run", "--rm", "mapped", "cat", "/map"); got != "0 500\n" {
			t.Errorf("--userns-uid-map: RUN's uid_map %q", got)
		}
		// --ssh: an agent's socket for RUN --mount=type=ssh, in no layer.
		sock := filepath.Join(m.userDir(t), "agent.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		os.Chmod(sock, 0o777)
		os.Chown(sock, m.uid, m.gid)
		sshCtx := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nRUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && echo \"agent at $SSH_AUTH_SOCK\" > /ssh\n"})
		s.must("build", "-q", "--ssh", "default="+sock, "-t", "ssh", sshCtx)
		if got := s.must("run", "--rm", "ssh", "sh", "-c", "cat /ssh; ls /run/buildkit 2>&1 | grep -c ssh_agent; true"); got != "agent at /run/buildkit/ssh_agent.0\n0\n" {
			t.Errorf("RUN --mount=type=ssh: %q", got)
		}
		wantError(t, s.scow("build", "--ssh", "default="+filepath.Join(ctx, "Containerfile"), sshCtx), 125, "no agent's socket")
		wantError(t, s.scow("build", "--isolation", "chroot", ctx), 125, "OCI runtime only")
		if !m.rootless {
			wantError(t, s.scow("build", "--isolation", "rootless", ctx), 125, "as root use --isolation oci")
		}
		wantError(t, s.scow("build", "--disable-compression=false", ctx), 125, "uncompressed")
		wantError(t, s.scow("build", "--all-platforms", ctx), 125, "this host's platform only")
		wantError(t, s.scow("build", "--build-context", "x=https://example.com/c.tar", ctx), 125, "--build-context")
		wantError(t, s.scow("build", "-o", "type=oci,dest=x", ctx), 125, "type is local or tar")
	})
}

// TestExternalContainers: a container of the store that scow has no
// record of (here: its record removed, as another program's or a crash's
// would be) shows in ps --external, keeps its image from image prune but
// with --external, and goes with system prune --external; image prune
// --build-cache removes the cache mounts' directories.
func TestExternalContainers(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		s.must("tag", "busybox", "held:1")
		external := func(image string) string {
			t.Helper()
			id := strings.TrimSpace(s.must("create", image, "true"))
			if err := os.RemoveAll(filepath.Join(s.root, "containers", id)); err != nil {
				t.Fatal(err)
			}
			return id
		}
		id := external("held:1")
		if got := s.must("ps", "-a", "-q"); got != "" {
			t.Errorf("ps -a shows an external container: %q", got)
		}
		got := s.must("ps", "--external", "--format", "{{.ID}} {{.Status}} {{.Image}}")
		if want := id[:12] + " Storage localhost/held:1\n"; got != want {
			t.Errorf("ps --external: %q, want %q", got, want)
		}
		s.must("rmi", "held:1") // the name only: busybox is the same image
		s.must("image", "prune", "-a", "-f")
		if n := len(s.imageIDs()); n != 1 {
			t.Errorf("image prune removed an image an external container uses: %d left", n)
		}
		bb := strings.TrimPrefix(s.imageIDs()[0], "sha256:")
		if out := s.must("image", "prune", "-a", "-f", "--external"); !strings.Contains(out, bb) {
			t.Errorf("image prune --external: %q", out)
		}
		if got := s.must("ps", "--external", "-q"); got != "" || len(s.imageIDs()) != 0 {
			t.Errorf("image prune --external left %q and %d images", got, len(s.imageIDs()))
		}
		s.must("load", "-i", suite.image)
		id = external("busybox")
		if out := s.must("system", "prune", "-f", "--external"); !strings.Contains(out, id) {
			t.Errorf("system prune --external: %q", out)
		}
		if got := s.must("ps", "--external", "-q"); got != "" {
			t.Errorf("system prune --external left %q", got)
		}
		ctx := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nRUN --mount=type=cache,target=/c echo x >> /c/log && wc -l < /c/log > /n\n"})
		s.must("build", "-q", "--no-cache", ctx)
		s.must("image", "prune", "-f", "--build-cache")
		s.must("build", "-q", "--no-cache", "-t", "fresh", ctx)
		if got := s.must("run", "--rm", "fresh", "cat", "/n"); got != "1\n" {
			t.Errorf("a cache mount after image prune --build-cache holds %s lines", got)
		}
	})
}

// TestBuildExpansion: ARG and ENV expansion as BuildKit does it: defaults
// and alternatives, an ARG before FROM in FROM and redeclared in the
// stage, --build-arg over a default, ENV over ARG, escapes, and words of
// WORKDIR, COPY and LABEL.
func TestBuildExpansion(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		s := newStore(t, m)
		s.must("load", "-i", suite.image)
		ctx := buildContext(t, m, map[string]string{
			"Containerfile": `ARG IMG=busybox
ARG VERSION=1.0
FROM ${IMG}
ARG VERSION
ARG UNSET
ARG OVERRIDDEN=default
ARG SHADOWED=from-arg
ENV SHADOWED=from-env DIR=/opt/app
WORKDIR $DIR/sub
COPY f.txt ${DIR}/copied-${VERSION}.txt
LABEL version="$VERSION" literal='$VERSION' escaped=\$VERSION
RUN echo "v=$VERSION d=${UNSET:-dflt} a=${VERSION:+set} u=[${UNSET}] o=$OVERRIDDEN s=$SHADOWED" > /out; pwd >> /out
`,
			"f.txt": "file\n",
		})
		s.must("build", "-q", "-t", "exp", "--build-arg", "OVERRIDDEN=given", ctx)
		if got := s.must("run", "--rm", "exp", "cat", "/out", "/opt/app/copied-1.0.txt"); got != "v=1.0 d=dflt a=set u=[] o=given s=from-env\n/opt/app/sub\nfile\n" {
			t.Errorf("expansion in RUN, WORKDIR and COPY: %q", got)
		}
		if got := s.must("image", "inspect", "--format", "{{.Labels.version}} {{.Labels.literal}} {{.Labels.escaped}}", "exp"); got != "1.0 $VERSION $VERSION\n" {
			t.Errorf("expansion in LABEL: %q", got)
		}
		// An ARG's value is not in the image's environment.
		if got := s.must("run", "--rm", "exp", "sh", "-c", "echo [$VERSION] [$OVERRIDDEN]"); got != "[] []\n" {
			t.Errorf("ARGs in the image's environment: %q", got)
		}
		bad := buildContext(t, m, map[string]string{"Containerfile": "FROM busybox\nWORKDIR ${X:?X is required}\n"})
		wantError(t, s.scow("build", bad), 125, "X is required")
	})
}
