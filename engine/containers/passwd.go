package containers

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// The templates of --passwd-entry and --group-entry when none is given.
const (
	defaultPasswdEntry = "$USERNAME:*:$UID:$GID:$NAME:$HOME:/bin/sh"
	defaultGroupEntry  = "$GROUPNAME:x:$GID:$USERLIST"
)

// accountLines are the lines --passwd and --hostuser add to a
// container's /etc/passwd and /etc/group.
type accountLines struct{ passwd, group []string }

// hasID tells whether an /etc/passwd or /etc/group file holds an entry
// of id (field 3) or of name (field 1).
func hasID(file []byte, id uint32, name string) bool {
	s := bufio.NewScanner(bytes.NewReader(file))
	for s.Scan() {
		f := strings.Split(s.Text(), ":")
		if len(f) >= 3 && (f[2] == strconv.FormatUint(uint64(id), 10) || name != "" && f[0] == name) {
			return true
		}
	}
	return false
}

// expand fills a --passwd-entry or --group-entry template.
func expand(tmpl string, vars map[string]string) string {
	return os.Expand(tmpl, func(k string) string { return vars[k] })
}

// accounts works out what a container's /etc/passwd and /etc/group lack:
// the user it runs as when its ID has no entry (unless noPasswd), and
// each host user of hostUsers (found by lookup).
func accounts(passwd, group []byte, u oci.User, cfg *record.Config, lookup func(string) (*user.User, error)) (accountLines, error) {
	var out accountLines
	add := func(name, groupName string, uid, gid uint32, gecos, home string) {
		if !hasID(passwd, uid, name) && !hasID([]byte(strings.Join(out.passwd, "\n")), uid, name) {
			vars := map[string]string{"USERNAME": name, "UID": fmt.Sprint(uid), "GID": fmt.Sprint(gid), "NAME": gecos, "HOME": home}
			out.passwd = append(out.passwd, expand(cmp.Or(cfg.PasswdEntry, defaultPasswdEntry), vars))
		}
		if !hasID(group, gid, "") && !hasID([]byte(strings.Join(out.group, "\n")), gid, "") {
			vars := map[string]string{"GROUPNAME": groupName, "GID": fmt.Sprint(gid), "USERLIST": name}
			out.group = append(out.group, expand(cmp.Or(cfg.GroupEntry, defaultGroupEntry), vars))
		}
	}
	for _, h := range cfg.HostUsers {
		hu, err := lookup(h)
		if err != nil {
			return out, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--hostuser %s: %w", h, err))
		}
		uid, _ := strconv.ParseUint(hu.Uid, 10, 32)
		gid, _ := strconv.ParseUint(hu.Gid, 10, 32)
		add(hu.Username, hu.Username, uint32(uid), uint32(gid), hu.Name, hu.HomeDir)
	}
	if !cfg.NoPasswd && u.UID != 0 && !hasID(passwd, u.UID, "") {
		// Named as --user names them: USER[:GROUP].
		name, groupName, _ := strings.Cut(cfg.User, ":")
		add(name, cmp.Or(groupName, name), u.UID, u.GID, "container user", u.Home)
	}
	return out, nil
}

// readAccountFile reads the image's /etc/passwd or /etc/group: a
// regular file of at most a MiB (nothing when there is none), never a
// FIFO or device an image could plant there.
func readAccountFile(rootfs, p string) ([]byte, error) {
	full, err := securejoin.SecureJoin(rootfs, p)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(full, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s of the image: %w", p, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > 1<<20 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s of the image is not a regular file of at most 1 MiB", p))
	}
	return io.ReadAll(f)
}

// appendAccounts appends lines to /etc/name in rootfs, whose content is
// base, resolved in rootfs all the way down (a symlink cannot lead out).
// errNotWritable says the file cannot be written: a --rootfs directory
// not the user's, say.
func appendAccounts(rootfs, name string, base, lines []byte) error {
	handle, err := securejoin.OpenInRoot(rootfs, "/etc/"+name)
	if err != nil {
		return fmt.Errorf("add to /etc/%s of the container: %w", name, err)
	}
	f, err := securejoin.Reopen(handle, unix.O_WRONLY|unix.O_APPEND|unix.O_NONBLOCK|unix.O_CLOEXEC)
	handle.Close()
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS) {
		return errNotWritable
	}
	if err != nil {
		return fmt.Errorf("add to /etc/%s of the container: %w", name, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("/etc/%s of the container is not a regular file", name))
	}
	if !bytes.HasSuffix(base, []byte("\n")) {
		lines = append([]byte("\n"), lines...)
	}
	_, err = f.Write(lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("add to /etc/%s of the container: %w", name, err)
	}
	return nil
}

// errNotWritable: an account file of the root filesystem cannot take
// more lines.
var errNotWritable = errors.New("not writable")

// accountFiles adds the lines accounts makes to the container's
// /etc/passwd and /etc/group: appended to its root filesystem's, or, when
// that is read-only, not writable or has none, written beside its
// records, whose names it returns for bind mounts.
func (e *Service) accountFiles(cfg *record.Config, rootfs string, u oci.User) ([]string, error) {
	if (u.UID == 0 || cfg.NoPasswd) && len(cfg.HostUsers) == 0 {
		return nil, nil // nothing to add
	}
	// The user's own mounts of these files, or of /etc, win.
	for _, m := range cfg.Volumes {
		if d := filepath.Clean(m.Destination); d == "/etc" || d == "/etc/passwd" || d == "/etc/group" {
			return nil, nil
		}
	}
	passwd, err := readAccountFile(rootfs, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	group, err := readAccountFile(rootfs, "/etc/group")
	if err != nil {
		return nil, err
	}
	lines, err := accounts(passwd, group, u, cfg, user.Lookup)
	if err != nil {
		return nil, err
	}
	var written []string
	for _, f := range []struct {
		name  string
		base  []byte
		lines []string
	}{{"passwd", passwd, lines.passwd}, {"group", group, lines.group}} {
		if len(f.lines) == 0 {
			continue
		}
		add := []byte(strings.Join(f.lines, "\n") + "\n")
		if len(f.base) > 0 && !cfg.ReadOnly {
			// As Podman: appended to the container's own file, which
			// stays a file of its root filesystem that useradd and
			// the like may replace.
			err := appendAccounts(rootfs, f.name, f.base, add)
			if err == nil {
				continue
			}
			if !errors.Is(err, errNotWritable) {
				return nil, err
			}
		}
		data := append(bytes.TrimRight(f.base, "\n"), '\n')
		if len(f.base) == 0 {
			data = nil
		}
		data = append(data, add...)
		p := filepath.Join(e.Rec.Dir(cfg.ID), f.name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, fmt.Errorf("write /etc/%s of the container: %w", f.name, err)
		}
		written = append(written, f.name)
	}
	return written, nil
}
