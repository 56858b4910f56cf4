package userns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

const (
	envUID  = "_CONTAINERS_ROOTLESS_UID"
	envGID  = "_CONTAINERS_ROOTLESS_GID"
	envInNS = "_CONTAINERS_USERNS_CONFIGURED"
	// envForce makes the constructor create the namespace whatever the
	// command line looks like.
	envForce = "_SCOW_USERNS_FORCE"
)

var rootlessUID, rootlessGID = -1, -1

// forced is set in a process re-executed by Enter.
var forced bool

// joinErr is why the constructor could not join or create the namespace.
var joinErr string

func init() {
	forced = os.Getenv(envForce) != ""
	os.Unsetenv(envForce)
	if os.Getenv(envInNS) != "" && os.Geteuid() == 0 {
		// A helper started inside the namespace by a scow process.
		rootlessUID, _ = strconv.Atoi(os.Getenv(envUID))
		rootlessGID, _ = strconv.Atoi(os.Getenv(envGID))
	}
}

// Joined is told by package nsenter, whose C constructor ran before Go
// started, that this process joined the namespace of the user with host
// IDs uid and gid, one that maps only them if single.
func Joined(uid, gid int, single bool) {
	rootlessUID, rootlessGID = uid, gid
	// Children (runtime, storage helpers) and containers/storage read
	// these, as Podman's do.
	os.Setenv(envUID, strconv.Itoa(uid))
	os.Setenv(envGID, strconv.Itoa(gid))
	os.Setenv(envInNS, "done")
	if single {
		name := strconv.Itoa(uid)
		if u := os.Getenv("USER"); u != "" {
			name = u
		}
		fmt.Fprintf(os.Stderr, "WARN[0000] %s has no range in /etc/subuid or /etc/subgid: only your own UID is mapped, image files of other owners become root's and other users cannot run; to add a range: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s\n", name, name)
	}
}

// JoinFailed is told by package nsenter why its constructor could not
// join or create the namespace; Enter says it.
func JoinFailed(msg string) { joinErr = msg }

// Rootless reports whether this process acts for an unprivileged user.
func Rootless() bool { return os.Geteuid() != 0 || rootlessUID > 0 }

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

// Dir is where the namespace's locks and holder record live; the C
// constructor computes the same path.
func Dir() string {
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		return filepath.Join(x, "scow", "userns")
	}
	return fmt.Sprintf("/tmp/scow-%d/userns", UID())
}

// Enter makes sure this process runs inside the user's shared namespace
// (root needs none). The constructor has joined or created it already
// for every command line that looked as if it needed it; for one it
// misjudged, Enter re-executes the binary and asks for the namespace, and
// returns only on failure.
func Enter() error {
	if joinErr != "" {
		return errors.New(joinErr)
	}
	if os.Geteuid() == 0 {
		return nil
	}
	if forced {
		return fmt.Errorf("the user namespace in %s could not be joined", Dir())
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	return fmt.Errorf("re-execute %s: %w", exe, syscall.Exec(exe, os.Args, append(os.Environ(), envForce+"=1")))
}

// SingleMapping reports whether the namespace maps only the user's own
// ID (no subordinate range), so IDs such as the tty group do not exist.
func SingleMapping() bool { return Size() == 1 }

// Size is how many user IDs this process's namespace maps.
func Size() int {
	total := 0
	for _, m := range Mappings("uid") {
		total += m.Size
	}
	return total
}

// Mappings are this process's namespace's lines of kind ("uid" or
// "gid"): inside IDs as ContainerID, outside ones as HostID.
func Mappings(kind string) []idtools.IDMap {
	data, err := os.ReadFile("/proc/self/" + kind + "_map")
	if err != nil {
		return nil
	}
	var out []idtools.IDMap
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m idtools.IDMap
		if _, err := fmt.Sscan(l, &m.ContainerID, &m.HostID, &m.Size); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// held keeps the namespace lock of Hold open for the process's life.
var held *os.File

// Hold keeps the user's namespace alive for the life of this process, as
// the constructor does for a CLI: a monitor, started inside the namespace
// by a CLI that will exit, takes its own shared lock. Root needs none.
func Hold() error {
	if !Rootless() || held != nil {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(Dir(), "userns.lock"), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open the namespace lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return fmt.Errorf("lock the namespace: %w", err)
	}
	held = f
	return nil
}

// RegisterLive records a container's init in the namespace's live list,
// so that the holder keeps the namespace while the container runs even
// if its monitor is killed; the returned func removes the record. Root
// has no namespace to keep.
func RegisterLive(pid int, start uint64) (func(), error) {
	if !Rootless() {
		return func() {}, nil
	}
	dir := filepath.Join(Dir(), "live")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("register container: %w", err)
	}
	p := filepath.Join(dir, strconv.Itoa(pid))
	if err := os.WriteFile(p, []byte(strconv.FormatUint(start, 10)), 0o600); err != nil {
		return nil, fmt.Errorf("register container: %w", err)
	}
	return func() { os.Remove(p) }, nil
}

// KeepAcrossExec holds the namespace as Hold does, through a descriptor
// that survives exec, so that a program this process becomes (scow
// unshare's shell) keeps the namespace alive.
func KeepAcrossExec() error {
	if err := Hold(); err != nil || held == nil {
		return err
	}
	if _, err := unix.FcntlInt(held.Fd(), unix.F_SETFD, 0); err != nil {
		return fmt.Errorf("keep the namespace lock across exec: %w", err)
	}
	return nil
}
