package containers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/record"
)

// TopHeader are the columns of Top, as `docker top` (ps -ef) shows them.
var TopHeader = []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc.
const clockTicks = 100

// Top lists the processes of a running container, one row of TopHeader
// columns each, with host PIDs and the container's user names.
func (e *Service) Top(ctx context.Context, ref string) ([][]string, error) {
	id, st, err := e.running(ctx, ref)
	if err != nil {
		return nil, err
	}
	pidns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", st.Pid))
	if err != nil || !record.Alive(st.Pid, st.PidStart) {
		return nil, fmt.Errorf("container %s: its init is gone", ref)
	}
	name := e.containerUsers(id)
	boot := bootTime()
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var rows [][]string
	for _, p := range procs {
		if ns, err := os.Readlink(p + "/ns/pid"); err != nil || ns != pidns {
			continue
		}
		row, err := topRow(p, name, boot)
		if err == nil {
			rows = append(rows, row)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, _ := strconv.Atoi(rows[i][1])
		b, _ := strconv.Atoi(rows[j][1])
		return a < b
	})
	return rows, nil
}

// topRow reads one process's ps -ef columns.
func topRow(p string, name func(uid int) string, boot time.Time) ([]string, error) {
	data, err := os.ReadFile(p + "/stat")
	if err != nil {
		return nil, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("malformed %s/stat", p)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" {
		return nil, fmt.Errorf("%s exited", p)
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	start, _ := strconv.ParseUint(f[19], 10, 64)
	cpu := time.Duration(utime+stime) * time.Second / clockTicks
	started := boot.Add(time.Duration(start) * time.Second / clockTicks)
	c := 0
	if age := time.Since(started); age > 0 {
		c = int(100 * cpu / age)
	}
	uid := -1
	if status, err := os.ReadFile(p + "/status"); err == nil {
		for _, l := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(l, "Uid:"); ok {
				uid, _ = strconv.Atoi(strings.Fields(v)[0])
			}
		}
	}
	cmdline, _ := os.ReadFile(p + "/cmdline")
	cmd := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	if cmd == "" {
		cmd = "[" + s[strings.IndexByte(s, '(')+1:i] + "]"
	}
	secs := int(cpu.Seconds())
	return []string{
		name(uid), filepath.Base(p), f[1], strconv.Itoa(c), started.Format("15:04"), "?",
		fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60), cmd,
	}, nil
}

// containerUsers names the users of the container's processes: a UID
// as scow sees it, taken into the container's user namespace, and named
// by the container's /etc/passwd.
func (e *Service) containerUsers(id string) func(uid int) string {
	names := map[int]string{}
	var mapping []specs.LinuxIDMapping
	name := func(uid int) string {
		uid = fromNamespace(mapping, uid)
		if n, ok := names[uid]; ok {
			return n
		}
		return strconv.Itoa(uid)
	}
	data, err := os.ReadFile(filepath.Join(e.Rec.Dir(id), "bundle", "config.json"))
	if err != nil {
		return name
	}
	var spec specs.Spec
	if json.Unmarshal(data, &spec) != nil || spec.Root == nil {
		return name
	}
	if spec.Linux != nil {
		mapping = spec.Linux.UIDMappings
	}
	passwd, err := securejoin.SecureJoin(spec.Root.Path, "/etc/passwd")
	if err != nil {
		return name
	}
	users, _ := user.ParsePasswdFile(passwd)
	for _, u := range users {
		if _, dup := names[u.Uid]; !dup {
			names[u.Uid] = u.Name
		}
	}
	return name
}

// bootTime reads when the host booted, the origin of process start times.
func bootTime() time.Time {
	data, err := os.ReadFile("/proc/stat")
	if err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "btime "); ok {
				if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
					return time.Unix(n, 0)
				}
			}
		}
	}
	return time.Now()
}

// Namespaces are the namespaces of a container's process, as ps --ns
// shows them: each kind's inode number, "" when it cannot be read.
type Namespaces struct {
	Cgroup, IPC, MNT, NET, PIDNS, User, UTS string
}

// ProcessNamespaces reads the namespaces of process pid.
func ProcessNamespaces(pid int) Namespaces {
	read := func(kind string) string {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
		if err != nil {
			return ""
		}
		// "net:[4026531992]": the number.
		if _, n, ok := strings.Cut(link, "["); ok {
			return strings.TrimSuffix(n, "]")
		}
		return link
	}
	if pid <= 0 {
		return Namespaces{}
	}
	return Namespaces{Cgroup: read("cgroup"), IPC: read("ipc"), MNT: read("mnt"), NET: read("net"),
		PIDNS: read("pid"), User: read("user"), UTS: read("uts")}
}
