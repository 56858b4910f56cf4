//go:build e2e

package tests

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// suite is what TestMain prepared: a copy of the binary and the image
// that the test user can read.
var suite struct {
	dir    string // world-readable work directory
	binary string
	image  string
	// debian is a Debian rootfs tarball (SCOW_DEBIAN_IMAGE), for scow
	// import, made by hack/mkimage-debian.sh; "" without one.
	debian string
	user   *user.User
}

func TestMain(m *testing.M) {
	os.Exit(setup(m))
}

func setup(m *testing.M) int {
	bin, img, name := os.Getenv("SCOW_BINARY"), os.Getenv("SCOW_IMAGE"), os.Getenv("SCOW_TEST_USER")
	if bin == "" || img == "" || name == "" || os.Geteuid() != 0 {
		msg := "e2e tests need root, SCOW_BINARY, SCOW_IMAGE and SCOW_TEST_USER: run make test-e2e"
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, msg)
			return 1
		}
		fmt.Fprintln(os.Stderr, "skipping:", msg)
		return 0
	}
	u, err := user.Lookup(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "test user %s: %v (run hack/install-deps.sh --test)\n", name, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "scow-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	suite.dir, suite.user = dir, u
	suite.binary = filepath.Join(dir, "scow")
	suite.image = filepath.Join(dir, "busybox.tar")
	// scow is the light build; what it hands over, scow-full runs.
	copies := map[string]string{bin: suite.binary, img: suite.image}
	for _, h := range []string{"scow-monitor", "scow-full"} {
		copies[filepath.Join(filepath.Dir(bin), h)] = filepath.Join(dir, h)
	}
	for src, dst := range copies {
		if err := copyFile(src, dst); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Chmod(dst, 0o755)
	}
	os.Chmod(suite.image, 0o644)
	os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	sweepStaleSuites()
	if deb := os.Getenv("SCOW_DEBIAN_IMAGE"); deb != "" {
		suite.debian = filepath.Join(dir, "debian.tar")
		if err := copyFile(deb, suite.debian); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Chmod(suite.debian, 0o644)
	}
	code := m.Run()
	cleanupModes()
	return code
}

// sweepStaleSuites removes what a killed run of the suite left behind:
// its containers keep running, holding addresses and veths of the
// host-wide bridges that the network tests check are released. A run's
// directory is stale once the process named in its pid file is gone.
func sweepStaleSuites() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "scow-e2e-*"))
	for _, d := range dirs {
		if d == suite.dir {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "pid")); err == nil {
			if pid, _ := strconv.Atoi(string(b)); pid > 0 && syscall.Kill(pid, 0) == nil {
				continue
			}
		}
		stores, _ := filepath.Glob(filepath.Join(d, "*", "root"))
		for _, root := range stores {
			var st syscall.Stat_t
			if syscall.Stat(filepath.Dir(root), &st) != nil {
				continue
			}
			m := &mode{home: "/root"}
			if st.Uid != 0 {
				m = &mode{rootless: true, uid: int(st.Uid), gid: int(st.Gid), home: suite.user.HomeDir}
			}
			for _, rm := range [][]string{{"pod", "rm"}, {"rm"}} {
				m.cmdIn(context.Background(), root, filepath.Join(filepath.Dir(root), "run"), append(rm, "-a", "-f", "-t", "0")...).Run()
			}
		}
		os.RemoveAll(d)
	}
}

// debianImage imports the Debian image into s's store as localhost/debian:12,
// or skips the test without one (fails it in CI).
func debianImage(t *testing.T, s *store) {
	t.Helper()
	if suite.debian == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SCOW_DEBIAN_IMAGE is not set: make test-e2e makes it")
		}
		t.Skip("SCOW_DEBIAN_IMAGE is not set: make test-e2e makes it")
	}
	s.must("import", suite.debian, "localhost/debian:12")
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// mode is one way of running scow: rootless as the test user, or root.
type mode struct {
	name     string
	rootless bool
	uid, gid int
	home     string
	// root and runroot isolate this mode's shared store; tests that
	// change images use a store of their own (newStore).
	root, runroot string
}

var modes []*mode

func getModes(t *testing.T) []*mode {
	t.Helper()
	if modes != nil {
		return modes
	}
	uid, _ := strconv.Atoi(suite.user.Uid)
	gid, _ := strconv.Atoi(suite.user.Gid)
	rl := &mode{name: "rootless", rootless: true, uid: uid, gid: gid, home: suite.user.HomeDir}
	rt := &mode{name: "root", home: "/root"}
	for _, m := range []*mode{rl, rt} {
		m.root, m.runroot = m.newDirs(t, "shared")
		if r := m.scow(t, "load", "-i", suite.image); r.code != 0 {
			t.Fatalf("%s: load fixture: %s", m.name, r)
		}
	}
	modes = []*mode{rl, rt}
	return modes
}

