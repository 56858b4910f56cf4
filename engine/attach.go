package engine

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// A monitor serves its container's I/O on a unix socket under the run
// root. Each message on it is a frame: a kind byte, a big-endian uint32
// length and that many bytes.
const (
	frameHello   byte = 'h' // client: an attachRequest, first and once
	frameStdin   byte = 'i' // client: bytes for the process's stdin
	frameClose   byte = 'c' // client: its stdin ended
	frameResize  byte = 'r' // client: rows and columns, two uint16
	frameSignal  byte = 's' // client: a signal number, one byte
	frameStdout  byte = 'o' // monitor: output (all of it, with a terminal)
	frameStderr  byte = 'e' // monitor: error output
	frameStarted byte = 'S' // monitor: the exec'd process runs
	frameExit    byte = 'x' // monitor: an attachExit; the last frame
)

// maxFrame bounds what a peer may make the other side allocate.
const maxFrame = 1 << 20

// attachRequest is a client's hello.
type attachRequest struct {
	// Stdin: the client sends input. StdinOnce: its end closes the
	// process's stdin (run -i, start -ai, exec -i), as in Docker.
	Stdin     bool `json:"stdin,omitempty"`
	StdinOnce bool `json:"stdin_once,omitempty"`
	// Rows and Cols are the client's terminal size, for a new terminal.
	Rows uint16 `json:"rows,omitempty"`
	Cols uint16 `json:"cols,omitempty"`
	// Exec asks to run this process in the container instead of
	// attaching to the container's own; Detach then only starts it.
	Exec   *specs.Process `json:"exec,omitempty"`
	Detach bool           `json:"detach,omitempty"`
}

// attachExit ends an attach: the process's exit code, or why it could
// not start.
type attachExit struct {
	Code  int    `json:"code"`
	Error string `json:"error,omitempty"`
}

// frameConn writes whole frames from any number of goroutines.
type frameConn struct {
	mu sync.Mutex
	c  net.Conn
}

func (f *frameConn) send(kind byte, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hdr [5]byte
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(data)))
	bufs := net.Buffers{hdr[:], data}
	_, err := bufs.WriteTo(f.c)
	return err
}

func (f *frameConn) sendJSON(kind byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return f.send(kind, data)
}

// readFrame reads one frame; data is only valid until the next call.
func readFrame(r io.Reader, buf *[]byte) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("attach frame of %d bytes is too big", n)
	}
	if cap(*buf) < int(n) {
		*buf = make([]byte, n)
	}
	data := (*buf)[:n]
	if _, err := io.ReadFull(r, data); err != nil {
		return 0, nil, err
	}
	return hdr[0], data, nil
}

// socketDir holds the monitors' attach sockets and the runtime's console
// sockets. Their names use a 16-digit ID prefix: a unix socket path
// must fit in 108 bytes.
func (e *Engine) socketDir() string { return filepath.Join(e.opts.RunRoot, "attach") }

func (e *Engine) attachSocket(id string) string {
	return filepath.Join(e.socketDir(), id[:16])
}

// consoleSocket listens for the master of a new terminal in container id.
func (e *Engine) consoleSocket(id string) (*oci.ConsoleSocket, error) {
	if err := os.MkdirAll(e.socketDir(), 0o700); err != nil {
		return nil, err
	}
	var b [4]byte
	rand.Read(b[:])
	return oci.ListenConsole(filepath.Join(e.socketDir(), fmt.Sprintf("%s.%x", id[:16], b)))
}

// hub is one process's I/O in its monitor: its output goes to every
// attached client, their input to its stdin, their signals to it.
type hub struct {
	mu      sync.Mutex
	started *sync.Cond
	clients map[*frameConn]attachRequest
	// in is the process's stdin (a pipe or its terminal's master), nil
	// until it runs or once a client closed it; console is the master.
	in, console *os.File
	stdinClosed bool
	rows, cols  uint16
	pid         int
	// cancel, before the process runs, aborts its start.
	cancel context.CancelFunc
}

func newHub(cancel context.CancelFunc) *hub {
	h := &hub{clients: map[*frameConn]attachRequest{}, cancel: cancel}
	h.started = sync.NewCond(&h.mu)
	return h
}

// join adds a client and serves its frames until it leaves.
func (h *hub) join(c *frameConn, req attachRequest) {
	h.mu.Lock()
	h.clients[c] = req
	if req.Rows > 0 && h.rows == 0 {
		h.rows, h.cols = req.Rows, req.Cols
	}
	h.mu.Unlock()
	go h.serve(c, req)
}

func (h *hub) serve(c *frameConn, req attachRequest) {
	defer h.leave(c)
	var buf []byte
	for {
		kind, data, err := readFrame(c.c, &buf)
		if err != nil {
			return
		}
		switch kind {
		case frameStdin:
			if req.Stdin {
				h.write(data)
			}
		case frameClose:
			if req.StdinOnce {
				h.closeStdin()
			}
		case frameResize:
			if len(data) == 4 {
				h.resize(binary.BigEndian.Uint16(data), binary.BigEndian.Uint16(data[2:]))
			}
		case frameSignal:
			if len(data) == 1 {
				h.signal(unix.Signal(data[0]))
			}
		}
	}
}

