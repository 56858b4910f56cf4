package userns

/*
extern int scow_userns_joined;
extern int scow_userns_lockfd;
extern int scow_rootless_uid;
extern int scow_rootless_gid;
extern char scow_userns_error[256];
*/
import "C"

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	// HolderArg is argv[1] of the re-executed namespace holder.
	HolderArg = "__userns-holder"

	envLockFD = "_SCOW_USERNS_LOCKFD"
	envUID    = "_CONTAINERS_ROOTLESS_UID"
	envGID    = "_CONTAINERS_ROOTLESS_GID"
	envInNS   = "_CONTAINERS_USERNS_CONFIGURED"
)

// ErrNoSubIDs is wrapped when the user has no /etc/subuid or /etc/subgid
// range and a single-ID mapping is used instead.
var ErrNoSubIDs = errors.New("no subordinate ID range")

var rootlessUID, rootlessGID = -1, -1

func init() {
	if C.scow_userns_joined == 1 {
		rootlessUID, rootlessGID = int(C.scow_rootless_uid), int(C.scow_rootless_gid)
		// Children (runtime, helpers) and containers/storage read these.
		os.Setenv(envUID, strconv.Itoa(rootlessUID))
		os.Setenv(envGID, strconv.Itoa(rootlessGID))
		os.Setenv(envInNS, "done")
		os.Unsetenv(envLockFD)
		return
	}
	if os.Getenv(envInNS) != "" && os.Geteuid() == 0 {
		// A helper started inside the namespace by a scow process.
		rootlessUID, _ = strconv.Atoi(os.Getenv(envUID))
		rootlessGID, _ = strconv.Atoi(os.Getenv(envGID))
	}
}

// Rootless reports whether this process acts for an unprivileged user.
func Rootless() bool { return os.Geteuid() != 0 || rootlessUID > 0 }

// InNamespace reports whether this process runs inside the user's shared
// namespace (or needs none, as real root).
func InNamespace() bool { return os.Geteuid() == 0 }

// UID returns the invoking user's real UID on the host.
func UID() int {
	if rootlessUID >= 0 {
		return rootlessUID
	}
	return os.Geteuid()
}

// GID returns the invoking user's real GID on the host.
func GID() int {
	if rootlessGID >= 0 {
		return rootlessGID
	}
	return os.Getegid()
}

// Dir is where the namespace's lock and holder record live; the C
// constructor computes the same path.
func Dir() string {
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		return filepath.Join(x, "scow", "userns")
	}
	return fmt.Sprintf("/tmp/scow-%d/userns", UID())
}

// Enter makes sure this process runs inside the user's shared user and
// mount namespace. Real root and a process that joined in the constructor
// return at once. Otherwise it creates the namespace (or finds one created
// meanwhile) and re-executes the binary, whose constructor then joins: Enter
// returns only on failure.
func Enter() error {
	if InNamespace() {
		return nil
	}
	if msg := C.GoString(&C.scow_userns_error[0]); msg != "" {
		return errors.New(msg)
	}
	if os.Getenv(envLockFD) != "" {
		return fmt.Errorf("the user namespace was created but could not be joined")
	}
	dir := Dir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	// The shared lock is kept across the re-exec, so the holder cannot go
	// away between creation and joining.
	lock, err := os.OpenFile(filepath.Join(dir, "userns.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open namespace lock: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_SH); err != nil {
		return fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	create, err := os.OpenFile(filepath.Join(dir, "create.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open namespace lock: %w", err)
	}
	if err := unix.Flock(int(create.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", create.Name(), err)
	}
	if !holderAlive(dir) {
		if err := startHolder(dir); err != nil {
			return err
		}
	}
	create.Close()

	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	fd := int(lock.Fd())
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		return fmt.Errorf("keep namespace lock across exec: %w", err)
	}
	env := append(os.Environ(), envLockFD+"="+strconv.Itoa(fd))
	return fmt.Errorf("re-execute %s: %w", exe, syscall.Exec(exe, os.Args, env))
}

// holderAlive tells whether the recorded holder still owns its namespaces.
func holderAlive(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "holder.pid"))
	if err != nil {
		return false
	}
	var pid int
	var userIno, mntIno uint64
	if _, err := fmt.Sscanf(string(data), "%d %d %d", &pid, &userIno, &mntIno); err != nil {
		return false
	}
	u, m, err := nsInodes(pid)
	return err == nil && u == userIno && m == mntIno
}

func nsInodes(pid int) (user, mnt uint64, err error) {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/user", pid), &st); err != nil {
		return 0, 0, err
	}
	user = st.Ino
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/mnt", pid), &st); err != nil {
		return 0, 0, err
	}
	return user, st.Ino, nil
}

