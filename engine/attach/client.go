package attach

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
)

// Streams are the caller's side of an attached process.
type Streams struct {
	// In is nil when the caller gives the process no input.
	In       io.Reader
	Out, Err io.Writer
	// DetachKeys leave the process running and end the attach (see
	// ParseDetachKeys); none disables them.
	DetachKeys []byte
	// Terminal is the caller's terminal, nil without one.
	Terminal Terminal
	// Signals are the caller's signals. With SigProxy they go to the
	// process; without, one ends the attach as the process's death by
	// it would (exit code 128+n). A nil channel brings none.
	Signals  <-chan os.Signal
	SigProxy bool
	// StopAfter, when set, makes a SIGTERM a stop: StopSignal (0:
	// SIGTERM) goes on, and SIGKILL follows that long after it, as
	// systemd stopping a foreground run expects.
	StopAfter  time.Duration
	StopSignal syscall.Signal
	// Files are the process's descriptors from 3 on (--preserve-fds), a
	// nil entry /dev/null.
	Files []*os.File
	// Cleanup, when set, runs once the process has exited, before the
	// attach ends: the caller that asked with Request.Cleans cleans up
	// after the container while its monitor waits, and the monitor does
	// it itself unless Cleanup succeeds.
	Cleanup func() error
}

// Terminal is the caller's terminal, which a process with a terminal of
// its own shares while attached.
type Terminal interface {
	// Size is its size, 0 when it has none.
	Size() (rows, cols uint16)
	// MakeRaw sets it to raw mode until restore, and tells of each
	// change of its size on resized meanwhile.
	MakeRaw() (restore func(), resized <-chan struct{}, err error)
}

// TerminalSize is the size of s's terminal, 0 when it has none.
func (s Streams) TerminalSize() (rows, cols uint16) {
	if s.Terminal == nil {
		return 0, 0
	}
	return s.Terminal.Size()
}

// DefaultDetachKeys are Docker's and Podman's.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ParseDetachKeys reads Docker's notation: comma-separated keys, each a
// single character or ctrl-<key> for a-z, @, [, \, ], ^ and _.
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	var out []byte
	for _, k := range strings.Split(s, ",") {
		name, ctrl := strings.CutPrefix(strings.ToLower(k), "ctrl-")
		switch {
		case ctrl && len(name) == 1 && name[0] >= 'a' && name[0] <= 'z':
			out = append(out, name[0]-'a'+1)
		case ctrl && len(name) == 1 && strings.Contains("@[\\]^_", name):
			out = append(out, name[0]-'@')
		case !ctrl && len(k) == 1:
			out = append(out, k[0])
		default:
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--detach-keys %q: unknown key %q: use a character or ctrl-<a-z, @, [, \\, ], ^, _>, comma-separated", s, k))
		}
	}
	return out, nil
}

// detachFilter finds the detach keys in the input: bytes that may start
// them are held until the next one tells.
type detachFilter struct {
	keys    []byte
	matched int
}

// filter returns what to pass on, and whether the keys were typed.
func (d *detachFilter) filter(p []byte) ([]byte, bool) {
	if len(d.keys) == 0 {
		return p, false
	}
	out := make([]byte, 0, len(p)+len(d.keys))
	for _, b := range p {
		if b == d.keys[d.matched] {
			if d.matched++; d.matched == len(d.keys) {
				return out, true
			}
			continue
		}
		out = append(out, d.keys[:d.matched]...)
		d.matched = 0
		if b == d.keys[0] {
			d.matched = 1
			continue
		}
		out = append(out, b)
	}
	return out, false
}

// window is the client's side of the input flow control: what it may
// still send before the monitor acknowledges what it sent.
type window struct {
	mu            sync.Mutex
	cond          *sync.Cond
	bytes, chunks int
	closed        bool
}