func (h *hub) leave(c *frameConn) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	c.c.Close()
}

// write passes input to the process, waiting for it to start.
func (h *hub) write(data []byte) {
	h.mu.Lock()
	for h.in == nil && !h.stdinClosed {
		h.started.Wait()
	}
	in := h.in
	h.mu.Unlock()
	if in != nil {
		in.Write(data) // a process that stopped reading is no error here
	}
}

// closeStdin ends the process's input: its pipe is closed; on a
// terminal, end-of-file is typed.
func (h *hub) closeStdin() {
	h.mu.Lock()
	for h.in == nil && !h.stdinClosed {
		h.started.Wait()
	}
	in, console := h.in, h.console
	h.in, h.stdinClosed = nil, true
	h.mu.Unlock()
	switch {
	case in == nil:
	case console != nil:
		console.Write([]byte{4}) // VEOF
	default:
		in.Close()
	}
}

func (h *hub) resize(rows, cols uint16) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rows, h.cols = rows, cols
	if h.console != nil {
		oci.SetConsoleSize(h.console, rows, cols)
	}
}

// signal forwards a client's signal: to the process while it runs
// (pid is then our unreaped child, never a reused PID), or it cancels a
// start in progress.
func (h *hub) signal(sig unix.Signal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.pid > 0:
		unix.Kill(h.pid, sig)
	case h.cancel != nil:
		h.cancel()
	}
}

// run records the running process and its input.
func (h *hub) run(pid int, in, console *os.File) {
	h.mu.Lock()
	h.pid, h.in, h.console, h.stdinClosed, h.cancel = pid, in, console, in == nil, nil
	if console != nil && h.rows > 0 {
		oci.SetConsoleSize(console, h.rows, h.cols)
	}
	h.started.Broadcast()
	h.mu.Unlock()
}

// exited forgets the process: called once it has exited but before it
// is reaped, so that no signal can reach a reused PID.
func (h *hub) exited() {
	h.mu.Lock()
	h.pid, h.in, h.console, h.stdinClosed = 0, nil, nil, true
	h.started.Broadcast()
	h.mu.Unlock()
}

// restarting readies the hub for the process's next run.
func (h *hub) restarting() {
	h.mu.Lock()
	h.stdinClosed = false
	h.mu.Unlock()
}

// output returns a writer that sends frames of kind to every client; a
// client that cannot take them is dropped.
func (h *hub) output(kind byte) io.Writer { return hubWriter{h, kind} }

type hubWriter struct {
	h    *hub
	kind byte
}

func (w hubWriter) Write(p []byte) (int, error) {
	for _, c := range w.h.snapshot() {
		if c.send(w.kind, p) != nil {
			w.h.leave(c)
		}
	}
	return len(p), nil
}

func (h *hub) snapshot() []*frameConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*frameConn, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
	}
	return out
}

// end tells every client how the process ended and lets them go.
func (h *hub) end(x attachExit) {
	for _, c := range h.snapshot() {
		c.sendJSON(frameExit, x)
		h.leave(c)
	}
}

// acceptClients serves the attach socket of container id until it is
// closed: clients attach to h, or run exec sessions (counted in execs).
func (e *Engine) acceptClients(l *net.UnixListener, id string, h *hub, execs *sync.WaitGroup) {
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			return
		}
		c := &frameConn{c: conn}
		var buf []byte
		kind, data, err := readFrame(conn, &buf)
		var req attachRequest
		if err != nil || kind != frameHello || json.Unmarshal(data, &req) != nil {
			conn.Close()
			continue
		}
		if req.Exec == nil {
			h.join(c, req)
			continue
		}
		execs.Add(1)
		go func() {
			defer execs.Done()
			e.execSession(id, c, req)
		}()
	}
}

// listenAttach opens container id's attach socket, replacing one a dead
// monitor left.
func (e *Engine) listenAttach(id string) (*net.UnixListener, error) {
	if err := os.MkdirAll(e.socketDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", e.socketDir(), err)
	}
	path := e.attachSocket(id)
	os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen for attaches to %.12s: %w", id, err)
	}
	return l, nil
}

// dialAttach connects to the monitor of running container id and says
// what the client wants.
func (e *Engine) dialAttach(id string, req attachRequest) (*frameConn, error) {
	conn, err := net.Dial("unix", e.attachSocket(id))
	if err != nil {
		if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.ENOENT) {
			return nil, withClass(ErrInvalid, fmt.Errorf("container %.12s is not running: start it first", id))
		}
		return nil, fmt.Errorf("connect to the monitor of %.12s: %w", id, err)
	}
	c := &frameConn{c: conn}
	if err := c.sendJSON(frameHello, req); err != nil {
		conn.Close()
		return nil, fmt.Errorf("talk to the monitor of %.12s: %w", id, err)
	}
	return c, nil
}
