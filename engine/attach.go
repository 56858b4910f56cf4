package engine

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/scow-project/scow/engine/errdefs"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

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
	frameAck     byte = 'a' // monitor: that many bytes of stdin were written
	frameExit    byte = 'x' // monitor: an attachExit; the last frame
)

// maxFrame bounds what a peer may make the other side allocate.
const maxFrame = 1 << 20

// attachRequest is a client's hello.
type attachRequest struct {
	// Stdin: the client sends input. The end of the primary client's
	// (run -i, start -ai, exec -i) closes the process's stdin, as
	// Docker's StdinOnce does.
	Stdin bool `json:"stdin,omitempty"`
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
	// Class is the errdefs name of Error's class.
	Class string `json:"class,omitempty"`
}

// failedExit is the exit of a process that could not run: why, with its
// class and its code.
func failedExit(err error) attachExit {
	return attachExit{Code: errdefs.ExitCode(err), Error: err.Error(), Class: errdefs.Name(err)}
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

// acceptClients serves the attach socket of container id until it is
// closed: clients attach to h, or run exec sessions (counted, with the
// handshakes, in execs). done closes when it returns: no more are
// counted after that.
func (e *Engine) acceptClients(l *net.UnixListener, id string, h *hub, execs *sync.WaitGroup, done chan<- struct{}) {
	defer close(done)
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			return
		}
		execs.Add(1)
		go func() {
			defer execs.Done()
			// A client that never says hello must not hold a goroutine.
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			var buf []byte
			kind, data, err := readFrame(conn, &buf)
			var req attachRequest
			if err != nil || kind != frameHello || json.Unmarshal(data, &req) != nil {
				conn.Close()
				return
			}
			conn.SetReadDeadline(time.Time{})
			c := &frameConn{c: conn}
			if req.Exec == nil {
				h.join(c, req, false)
				return
			}
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
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %.12s is not running: start it first", id))
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