func newWindow() *window {
	w := &window{}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// take waits for room for one chunk of n bytes; false once closed.
func (w *window) take(n int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.closed && w.chunks > 0 && (w.bytes+n > StdinWindow || w.chunks >= StdinChunks) {
		w.cond.Wait()
	}
	w.bytes += n
	w.chunks++
	return !w.closed
}

// give returns the room of one acknowledged chunk of n bytes.
func (w *window) give(n int) {
	w.mu.Lock()
	w.bytes, w.chunks = max(w.bytes-n, 0), max(w.chunks-1, 0)
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (w *window) close() {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
}

// errDetached ends an attach the user left with the detach keys.
var errDetached = errors.New("detached")

// Stream is the client's side of an attach on c, which it closes: it
// runs until the process exits (an *errdefs.ExitError unless with 0) or
// the user detaches (nil). With tty, the process's terminal, and a
// terminal of the caller's that gives input, the caller's is raw meanwhile.
func Stream(c *Conn, s Streams, tty bool) error {
	defer c.Close()
	done := make(chan error, 4)
	finish := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	if tty && s.Terminal != nil && s.In != nil {
		restore, resized, err := s.Terminal.MakeRaw()
		if err != nil {
			return fmt.Errorf("set the terminal to raw mode: %w", err)
		}
		defer restore()
		resize := func() {
			if rows, cols := s.Terminal.Size(); rows > 0 {
				var b [4]byte
				binary.BigEndian.PutUint16(b[:], rows)
				binary.BigEndian.PutUint16(b[2:], cols)
				c.Send(FrameResize, b[:])
			}
		}
		resize()
		go func() {
			for range resized {
				resize()
			}
		}()
	}
	// Signals are taken only while attached: the caller's channel keeps
	// those that come after.
	stopSignals := make(chan struct{})
	defer close(stopSignals)
	go func() {
		for {
			select {
			case <-stopSignals:
				return
			case sig := <-s.Signals:
				n, _ := sig.(syscall.Signal)
				if !s.SigProxy {
					finish(&errdefs.ExitError{Code: 128 + int(n)})
					return
				}
				if n == syscall.SIGTERM && s.StopAfter > 0 && s.StopSignal != 0 {
					n = s.StopSignal
				}
				c.Send(FrameSignal, []byte{byte(n)})
				if sig == syscall.SIGTERM && s.StopAfter > 0 {
					time.AfterFunc(s.StopAfter, func() { c.Send(FrameSignal, []byte{byte(syscall.SIGKILL)}) })
				}
			}
		}
	}()
	win := newWindow()
	if s.In != nil {
		go func() {
			// Detach keys are for terminals, as in Docker: piped input
			// passes whole.
			var d detachFilter
			if tty {
				d.keys = s.DetachKeys
			}
			buf := make([]byte, 32*1024)
			for {
				n, err := s.In.Read(buf)
				if n > 0 {
					out, detach := d.filter(buf[:n])
					if len(out) > 0 && (!win.take(len(out)) || c.Send(FrameStdin, out) != nil) {
						return
					}
					if detach {
						finish(errDetached)
						return
					}
				}
				if err != nil {
					if held := d.keys[:d.matched]; len(held) > 0 && win.take(len(held)) {
						c.Send(FrameStdin, held)
					}
					c.Send(FrameClose, nil)
					return
				}
			}
		}()
	}
	go func() {
		defer win.close()
		var buf []byte
		for {
			kind, data, err := c.Read(&buf)
			if err != nil {
				finish(errors.New("the attach ended before the process exited: its monitor went away, or this client fell too far behind its output"))
				return
			}
			switch kind {
			case FrameStdout:
				s.Out.Write(data)
			case FrameStderr:
				s.Err.Write(data)
			case FrameAck:
				if len(data) == 4 {
					win.give(int(binary.BigEndian.Uint32(data)))
				}
			case FrameExit:
				if s.Cleanup != nil && s.Cleanup() == nil {
					c.Send(FrameCleaned, nil)
				}
				finish(ExitResult(data))
				return
			}
		}
	}()
	err := <-done
	if errors.Is(err, errDetached) {
		return nil
	}
	return err
}
