package oci

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CheckExecutable finds the program a container's args[0] names inside
// rootfs, as the runtime would (PATH from env, relative to cwd), so that a
// missing or non-executable command fails before anything starts: the
// error wraps ErrNotFound or ErrNotExecutable. A candidate at or under
// one of mounts is not in rootfs but in what is mounted there: the
// runtime finds it or not.
func CheckExecutable(rootfs, prog string, env []string, cwd string, mounts []specs.Mount) error {
	checkFile := func(p string) error {
		for _, m := range mounts {
			if d := path.Clean(m.Destination); p == d || strings.HasPrefix(p, d+"/") || d == "/" {
				return nil
			}
		}
		return checkRootfsFile(rootfs, p)
	}
	if strings.Contains(prog, "/") {
		if !path.IsAbs(prog) {
			prog = path.Join(cwd, prog)
		}
		return checkFile(path.Clean(prog))
	}
	pathVar := strings.TrimPrefix(DefaultEnvPath, "PATH=")
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	var denied error
	for _, dir := range strings.Split(pathVar, ":") {
		if dir == "" {
			dir = "."
		}
		if !path.IsAbs(dir) {
			dir = path.Join(cwd, dir)
		}
		err := checkFile(path.Join(dir, prog))
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrNotExecutable) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return denied
	}
	return fmt.Errorf("%q: %w in $PATH", prog, ErrNotFound)
}

func checkRootfsFile(rootfs, p string) error {
	full, err := securejoin.SecureJoin(rootfs, p)
	if err != nil {
		return fmt.Errorf("%q: %w", p, err)
	}
	st, err := os.Stat(full)
	if err != nil {
		return fmt.Errorf("%q: %w: no such file or directory", p, ErrNotFound)
	}
	if st.IsDir() {
		return fmt.Errorf("%q: %w: is a directory", p, ErrNotExecutable)
	}
	if st.Mode()&0o111 == 0 {
		return fmt.Errorf("%q: %w", p, ErrNotExecutable)
	}
	return nil
}

// Propagations are the mount propagation options.
var Propagations = []string{"shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable"}

// BindMount describes a bind mount of src at dst. The source's nosuid,
// nodev and noexec flags are carried over: inside a user namespace the
// kernel refuses a read-only remount that would drop them. extra may
// choose bind over rbind, a propagation other than rprivate, and add
// flags such as noexec.
func BindMount(src, dst string, readonly bool, extra ...string) specs.Mount {
	bind, propagation := "rbind", "rprivate"
	var opts []string
	for _, o := range extra {
		switch {
		case o == "bind" || o == "rbind":
			bind = o
		case slices.Contains(Propagations, o):
			propagation = o
		default:
			opts = append(opts, o)
		}
	}
	opts = append([]string{bind, propagation}, opts...)
	if readonly {
		opts = append(opts, "ro")
	}
	var st unix.Statfs_t
	if unix.Statfs(src, &st) == nil {
		for _, f := range []struct {
			flag int64
			opt  string
		}{{unix.ST_NOSUID, "nosuid"}, {unix.ST_NODEV, "nodev"}, {unix.ST_NOEXEC, "noexec"}} {
			if st.Flags&f.flag != 0 && !slices.Contains(opts, f.opt) {
				opts = append(opts, f.opt)
			}
		}
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts}
}