func cleanupModes() {
	for _, m := range modes {
		m.cmd(context.Background(), "pod", "rm", "-a", "-f", "-t", "0").Run()
		m.cmd(context.Background(), "rm", "-a", "-f", "-t", "0").Run()
		// Layers of root's store are mounted overlays owned by root;
		// remove through scow so storage unmounts what it mounted.
		os.RemoveAll(filepath.Dir(m.root))
	}
}

// newDirs makes a data root and run root owned by the mode's user.
func (m *mode) newDirs(t *testing.T, tag string) (root, runroot string) {
	t.Helper()
	base, err := os.MkdirTemp(suite.dir, m.name+"-"+tag+"-")
	if err != nil {
		t.Fatal(err)
	}
	root, runroot = filepath.Join(base, "root"), filepath.Join(base, "run")
	for _, d := range []string{base, root, runroot} {
		os.MkdirAll(d, 0o700)
		os.Chown(d, m.uid, m.gid)
	}
	// Searchable, as a home directory is, for containers with a user
	// namespace of their own (--userns=auto, --uidmap).
	os.Chmod(base, 0o711)
	return root, runroot
}

// forModes runs fn as a subtest for rootless and for root.
func forModes(t *testing.T, fn func(t *testing.T, m *mode)) {
	for _, m := range getModes(t) {
		t.Run(m.name, func(t *testing.T) { fn(t, m) })
	}
}

// result is what one scow invocation did.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("scow %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// cmd prepares scow with args on the mode's shared store.
func (m *mode) cmd(ctx context.Context, args ...string) *exec.Cmd {
	return m.cmdIn(ctx, m.root, m.runroot, args...)
}

func (m *mode) cmdIn(ctx context.Context, root, runroot string, args ...string) *exec.Cmd {
	return m.cmdEnv(ctx, root, runroot, nil, args...)
}

// cmdEnv is cmdIn with environment entries that replace the defaults.
func (m *mode) cmdEnv(ctx context.Context, root, runroot string, env []string, args ...string) *exec.Cmd {
	full := append([]string{"--root", root, "--runroot", runroot}, args...)
	c := exec.CommandContext(ctx, suite.binary, full...)
	c.Env = append([]string{"HOME=" + m.home, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}, env...)
	c.Dir = suite.dir
	if m.rootless {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(m.uid), Gid: uint32(m.gid), Groups: []uint32{}}}
	}
	return c
}

// scow runs scow with args and returns what it did.
func (m *mode) scow(t *testing.T, args ...string) result {
	t.Helper()
	return m.scowStdin(t, "", args...)
}

func (m *mode) scowStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return execute(t, m.cmd(context.Background(), args...), stdin)
}

func execute(t *testing.T, c *exec.Cmd, stdin string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	// A process left behind holding our pipes must not hang the suite.
	c.WaitDelay = 10 * time.Second
	if stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() {
		<-ctx.Done()
		if c.Process != nil && ctx.Err() == context.DeadlineExceeded {
			c.Process.Kill()
		}
	}()
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", c.Args, err)
	}
	return result{args: c.Args[5:], stdout: out.String(), stderr: errb.String(), code: code}
}

// must runs scow and fails the test unless it exits 0.
func (m *mode) must(t *testing.T, args ...string) string {
	t.Helper()
	r := m.scow(t, args...)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	return r.stdout
}

// wantError checks an engine error: exit code, one line, and its words.
func wantError(t *testing.T, r result, code int, words ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("got exit %d, want %d\n%s", r.code, code, r)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") {
		t.Fatalf("want one 'Error: ' line on stderr, got %q", r.stderr)
	}
	for _, w := range words {
		if !strings.Contains(lines[0], w) {
			t.Errorf("error %q does not mention %q", lines[0], w)
		}
	}
}

// userDir makes a directory the mode's user owns, inside the suite's
// world-readable directory (t.TempDir's parent is private to root).
func (m *mode) userDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(suite.dir, "data-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	os.Chown(dir, m.uid, m.gid)
	return dir
}

// userFile writes a file the mode's user owns and returns its path.
func (m *mode) userFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(m.userDir(t), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(p, m.uid, m.gid)
	return p
}

// containerCount counts container records in a data root.
func containerCount(t *testing.T, root string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "containers"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(entries)
}

func osStat(p string) (os.FileInfo, error) { return os.Stat(p) }
