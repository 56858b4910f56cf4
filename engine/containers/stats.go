package containers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/oci"
)

// Stats is what a running container uses, read at Time. A field the
// host cannot say (a rootless container has no cgroup of its own here)
// has its Has flag unset.
type Stats struct {
	ID, Name  string
	Time      time.Time
	StartedAt time.Time
	// CPU is the CPU time its processes have used.
	CPU    time.Duration
	HasCPU bool
	// MemUsage and MemLimit are bytes; the limit is the host's memory
	// when none is set.
	MemUsage, MemLimit uint64
	HasMem             bool
	NetRx, NetTx       uint64
	BlockRead          uint64
	BlockWrite         uint64
	HasBlock           bool
	PIDs               uint64
}

// Stats reads what running container ref uses: from its cgroup as root,
// from its processes and network namespace where it has no cgroup. A
// container that is not running is an error, or with stopped a reading
// of nothing used, as Podman's stats --all shows it.
func (e *Service) Stats(ctx context.Context, ref string, stopped bool) (*Stats, error) {
	id, st, err := e.running(ctx, ref)
	if err != nil && stopped && errors.Is(err, errdefs.ErrInvalid) {
		if id, err = e.Lookup(ref); err != nil {
			return nil, err
		}
		cfg, err := e.Rec.LoadConfig(id)
		if err != nil {
			return nil, err
		}
		return &Stats{ID: id, Name: cfg.Name, Time: time.Now(), HasCPU: true, HasMem: true, HasBlock: true}, nil
	}
	if err != nil {
		return nil, err
	}
	cfg, err := e.Rec.LoadConfig(id)
	if err != nil {
		return nil, err
	}
	s := &Stats{ID: id, Name: cfg.Name, Time: time.Now(), StartedAt: st.StartedAt}
	s.NetRx, s.NetTx = netDev(st.Pid)
	if path := e.CgroupPath(cfg); path != "" {
		readCgroup(s, path)
	}
	if !s.HasCPU || s.PIDs == 0 {
		// No cgroup to ask: the processes of its PID namespace.
		pids, cpu := namespaceProcs(st.Pid)
		if s.PIDs == 0 {
			s.PIDs = pids
		}
		if !s.HasCPU {
			s.CPU, s.HasCPU = cpu, true
		}
	}
	return s, nil
}

// readCgroup fills s from the cgroup at path: v1's controllers, or v2's
// unified files.
func readCgroup(s *Stats, path string) {
	root := "/sys/fs/cgroup"
	v2 := oci.CgroupVersion() == 2
	num := func(file string) (uint64, bool) {
		data, err := os.ReadFile(file)
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
		return n, err == nil
	}
	if v2 {
		dir := filepath.Join(root, path)
		if usec, ok := keyed(filepath.Join(dir, "cpu.stat"), "usage_usec"); ok {
			s.CPU, s.HasCPU = time.Duration(usec)*time.Microsecond, true
		}
		s.MemUsage, s.HasMem = num(filepath.Join(dir, "memory.current"))
		s.MemLimit, _ = num(filepath.Join(dir, "memory.max"))
		s.PIDs, _ = num(filepath.Join(dir, "pids.current"))
		s.BlockRead, s.BlockWrite, s.HasBlock = ioStat(filepath.Join(dir, "io.stat"))
	} else {
		if ns, ok := num(filepath.Join(root, "cpuacct", path, "cpuacct.usage")); ok {
			s.CPU, s.HasCPU = time.Duration(ns), true
		}
		s.MemUsage, s.HasMem = num(filepath.Join(root, "memory", path, "memory.usage_in_bytes"))
		s.MemLimit, _ = num(filepath.Join(root, "memory", path, "memory.limit_in_bytes"))
		s.PIDs, _ = num(filepath.Join(root, "pids", path, "pids.current"))
		s.BlockRead, s.BlockWrite, s.HasBlock = blkioBytes(filepath.Join(root, "blkio", path, "blkio.throttle.io_service_bytes"))
	}
	if total := memTotal(); s.MemLimit == 0 || s.MemLimit > total {
		s.MemLimit = total
	}
}

// keyed reads the value of key in a "key value" file.
func keyed(file, key string) (uint64, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, key+" "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// ioStat sums v2's io.stat rbytes and wbytes over the devices.
func ioStat(file string) (read, write uint64, ok bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, false
	}
	for _, f := range strings.Fields(string(data)) {
		k, v, _ := strings.Cut(f, "=")
		n, _ := strconv.ParseUint(v, 10, 64)
		switch k {
		case "rbytes":
			read += n
		case "wbytes":
			write += n
		}
	}
	return read, write, true
}

// blkioBytes sums v1's "MAJ:MIN Read|Write N" lines.
func blkioBytes(file string) (read, write uint64, ok bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, false
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		n, _ := strconv.ParseUint(f[2], 10, 64)
		switch f[1] {
		case "Read":
			read += n
		case "Write":
			write += n
		}
	}
	return read, write, true
}

// memTotal is the host's memory in bytes.
func memTotal() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) >= 2 && fs[0] == "MemTotal:" {
			kb, _ := strconv.ParseUint(fs[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// netDev sums the bytes received and sent by the interfaces, but lo, of
// the network namespace process pid is in.
func netDev(pid int) (rx, tx uint64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(f[0], 10, 64)
		t, _ := strconv.ParseUint(f[8], 10, 64)
		rx, tx = rx+r, tx+t
	}
	return rx, tx
}

// namespaceProcs counts the processes in the PID namespace of init and
// the CPU time they have used.
func namespaceProcs(init int) (uint64, time.Duration) {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", init))
	if err != nil {
		return 0, 0
	}
	entries, _ := os.ReadDir("/proc")
	var n uint64
	var ticks uint64
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if other, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || other != ns {
			continue
		}
		n++
		if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			// Fields after the command's closing parenthesis: utime is
			// the 12th, stime the 13th.
			if i := strings.LastIndexByte(string(data), ')'); i >= 0 {
				f := strings.Fields(string(data)[i+1:])
				if len(f) > 12 {
					u, _ := strconv.ParseUint(f[11], 10, 64)
					s, _ := strconv.ParseUint(f[12], 10, 64)
					ticks += u + s
				}
			}
		}
	}
	return n, time.Duration(ticks) * time.Second / 100 // USER_HZ
}
