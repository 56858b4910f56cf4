package containers

import (
	"context"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := newBackoff(time.Millisecond, 4*time.Millisecond)
	var got []time.Duration
	for range 4 {
		got = append(got, b.next)
		if err := b.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []time.Duration{1, 2, 4, 4}; len(got) != 4 || got[0] != want[0]*time.Millisecond || got[1] != want[1]*time.Millisecond || got[2] != want[2]*time.Millisecond || got[3] != want[3]*time.Millisecond {
		t.Errorf("pauses %v, want 1ms doubling to 4ms", got)
	}
	b.reset()
	if b.next != time.Millisecond {
		t.Errorf("after reset the pause is %v", b.next)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newBackoff(time.Hour, time.Hour).wait(ctx); err != context.Canceled {
		t.Errorf("wait on an ended context: %v", err)
	}
}
