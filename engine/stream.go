package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/scow-project/scow/engine/errdefs"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Streams are the caller's side of an attached process.
type Streams struct {
	// In is nil when the caller gives the process no input.
	In       *os.File
	Out, Err *os.File
	// DetachKeys leave the process running and end the attach (see
	// ParseDetachKeys); none disables them.
	DetachKeys []byte
	// SigProxy forwards the caller's signals to the process; without it
	// a signal ends the attach.
	SigProxy bool
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

// IsTerminal tells whether f is a terminal.
func IsTerminal(f *os.File) bool { return f != nil && term.IsTerminal(int(f.Fd())) }

// terminalSize is the window size of the caller's terminal, 0 when it
// has none.
func terminalSize(s Streams) (rows, cols uint16) {
	for _, f := range []*os.File{s.In, s.Out} {
		if f == nil {
			continue
		}
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
			return ws.Row, ws.Col
		}
	}
	return 0, 0
}

// signalRelay hands the caller's signals to whoever runs the process:
// first to cancel the start, then to the attach. Without anyone to take
// them, they wait.
type signalRelay struct {
	mu      sync.Mutex
	deliver func(unix.Signal)
	pending []unix.Signal
	sigs    chan os.Signal
}

func newSignalRelay(deliver func(unix.Signal)) *signalRelay {
	r := &signalRelay{deliver: deliver, sigs: make(chan os.Signal, 16)}
	signal.Notify(r.sigs, forwardedSignals...)
	// A closed stdout must not kill the CLI in the middle of cleanup.
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		for s := range r.sigs {
			r.mu.Lock()
			if r.deliver != nil {
				r.deliver(s.(syscall.Signal))
			} else {
				r.pending = append(r.pending, s.(syscall.Signal))
			}
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *signalRelay) to(deliver func(unix.Signal)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliver = deliver
	if deliver != nil {
		for _, s := range r.pending {
			deliver(s)
		}
		r.pending = nil
	}
}

func (r *signalRelay) stop() {
	signal.Stop(r.sigs)
	close(r.sigs)
}

// forwardTo sends the relay's signals over c.
func (r *signalRelay) forwardTo(c *frameConn) {
	r.to(func(sig unix.Signal) { c.send(frameSignal, []byte{byte(sig)}) })
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
	for !w.closed && w.chunks > 0 && (w.bytes+n > stdinWindow || w.chunks >= stdinChunks) {
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

// stream is the caller's side of an attach: it runs until the process
// exits (an *ExitError unless with 0) or the user detaches (nil). With a
// terminal on both sides the caller's is raw meanwhile, and restored
// whatever happens short of SIGKILL.
// relay, if not nil, is the caller's signal relay.
func stream(c *frameConn, s Streams, tty bool, relay *signalRelay) error {
	defer c.c.Close()
	if relay == nil {
		relay = newSignalRelay(nil)
		defer relay.stop()
	}
	done := make(chan error, 4)
	finish := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	if tty && IsTerminal(s.In) {
		old, err := term.MakeRaw(int(s.In.Fd()))
		if err != nil {
			return fmt.Errorf("set the terminal to raw mode: %w", err)
		}
		defer term.Restore(int(s.In.Fd()), old)
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		resize := func() {
			if rows, cols := terminalSize(s); rows > 0 {
				var b [4]byte
				binary.BigEndian.PutUint16(b[:], rows)
				binary.BigEndian.PutUint16(b[2:], cols)
				c.send(frameResize, b[:])
			}
		}
		resize()
		go func() {
			for range winch {
				resize()
			}
		}()
	}
	if s.SigProxy {
		relay.forwardTo(c)
	} else {
		relay.to(func(sig unix.Signal) { finish(&ExitError{Code: 128 + int(sig)}) })
	}
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
					if len(out) > 0 && (!win.take(len(out)) || c.send(frameStdin, out) != nil) {
						return
					}
					if detach {
						finish(errDetached)
						return
					}
				}
				if err != nil {
					if held := d.keys[:d.matched]; len(held) > 0 && win.take(len(held)) {
						c.send(frameStdin, held)
					}
					c.send(frameClose, nil)
					return
				}
			}
		}()
	}
	go func() {
		defer win.close()
		var buf []byte
		for {
			kind, data, err := readFrame(c.c, &buf)
			if err != nil {
				finish(errors.New("the attach ended before the process exited: its monitor went away, or this client fell too far behind its output"))
				return
			}
			switch kind {
			case frameStdout:
				s.Out.Write(data)
			case frameStderr:
				s.Err.Write(data)
			case frameAck:
				if len(data) == 4 {
					win.give(int(binary.BigEndian.Uint32(data)))
				}
			case frameExit:
				finish(exitResult(data))
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

// exitResult turns an exit frame into what stream returns.
func exitResult(data []byte) error {
	var x attachExit
	if err := json.Unmarshal(data, &x); err != nil {
		return fmt.Errorf("bad exit from the monitor: %w", err)
	}
	switch {
	case x.Error != "":
		return errdefs.Rebuild(x.Class, x.Error)
	case x.Code != 0:
		return &ExitError{Code: x.Code}
	}
	return nil
}
