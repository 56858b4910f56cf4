package containers

import (
	"context"
	"time"
)

// backoff paces a loop that polls for a state: its waits start at first
// and double up to most; reset starts them over after progress.
type backoff struct {
	first, most, next time.Duration
}

func newBackoff(first, most time.Duration) *backoff {
	return &backoff{first: first, most: most, next: first}
}

// wait sleeps the next pause, or returns ctx's error once it ends.
func (b *backoff) wait(ctx context.Context) error {
	t := time.NewTimer(b.next)
	defer t.Stop()
	b.next = min(b.next*2, b.most)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (b *backoff) reset() { b.next = b.first }
