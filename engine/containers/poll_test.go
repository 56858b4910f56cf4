package containers

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/scow-project/scow/engine/record"
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

// A file renamed into a watched directory (a record saved) ends a long
// pause at once.
func TestBackoffWatch(t *testing.T) {
	dir := t.TempDir()
	b := newBackoff(time.Hour, time.Hour)
	b.watch(dir)
	defer b.close()
	if b.fd < 0 {
		t.Fatal("no inotify watch")
	}
	// Written beside it and renamed in: one event, which the wait takes.
	tmp := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(tmp, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		os.Rename(tmp, filepath.Join(dir, "state.json"))
	}()
	done := make(chan error, 1)
	go func() { done <- b.wait(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("wait: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a saved record did not end the wait")
	}
	// An ended context ends a watched wait too.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	go func() { done <- b.wait(ctx) }()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("wait on an ended context: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an ended context did not end the wait")
	}
}

func TestExitNews(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name       string
		send       []bool // what the monitor's connection tells, in order
		ctx        context.Context
		told, over bool
	}{
		{name: "told", send: []bool{true}, ctx: context.Background(), told: true, over: true},
		{name: "hung up", send: []bool{false}, ctx: context.Background(), over: true},
		{name: "not yet", ctx: ended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			heard := make(chan bool, 1)
			for _, v := range tc.send {
				heard <- v
			}
			n := &exitNews{heard: heard}
			n.wait(tc.ctx)
			if n.told != tc.told || n.over != tc.over {
				t.Errorf("told %v over %v, want %v %v", n.told, n.over, tc.told, tc.over)
			}
			if n.over {
				// It waits no more: the channel is not read again.
				n.wait(context.Background())
			}
		})
	}
	var none *exitNews
	none.wait(context.Background()) // no monitor: returns at once
}

// A watched process's end ends a long pause at once; the record that
// follows is then looked for within a millisecond, with nothing left
// watched.
func TestBackoffWatchPid(t *testing.T) {
	child := exec.Command("sleep", "0.05")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	pid := child.Process.Pid
	start, err := record.ProcStart(pid)
	if err != nil {
		t.Fatal(err)
	}
	if newBackoff(time.Hour, time.Hour).watchPid(pid, start+1) {
		t.Error("watched a process that started at another time")
	}
	b := newBackoff(time.Hour, time.Hour)
	if !b.watchPid(pid, start) {
		t.Fatal("could not watch the child")
	}
	defer b.close()
	done := make(chan error, 1)
	go func() {
		err := b.wait(context.Background())
		child.Wait() // reaped only after: the pidfd woke on the exit itself
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("wait: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the process's end did not end the wait")
	}
	if b.fd >= 0 || b.next != time.Millisecond {
		t.Errorf("after the end: descriptor %d, next pause %v; want none and 1ms", b.fd, b.next)
	}
	if newBackoff(time.Hour, time.Hour).watchPid(0, 0) {
		t.Error("watched pid 0")
	}
}

// follow watches a running container's process, and its record in any
// other state or for a health state; the process it saw end it does not
// watch again, a new one (a restart) it does.
func TestBackoffFollow(t *testing.T) {
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Wait()
	defer child.Process.Kill()
	pid := child.Process.Pid
	start, err := record.ProcStart(pid)
	if err != nil {
		t.Fatal(err)
	}
	running := &record.State{Status: record.StatusRunning, Pid: pid, PidStart: start}
	for _, tc := range []struct {
		name     string
		st       *record.State
		byRecord bool
		watched  int // b.watched beforehand
		pidfd    bool
	}{
		{name: "running", st: running, pidfd: true},
		{name: "health state", st: running, byRecord: true},
		{name: "exited", st: &record.State{Status: record.StatusExited}},
		{name: "restarting", st: &record.State{Status: record.StatusRestarting}},
		{name: "its process gone, not yet recorded", st: running, watched: pid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackoff(time.Millisecond, time.Millisecond)
			defer b.close()
			b.watched = tc.watched
			b.follow(tc.st, t.TempDir(), tc.byRecord)
			watchesRecord := tc.watched == 0 && !tc.pidfd
			if b.pidfd != tc.pidfd || (b.fd >= 0) != (tc.pidfd || watchesRecord) {
				t.Errorf("descriptor %d, pidfd %v; want pidfd %v, record watched %v", b.fd, b.pidfd, tc.pidfd, watchesRecord)
			}
		})
	}
}
