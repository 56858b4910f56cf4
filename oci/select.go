package oci

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/ioutils"
	"golang.org/x/sys/unix"
)

// CgroupVersion returns 2 on a host with only the unified hierarchy and 1
// on a legacy or hybrid one.
func CgroupVersion() int {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return 2
	}
	return 1
}

// FindRuntime returns the path of the named runtime, or picks one:
// crun where it runs containers on this host, since it starts faster,
// runc otherwise (crun refuses hybrid cgroup v1/v2 hosts, for one).
// Whether crun works is learnt by running a container with it once; the
// verdict is kept in stateDir (a run root, which a reboot clears, as it
// may change the cgroup layout) for that build of crun.
func FindRuntime(name, stateDir string) (string, error) {
	if name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("OCI runtime %q not found: install it or pick another with --runtime", name)
		}
		return p, nil
	}
	crun, crunErr := exec.LookPath("crun")
	runc, runcErr := exec.LookPath("runc")
	switch {
	case crunErr == nil && (runcErr != nil || crunWorks(crun, stateDir)):
		return crun, nil
	case runcErr == nil:
		return runc, nil
	}
	return "", fmt.Errorf("no OCI runtime found: install runc (apt-get install runc)")
}

// crunWorks tells whether crun at path can run a container here: a
// verdict kept in stateDir for this build of it, or else one learnt by
// a probe, under a lock so that one invocation probes. A probe that could
// not finish (killed, timed out, not started) decides nothing: crun is
// not used this time, and the next invocation probes again.
func crunWorks(path, stateDir string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	key := fmt.Sprintf("%s %d %d", path, fi.Size(), fi.ModTime().UnixNano())
	verdictFile := filepath.Join(stateDir, "crun-works")
	kept := func() (works, known bool) {
		data, err := os.ReadFile(verdictFile)
		if err != nil {
			return false, false
		}
		k, v, ok := strings.Cut(strings.TrimSpace(string(data)), "\n")
		return v == "yes", ok && k == key
	}
	if works, known := kept(); known {
		return works
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return false
	}
	lock, err := os.OpenFile(verdictFile+".lock", os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return false
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return false
	}
	if works, known := kept(); known {
		return works // another invocation probed meanwhile
	}
	err = probe(path, stateDir)
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.Exited()) {
		return false
	}
	verdict := map[bool]string{true: "yes", false: "no"}[err == nil]
	ioutils.AtomicWriteFileWithOpts(verdictFile, []byte(key+"\n"+verdict+"\n"), 0o600, &ioutils.AtomicFileWriterOptions{NoSync: true})
	return err == nil
}

// probe runs `RUNTIME --version` with the runtime at path, in a
// container of the host's program and library directories, read-only,
// in the foreground: the runtime removes it when it exits. Its directory
// is named after this process: one that a killed probe left behind is
// removed by the next probe.
func probe(path, stateDir string) error {
	left, _ := filepath.Glob(filepath.Join(stateDir, "probe-*"))
	for _, d := range left {
		if pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "probe-")); err == nil && unix.Kill(pid, 0) == unix.ESRCH {
			os.RemoveAll(d)
		}
	}
	dir := filepath.Join(stateDir, "probe-"+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var mounts []specs.Mount
	for _, d := range []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", filepath.Dir(path)} {
		if _, err := os.Stat(d); err == nil && !slices.ContainsFunc(mounts, func(m specs.Mount) bool { return m.Destination == d }) {
			mounts = append(mounts, specs.Mount{Destination: d, Type: "bind", Source: d, Options: []string{"rbind", "ro"}})
		}
	}
	spec, err := New(WithRootfs(filepath.Join(dir, "rootfs"), true), WithArgs([]string{path, "--version"}), WithMounts(mounts))
	if err != nil {
		return err
	}
	if err := os.Mkdir(spec.Root.Path, 0o755); err != nil {
		return err
	}
	bundle := filepath.Join(dir, "bundle")
	if err := WriteBundle(bundle, spec); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--root", filepath.Join(dir, "state"), "run", "--bundle", bundle, "scow-"+filepath.Base(dir))
	// A child of crun's that keeps its output open ends nothing.
	cmd.WaitDelay = time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // timed out: no verdict
		}
		return fmt.Errorf("%s: %w: %s", path, err, out)
	}
	return nil
}

// RuntimeName is the base name of a runtime path, e.g. "runc".
func RuntimeName(path string) string { return filepath.Base(path) }