// startHolder starts the holder in new user and mount namespaces, maps
// the user's subordinate IDs into it and records it in holder.pid.
func startHolder(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	defer w.Close()
	cmd := exec.Command(exe, HolderArg, dir)
	cmd.ExtraFiles = []*os.File{r}
	cmd.Env = append(os.Environ(), "_SCOW_USERNS_HOLDER=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		Setsid:     true,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("create user namespace: %w", err)
	}
	pid := cmd.Process.Pid
	fail := func(err error) error {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	if err := writeMappings(pid); err != nil {
		return fail(err)
	}
	u, m, err := nsInodes(pid)
	if err != nil {
		return fail(fmt.Errorf("inspect holder namespaces: %w", err))
	}
	rec := fmt.Sprintf("%d %d %d\n", pid, u, m)
	if err := writeFileAtomic(filepath.Join(dir, "holder.pid"), []byte(rec)); err != nil {
		return fail(err)
	}
	// Let the holder go on to wait for the last user; it is not our child
	// to wait for after we exec.
	if _, err := w.Write([]byte{1}); err != nil {
		return fail(fmt.Errorf("release holder: %w", err))
	}
	cmd.Process.Release()
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// IDRange is one line of /etc/subuid or /etc/subgid.
type IDRange struct {
	Start, Length int
}

// SubIDs returns the ranges /etc/subuid (or /etc/subgid) grants to the
// user with the given name or numeric ID.
func SubIDs(file, name string, id int) ([]IDRange, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseSubIDs(bufio.NewScanner(f), name, id), nil
}

func parseSubIDs(s *bufio.Scanner, name string, id int) []IDRange {
	var out []IDRange
	for s.Scan() {
		f := strings.Split(strings.TrimSpace(s.Text()), ":")
		if len(f) != 3 || (f[0] != name && f[0] != strconv.Itoa(id)) {
			continue
		}
		start, err1 := strconv.Atoi(f[1])
		n, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || n <= 0 {
			continue
		}
		out = append(out, IDRange{start, n})
	}
	return out
}

// writeMappings maps the user to 0 and the subordinate ranges to 1.. in
// the namespace of pid, through the setuid newuidmap/newgidmap helpers;
// with no range it falls back to a single-ID mapping and warns.
func writeMappings(pid int) error {
	uid, gid := os.Getuid(), os.Getgid()
	name := strconv.Itoa(uid)
	if u, err := lookupUserName(uid); err == nil {
		name = u
	}
	subU, err := SubIDs("/etc/subuid", name, uid)
	if err != nil {
		return fmt.Errorf("read /etc/subuid: %w", err)
	}
	subG, err := SubIDs("/etc/subgid", name, uid)
	if err != nil {
		return fmt.Errorf("read /etc/subgid: %w", err)
	}
	if len(subU) == 0 || len(subG) == 0 {
		fmt.Fprintf(os.Stderr, "WARN[0000] %s has no range in /etc/subuid or /etc/subgid: only your own UID is mapped, image files of other owners become root's and other users cannot run; to add a range: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s\n", name, name)
		return writeSingleMapping(pid, uid, gid)
	}
	if err := runIDMap("newuidmap", pid, uid, subU); err != nil {
		return err
	}
	return runIDMap("newgidmap", pid, gid, subG)
}

func runIDMap(tool string, pid, id int, ranges []IDRange) error {
	path, err := exec.LookPath(tool)
	if err != nil {
		return fmt.Errorf("%s not found: install the uidmap package (apt-get install uidmap)", tool)
	}
	args := []string{strconv.Itoa(pid), "0", strconv.Itoa(id), "1"}
	next := 1
	for _, r := range ranges {
		args = append(args, strconv.Itoa(next), strconv.Itoa(r.Start), strconv.Itoa(r.Length))
		next += r.Length
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %s: %w", tool, strings.Join(args, " "), strings.TrimSpace(string(out)), err)
	}
	return nil
}

func writeSingleMapping(pid, uid, gid int) error {
	p := fmt.Sprintf("/proc/%d/", pid)
	if err := os.WriteFile(p+"uid_map", fmt.Appendf(nil, "0 %d 1\n", uid), 0); err != nil {
		return fmt.Errorf("write uid_map: %w", err)
	}
	if err := os.WriteFile(p+"setgroups", []byte("deny"), 0); err != nil {
		return fmt.Errorf("write setgroups: %w", err)
	}
	if err := os.WriteFile(p+"gid_map", fmt.Appendf(nil, "0 %d 1\n", gid), 0); err != nil {
		return fmt.Errorf("write gid_map: %w", err)
	}
	return nil
}

// lookupUserName reads /etc/passwd directly: os/user would pull in NSS
// through cgo for no gain here.
func lookupUserName(uid int) (string, error) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		f := strings.Split(s.Text(), ":")
		if len(f) > 2 && f[2] == strconv.Itoa(uid) {
			return f[0], nil
		}
	}
	return "", fmt.Errorf("uid %d not in /etc/passwd", uid)
}

// Hold is the holder's main: it waits until the creator has mapped and
// recorded it, then until no scow process holds the namespace any more,
// and removes its record before it exits (and the namespaces with it).
func Hold(dir string) error {
	sync := os.NewFile(3, "sync")
	var b [1]byte
	if n, _ := sync.Read(b[:]); n != 1 {
		return errors.New("creator went away before the namespace was ready")
	}
	sync.Close()
	lock, err := os.OpenFile(filepath.Join(dir, "userns.lock"), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	// Nobody is inside any more, and new joiners wait on the lock until we
	// are gone; they find no record and create a fresh namespace.
	rec := filepath.Join(dir, "holder.pid")
	if data, err := os.ReadFile(rec); err == nil && strings.HasPrefix(string(data), strconv.Itoa(os.Getpid())+" ") {
		os.Remove(rec)
	}
	return nil
}

// SingleMapping reports whether the namespace maps only the user's own
// ID (no subordinate range), so IDs such as the tty group do not exist.
func SingleMapping() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1 {
		return false
	}
	f := strings.Fields(lines[0])
	return len(f) == 3 && f[2] == "1"
}
