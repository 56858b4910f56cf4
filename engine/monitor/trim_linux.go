package monitor

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// trimExecutable drops this process's mappings of the scow-monitor binary's code
// and read-only data from its page tables. Those pages stay in the page
// cache, shared by every scow process, and fault back in when touched; a
// long-lived monitor touches few of them, so its resident size falls from
// the whole binary (mapped around each fault at start-up) to what it uses.
// Only mappings never written to qualify: read-only ones without a single
// private (copy-on-write) page, such as the dynamic linker's relocated
// RELRO, which discarding would undo.
func trimExecutable() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	var start, end uint64
	candidate := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			// A mapping's header: range perms offset dev inode [path].
			candidate = len(fields) == 6 && fields[5] == exe && (fields[1] == "r-xp" || fields[1] == "r--p")
			if candidate {
				from, to, _ := strings.Cut(fields[0], "-")
				start, err = strconv.ParseUint(from, 16, 64)
				if err == nil {
					end, err = strconv.ParseUint(to, 16, 64)
				}
				candidate = err == nil && end > start
			}
			continue
		}
		if candidate && len(fields) >= 2 && fields[0] == "Anonymous:" {
			if fields[1] == "0" {
				unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
			}
			candidate = false
		}
	}
}
