package monitor

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/scow-project/scow/engine/attach"
	"golang.org/x/sys/unix"
)

// A client that comes after the last run hears its exit at once.
func TestHubLateJoin(t *testing.T) {
	h := newHub()
	h.end(attach.Exit{Code: 7}, true)
	ours, theirs := net.Pipe()
	go h.join(attach.NewConn(ours), attach.Request{}, false)
	var buf []byte
	kind, data, err := attach.ReadFrame(theirs, &buf)
	var x attach.Exit
	if err != nil || kind != attach.FrameExit || json.Unmarshal(data, &x) != nil || x.Code != 7 {
		t.Fatalf("late join: %d %q %v", kind, data, err)
	}
	if _, _, err := attach.ReadFrame(theirs, &buf); !errors.Is(err, io.EOF) {
		t.Errorf("after the exit: %v, want EOF", err)
	}
}

// A client that does not read is dropped once its queue is full; the
// primary one gets every frame.
func TestHubDropsSlowClient(t *testing.T) {
	h := newHub()
	pOurs, pTheirs := net.Pipe()
	sOurs, _ := net.Pipe() // never read
	h.join(attach.NewConn(pOurs), attach.Request{}, true)
	h.join(attach.NewConn(sOurs), attach.Request{}, false)
	const frames = clientQueue + 50
	got := make(chan int)
	go func() {
		n := 0
		var buf []byte
		for n < frames {
			if _, _, err := attach.ReadFrame(pTheirs, &buf); err != nil {
				break
			}
			n++
		}
		got <- n
	}()
	w := h.output(attach.FrameStdout)
	for i := 0; i < frames; i++ {
		w.Write([]byte("x"))
	}
	if n := <-got; n != frames {
		t.Errorf("the primary client got %d frames of %d", n, frames)
	}
	if !waitUntil(5*time.Second, func() bool { return len(h.snapshot()) == 1 }) {
		t.Errorf("the slow client is still attached: %d clients", len(h.snapshot()))
	}
}

// Signals before the run wait for it, once each; after its exit they
// are dropped.
func TestHubPendingSignals(t *testing.T) {
	h := newHub()
	h.signal(unix.SIGUSR1)
	h.signal(unix.SIGUSR1)
	if len(h.pending) != 1 {
		t.Errorf("pending %v, want one SIGUSR1", h.pending)
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.run(cmd.Process.Pid, nil, nil)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGUSR1 {
		t.Errorf("the process ended with %v, want SIGUSR1", err)
	}
	h.exited()
	h.signal(unix.SIGTERM)
	if len(h.pending) != 0 {
		t.Errorf("a signal after the exit is pending: %v", h.pending)
	}
}

func waitUntil(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// A client that cleans up is waited for at the last end, gets no output
// unless it is the primary one, and counts as having cleaned up only if
// it says so after that end; one that hangs up without saying so leaves
// the clean-up to the monitor.
func TestHubCleaners(t *testing.T) {
	for _, tc := range []struct {
		name           string
		primary, early bool
		say            bool
		want           bool
	}{
		{"stop that cleaned", false, false, true, true},
		{"run that cleaned", true, false, true, true},
		{"hung up without", false, false, false, false},
		{"said so before the end", false, true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub()
			ours, theirs := net.Pipe()
			h.join(attach.NewConn(ours), attach.Request{Cleans: true}, tc.primary)
			if !h.hasCleaner() {
				t.Fatal("no cleaner seen")
			}
			c := attach.NewConn(theirs)
			if tc.early {
				c.Send(attach.FrameCleaned, nil)
			}
			h.output(attach.FrameStdout).Write([]byte("out"))
			ended := make(chan struct{})
			go func() {
				h.end(attach.Exit{Code: 3}, true)
				close(ended)
			}()
			var buf []byte
			kind, _, err := c.Read(&buf)
			if tc.primary && (err != nil || kind != attach.FrameStdout) {
				t.Fatalf("the primary client got %q %v, want its output", kind, err)
			}
			if tc.primary {
				kind, _, err = c.Read(&buf)
			}
			if err != nil || kind != attach.FrameExit {
				t.Fatalf("got %q %v, want the exit", kind, err)
			}
			select {
			case <-ended:
				t.Fatal("the end did not wait for the cleaner")
			case <-time.After(50 * time.Millisecond):
			}
			if tc.say && !tc.early {
				c.Send(attach.FrameCleaned, nil)
			}
			// The monitor reads what came before the hang-up.
			time.Sleep(20 * time.Millisecond)
			c.Close()
			select {
			case <-ended:
			case <-time.After(5 * time.Second):
				t.Fatal("the end still waits after the hang-up")
			}
			if got := h.cleaned.Load(); got != tc.want {
				t.Errorf("cleaned %v, want %v", got, tc.want)
			}
		})
	}
}
