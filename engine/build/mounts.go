//go:build !scow_light

package build

import (
	"archive/tar"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"go.podman.io/storage/pkg/archive"
	"golang.org/x/sys/unix"
)

// runMounts are what a RUN's --mount flags give its container.
type runMounts struct {
	volumes, tmpfs, env []string
	// content is the digest of what bind mounts of the context show, for
	// the step's cache key.
	content string
	// targets are the mount points, which the runtime makes in the
	// image where they are missing: they go again before the commit.
	targets  []string
	releases []func()
}

func (r *runMounts) release() {
	for i := len(r.releases) - 1; i >= 0; i-- {
		r.releases[i]()
	}
}

// mounts reads a RUN's --mount flags of stage stage.
func (b *builder) mounts(ctx context.Context, stage int, c *instructions.RunCommand) (*runMounts, error) {
	bad := func(format string, a ...any) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	r := &runMounts{}
	ok := false
	defer func() {
		if !ok {
			r.release()
		}
	}()
	sum := sha256.New()
	sshMounts := 0
	for _, m := range instructions.GetMounts(c) {
		target := m.Target
		switch m.Type {
		case instructions.MountTypeBind:
			src, release, err := b.copySource(ctx, stage, m.From)
			if err != nil {
				return nil, err
			}
			r.releases = append(r.releases, release)
			full, err := securejoin.SecureJoin(src.root, m.Source)
			if err != nil {
				return nil, err
			}
			st, err := os.Stat(full)
			if err != nil {
				return nil, bad("RUN --mount=type=bind,source=%s: %v", m.Source, err)
			}
			if src.context {
				// What the step sees of the context is part of its key.
				p := &packer{tw: tar.NewWriter(io.Discard), sum: sum, mode: -1}
				if st.IsDir() {
					err = packTree(p, src, "/"+m.Source, full, "/")
				} else {
					err = packFile(p, full, st, "/f")
				}
				if err != nil {
					return nil, err
				}
			}
			mode := "ro"
			if !m.ReadOnly {
				// Writes go to a copy and are lost, as in BuildKit.
				// Each mount its own copy: stages run at the same time.
				dir, err := os.MkdirTemp(b.tmp, "bind-")
				if err != nil {
					return nil, err
				}
				cp := filepath.Join(dir, "src")
				r.releases = append(r.releases, func() { os.RemoveAll(dir) })
				if err := copyTree(full, cp, st.IsDir()); err != nil {
					return nil, fmt.Errorf("RUN --mount=type=bind,rw: %w", err)
				}
				full, mode = cp, "rw"
			}
			r.volumes = append(r.volumes, full+":"+target+":"+mode)
		case instructions.MountTypeCache:
			if m.From != "" {
				return nil, bad("RUN --mount=type=cache,from=: not supported yet")
			}
			id := m.CacheID
			if id == "" {
				id = target
			}
			dir, err := b.cacheDir(id, m)
			if err != nil {
				return nil, err
			}
			mode := "rw"
			if m.ReadOnly {
				mode = "ro"
			}
			if m.CacheSharing == instructions.MountSharingLocked {
				unlock, err := record.LockDir(dir, unix.LOCK_EX)
				if err != nil {
					return nil, err
				}
				r.releases = append(r.releases, unlock)
			}
			r.volumes = append(r.volumes, dir+":"+target+":"+mode)
		case instructions.MountTypeTmpfs:
			opt := target
			if m.SizeLimit > 0 {
				opt += fmt.Sprintf(":size=%d", m.SizeLimit)
			}
			r.tmpfs = append(r.tmpfs, opt)
		case instructions.MountTypeSecret:
			id := m.CacheID
			if id == "" {
				id = path.Base(m.Source)
			}
			if id == "" || id == "." || id == "/" {
				id = path.Base(target)
			}
			data, found, err := b.secret(id)
			if err != nil {
				return nil, err
			}
			if !found {
				if m.Required {
					return nil, bad("RUN --mount=type=secret,id=%s: no --secret id=%s given", id, id)
				}
				continue
			}
			if m.Env != nil {
				name := *m.Env
				if name == "" {
					name = id
				}
				r.env = append(r.env, name+"="+string(data))
				if target == "" {
					continue
				}
			}
			if target == "" {
				target = "/run/secrets/" + id
			}
			mode := os.FileMode(0o400)
			if m.Mode != nil {
				mode = os.FileMode(*m.Mode)
			}
			// Each mount its own file: stages run at the same time.
			tf, err := os.CreateTemp(b.tmp, "secret-")
			if err != nil {
				return nil, err
			}
			f := tf.Name()
			r.releases = append(r.releases, func() { os.Remove(f) })
			_, err = tf.Write(data)
			if err = errors.Join(err, tf.Close()); err != nil {
				return nil, err
			}
			if err := os.Chmod(f, mode); err != nil {
				return nil, err
			}
			if err := os.Chown(f, int(deref(m.UID)), int(deref(m.GID))); err != nil {
				return nil, fmt.Errorf("secret %s: %w", id, err)
			}
			r.volumes = append(r.volumes, f+":"+target+":ro")
		case instructions.MountTypeSSH:
			id := cmp.Or(m.CacheID, "default")
			sock, ok := b.o.SSH[id]
			if !ok {
				if m.Required {
					return nil, bad("RUN --mount=type=ssh,id=%s: no --ssh %s given", id, id)
				}
				continue
			}
			if target == "" {
				target = fmt.Sprintf("/run/buildkit/ssh_agent.%d", sshMounts)
			}
			sshMounts++
			r.volumes = append(r.volumes, sock+":"+target)
			if !slices.ContainsFunc(r.env, func(kv string) bool { return strings.HasPrefix(kv, "SSH_AUTH_SOCK=") }) {
				r.env = append(r.env, "SSH_AUTH_SOCK="+target)
			}
		default:
			return nil, bad("RUN --mount=type=%s: not supported", m.Type)
		}
		r.targets = append(r.targets, target)
	}
	r.content = hex.EncodeToString(sum.Sum(nil))
	ok = true
	return r, nil
}

