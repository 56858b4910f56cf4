package containers

import (
	"context"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scow-project/scow/engine/record"
)

// backoff paces a loop that polls for a state: its waits start at first
// and double up to most; reset starts them over after progress. Once it
// watches a directory, a file written or renamed there ends a wait early:
// a record's new state is seen as soon as it is saved. Once it watches a
// process, the process's end ends a wait early, and the record that
// follows it is looked for from 1 ms on.
type backoff struct {
	first, most, next time.Duration
	// fd is the descriptor that wakes the waits, -1 for none: an
	// inotify instance, or a pidfd when pidfd says so.
	fd    int
	pidfd bool
	// watched is the process watched last (follow), once it is gone.
	watched int
}

func newBackoff(first, most time.Duration) *backoff {
	return &backoff{first: first, most: most, next: first, fd: -1}
}

// watch wakes the waits when dir changes, until close. Without inotify
// the waits are the back-off's alone.
func (b *backoff) watch(dir string) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_DELETE_SELF); err != nil {
		unix.Close(fd)
		return
	}
	b.fd = fd
}

// follow has the waits woken by what changes next for a container whose
// record, in dir, says st: while it runs, its process's end; else, or
// with byRecord (a health state), a change of its record. Once the process
// watched is gone, the record that says so follows at short pauses.
func (b *backoff) follow(st *record.State, dir string, byRecord bool) {
	running := st.Status == record.StatusRunning
	if b.fd >= 0 || running && st.Pid == b.watched {
		return
	}
	if running && !byRecord && b.watchPid(st.Pid, st.PidStart) {
		b.watched = st.Pid
		return
	}
	b.watch(dir)
}

// watchPid wakes the next wait when process pid, which started at start,
// ends, and tells whether it could watch it. Closing an inotify instance
// waits for the kernel's grace period (up to 20 ms here, at every exit
// of a command that watched); closing a pidfd does not.
func (b *backoff) watchPid(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return false
	}
	// The pidfd pins the process: it is the one that started at start.
	if !record.Alive(pid, start) {
		unix.Close(fd)
		return false
	}
	b.fd, b.pidfd = fd, true
	return true
}

func (b *backoff) close() {
	if b.fd >= 0 {
		unix.Close(b.fd)
		b.fd, b.pidfd = -1, false
	}
}

// wait sleeps the next pause, or until what it watches wakes it, or
// returns ctx's error once it ends.
func (b *backoff) wait(ctx context.Context) error {
	pause := b.next
	b.next = min(b.next*2, b.most)
	if b.fd < 0 {
		t := time.NewTimer(pause)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	// Polled in slices, so that an ended ctx is heard within 50 ms.
	deadline := time.Now().Add(pause)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		fds := []unix.PollFd{{Fd: int32(b.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(min(left, 50*time.Millisecond).Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil // the pause, then, is all it waits
		}
		if n > 0 {
			if b.pidfd {
				// Gone: its record follows within milliseconds (the
				// monitor records the exit), looked for from 1 ms on.
				b.close()
				b.next = min(time.Millisecond, b.most)
				return ctx.Err()
			}
			var buf [4096]byte
			for {
				if n, _ := unix.Read(b.fd, buf[:]); n <= 0 {
					break
				}
			}
			return ctx.Err()
		}
	}
}

func (b *backoff) reset() { b.next = b.first }
