package containers

import (
	"context"
	"time"

	"golang.org/x/sys/unix"
)

// backoff paces a loop that polls for a state: its waits start at first
// and double up to most; reset starts them over after progress. Once it
// watches a directory, a file written or renamed there ends a wait early:
// a record's new state is seen as soon as it is saved.
type backoff struct {
	first, most, next time.Duration
	// inotify is the descriptor that watches, -1 for none.
	inotify int
}

func newBackoff(first, most time.Duration) *backoff {
	return &backoff{first: first, most: most, next: first, inotify: -1}
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
	b.inotify = fd
}

func (b *backoff) close() {
	if b.inotify >= 0 {
		unix.Close(b.inotify)
		b.inotify = -1
	}
}

// wait sleeps the next pause, or until the watched directory changes, or
// returns ctx's error once it ends.
func (b *backoff) wait(ctx context.Context) error {
	pause := b.next
	b.next = min(b.next*2, b.most)
	if b.inotify < 0 {
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
		fds := []unix.PollFd{{Fd: int32(b.inotify), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(min(left, 50*time.Millisecond).Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil // the pause, then, is all it waits
		}
		if n > 0 {
			var buf [4096]byte
			for {
				if n, _ := unix.Read(b.inotify, buf[:]); n <= 0 {
					break
				}
			}
			return ctx.Err()
		}
	}
}

func (b *backoff) reset() { b.next = b.first }