func deref(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// cacheDir is the directory of cache mount id, kept between builds in
// the store, made with the mount's owner and mode the first time.
func (b *builder) cacheDir(id string, m *instructions.Mount) (string, error) {
	h := sha256.Sum256([]byte(id))
	dir := filepath.Join(b.cacheRoot(), hex.EncodeToString(h[:16]))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".new-")
	if err != nil {
		return "", err
	}
	mode := os.FileMode(0o755)
	if m.Mode != nil {
		mode = os.FileMode(*m.Mode)
	}
	if err := errors.Join(os.Chmod(tmp, mode), os.Chown(tmp, int(deref(m.UID)), int(deref(m.GID)))); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("cache mount %s: %w", id, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Remove(tmp)
		if _, err := os.Stat(dir); err == nil {
			return dir, nil // made meanwhile by another build
		}
		return "", err
	}
	return dir, nil
}

// secret is the value of --secret id: a file's contents or a variable's.
func (b *builder) secret(id string) ([]byte, bool, error) {
	for _, s := range b.o.Secrets {
		if s.ID != id {
			continue
		}
		if s.Env != "" {
			v, ok := os.LookupEnv(s.Env)
			if !ok {
				return nil, false, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--secret id=%s,env=%s: no such variable", id, s.Env))
			}
			return []byte(v), true, nil
		}
		data, err := os.ReadFile(s.Source)
		if err != nil {
			return nil, false, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--secret id=%s: %w", id, err))
		}
		return data, true, nil
	}
	return nil, false, nil
}

// copyTree copies the file or tree at src to dst.
func copyTree(src, dst string, dir bool) error {
	if !dir {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	}
	return archive.NewDefaultArchiver().CopyWithTar(src, dst)
}

// removeStubs removes from the container's root filesystem at root the
// mount points the runtime made for targets: empty files and
// directories that the image at parent (its root filesystem; "" for none)
// did not have, and their parents that it did not have either.
func removeStubs(root, parent string, targets []string) {
	existed := func(p string) bool {
		if parent == "" {
			return false
		}
		full, err := securejoin.SecureJoin(parent, p)
		if err != nil {
			return true
		}
		_, err = os.Lstat(full)
		return err == nil
	}
	for _, t := range targets {
		for p := path.Clean("/" + t); p != "/" && !existed(p); p = path.Dir(p) {
			full, err := securejoin.SecureJoin(root, p)
			if err != nil {
				break
			}
			if st, err := os.Lstat(full); err != nil || st.Mode().IsRegular() && st.Size() > 0 {
				break
			}
			if os.Remove(full) != nil { // a directory with something in it stays
				break
			}
		}
	}
}

// Secret is a --secret: id=ID with src=FILE or env=VARIABLE.
type Secret struct {
	ID, Source, Env string
}

// ParseSSH reads --ssh: default (the agent of $SSH_AUTH_SOCK), or
// ID=SOCKET; it returns the ID and the agent's socket.
func ParseSSH(v string) (string, string, error) {
	id, sock, given := strings.Cut(v, "=")
	if !given {
		if sock = os.Getenv("SSH_AUTH_SOCK"); sock == "" {
			return "", "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--ssh %s: SSH_AUTH_SOCK is not set: start an agent or give %s=SOCKET", v, v))
		}
	}
	st, err := os.Stat(sock)
	if err != nil || st.Mode()&os.ModeSocket == 0 {
		return "", "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--ssh %s: %s is no agent's socket (keys go to an agent: ssh-add)", v, sock))
	}
	abs, err := filepath.Abs(sock)
	return id, abs, err
}

// ParseSecret reads --secret id=ID,src=PATH|env=VAR (type=file or env
// too); a bare id=ID reads the variable ID, else the file ID.
func ParseSecret(v string) (Secret, error) {
	var s Secret
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "id":
			s.ID = val
		case "src", "source":
			s.Source = val
		case "env":
			s.Env = val
		case "type":
			if val != "file" && val != "env" {
				return s, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--secret %s: type is file or env", v))
			}
		default:
			return s, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--secret %s: want id=ID,src=FILE or id=ID,env=VARIABLE", v))
		}
	}
	switch {
	case s.ID == "" && s.Source != "":
		s.ID = filepath.Base(s.Source)
	case s.ID == "" && s.Env != "":
		s.ID = s.Env
	case s.ID == "":
		return s, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--secret %s: give id=", v))
	}
	if s.Source == "" && s.Env == "" {
		if _, ok := os.LookupEnv(s.ID); ok {
			s.Env = s.ID
		} else {
			s.Source = s.ID
		}
	}
	return s, nil
}
