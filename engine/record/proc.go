package record

import (
	"fmt"
	"os"
	"strings"
)

// ProcStart returns a living process's start time (clock ticks since
// boot), the value that tells a PID's current owner from an earlier one.
func ProcStart(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: skip past its end.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	if f[0] == "Z" || f[0] == "X" || f[0] == "x" {
		// Exited, not yet reaped: an init that is slow to reap orphans
		// must not make a dead monitor look alive.
		return 0, fmt.Errorf("process %d has exited", pid)
	}
	var start uint64
	_, err = fmt.Sscan(f[19], &start)
	return start, err
}

// Alive tells whether pid is still the process that started at start.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	s, err := ProcStart(pid)
	return err == nil && s == start
}
