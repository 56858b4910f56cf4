package attach

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/engine/errdefs"
	"golang.org/x/sys/unix"
)

// Frame kinds.
const (
	FrameHello   byte = 'h' // client: a Request, first and once
	FrameStdin   byte = 'i' // client: bytes for the process's stdin
	FrameClose   byte = 'c' // client: its stdin ended
	FrameResize  byte = 'r' // client: rows and columns, two uint16
	FrameSignal  byte = 's' // client: a signal number, one byte
	FrameCleaned byte = 'C' // client: after the last exit, it cleaned up (Request.Cleans)
	FrameStdout  byte = 'o' // monitor: output (all of it, with a terminal)
	FrameStderr  byte = 'e' // monitor: error output
	FrameStarted byte = 'S' // monitor: the exec'd process runs
	FrameAck     byte = 'a' // monitor: that many bytes of stdin were written
	FrameExit    byte = 'x' // monitor: an Exit; the last frame
)

// A client may have StdinWindow bytes in StdinChunks frames of input
// unacknowledged: the connection never fills with input that the process
// does not read, so signals and resizes always get through.
const (
	StdinWindow = 256 << 10
	StdinChunks = 64
)

// maxFrame bounds what a peer may make the other side allocate.
const maxFrame = 1 << 20

// Request is a client's hello.
type Request struct {
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
	// Files says, for each of the process's descriptors from 3 on,
	// whether the client sent one with the hello (else /dev/null);
	// Extra are those Accept received, nil for /dev/null.
	Files []bool     `json:"files,omitempty"`
	Extra []*os.File `json:"-"`
	// Cleans: the client cleans up after the container's last exit
	// (the one that started it, with Streams.Cleanup, or a stop, which
	// gets no output), and says so with FrameCleaned before it hangs
	// up; until then the monitor waits, and does it itself if every
	// such client went without.
	Cleans bool `json:"cleans,omitempty"`
}

// Exit ends an attach: the process's exit code, or why it could not
// start.
type Exit struct {
	Code  int    `json:"code"`
	Error string `json:"error,omitempty"`
	// Class is the errdefs name of Error's class.
	Class string `json:"class,omitempty"`
}

// FailedExit is the exit of a process that could not run: why, with its
// class and its code.
func FailedExit(err error) Exit {
	return Exit{Code: errdefs.ExitCode(err), Error: err.Error(), Class: errdefs.Name(err)}
}

// Err is what an attach that ended with x returns: nil for code 0, an
// *errdefs.ExitError for another code, or the error, with its class.
func (x Exit) Err() error {
	switch {
	case x.Error != "":
		return errdefs.Rebuild(x.Class, x.Error)
	case x.Code != 0:
		return &errdefs.ExitError{Code: x.Code}
	}
	return nil
}

// ExitResult reads an exit frame's data as Err does.
func ExitResult(data []byte) error {
	var x Exit
	if err := json.Unmarshal(data, &x); err != nil {
		return fmt.Errorf("bad exit from the monitor: %w", err)
	}
	return x.Err()
}

// Conn writes whole frames from any number of goroutines.
type Conn struct {
	mu sync.Mutex
	c  net.Conn
}

// NewConn frames c.
func NewConn(c net.Conn) *Conn { return &Conn{c: c} }

// Send writes one frame.
func (f *Conn) Send(kind byte, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hdr [5]byte
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(data)))
	bufs := net.Buffers{hdr[:], data}
	_, err := bufs.WriteTo(f.c)
	return err
}

// SendJSON writes one frame of v in JSON.
func (f *Conn) SendJSON(kind byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return f.Send(kind, data)
}

// Read reads one frame; data is only valid until the next call with buf.
// Only one goroutine may read.
func (f *Conn) Read(buf *[]byte) (kind byte, data []byte, err error) { return ReadFrame(f.c, buf) }

// Close closes the connection.
func (f *Conn) Close() error { return f.c.Close() }

// WatchExit reads frames in the background until the process's exit:
// the channel it returns then gets true, or false once the connection
// ends first.
func (f *Conn) WatchExit() <-chan bool {
	heard := make(chan bool, 1)
	go func() {
		var buf []byte
		for {
			kind, _, err := f.Read(&buf)
			if err != nil || kind == FrameExit {
				heard <- err == nil
				return
			}
		}
	}()
	return heard
}

// ReadFrame reads one frame; data is only valid until the next call.
func ReadFrame(r io.Reader, buf *[]byte) (byte, []byte, error) {
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

// Accept reads a new connection's hello, with the descriptors sent
// along; a client that says none within ten seconds is dropped, so that
// it cannot hold a goroutine.
func Accept(conn net.Conn) (*Conn, Request, error) {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var req Request
	fds, first, err := readRights(conn)
	var kind byte
	var buf, data []byte
	if err == nil {
		kind, data, err = ReadFrame(io.MultiReader(bytes.NewReader(first), conn), &buf)
	}
	if err == nil && kind != FrameHello {
		err = fmt.Errorf("attach frame %q before the hello", kind)
	}
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	if err == nil {
		req.Extra, err = placeFiles(req.Files, fds)
	}
	if err != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		conn.Close()
		return nil, req, err
	}
	conn.SetReadDeadline(time.Time{})
	return NewConn(conn), req, nil
}

// maxFiles bounds the descriptors a hello carries (the kernel's
// SCM_MAX_FD).
const maxFiles = 253

// readRights reads the first bytes of a unix connection with the
// descriptors that came with them.
func readRights(conn net.Conn) (fds []int, first []byte, err error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil, nil, nil
	}
	first = make([]byte, 5)
	oob := make([]byte, unix.CmsgSpace(maxFiles*4))
	n, oobn, flags, _, err := uc.ReadMsgUnix(first, oob)
	if err != nil {
		return nil, nil, err
	}
	// What came is the caller's to close, even with an error.
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	for _, m := range msgs {
		if rights, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, rights...)
		}
	}
	if err == nil && flags&unix.MSG_CTRUNC != 0 {
		err = fmt.Errorf("more than %d descriptors", maxFiles)
	}
	if err != nil {
		return fds, nil, fmt.Errorf("read the descriptors of an attach: %w", err)
	}
	return fds, first[:n], nil
}

// placeFiles lays the received fds out as passed says, nil where it
// says /dev/null.
func placeFiles(passed []bool, fds []int) ([]*os.File, error) {
	if len(passed) > maxFiles*4 {
		return nil, fmt.Errorf("attach hello announced %d descriptors", len(passed))
	}
	want := 0
	for _, p := range passed {
		if p {
			want++
		}
	}
	if want != len(fds) {
		return nil, fmt.Errorf("attach hello announced %d descriptors and carried %d", want, len(fds))
	}
	var files []*os.File
	for _, p := range passed {
		if !p {
			files = append(files, nil)
			continue
		}
		files = append(files, os.NewFile(uintptr(fds[0]), "preserved"))
		fds = fds[1:]
	}
	return files, nil
}

// Dial connects to the monitor of running container id at socket and
// says what the client wants; req.Extra go with the hello.
func Dial(socket, id string, req Request) (*Conn, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.ENOENT) {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %.12s is not running: start it first", id))
		}
		return nil, fmt.Errorf("connect to the monitor of %.12s: %w", id, err)
	}
	c := NewConn(conn)
	if err := c.hello(req); err != nil {
		conn.Close()
		return nil, fmt.Errorf("talk to the monitor of %.12s: %w", id, err)
	}
	return c, nil
}

// hello sends req with its descriptors, which go with the frame's
// first byte.
func (f *Conn) hello(req Request) error {
	var fds []int
	req.Files = nil
	for _, x := range req.Extra {
		req.Files = append(req.Files, x != nil)
		if x != nil {
			fds = append(fds, int(x.Fd()))
		}
	}
	if len(fds) == 0 {
		return f.SendJSON(FrameHello, req)
	}
	if len(fds) > maxFiles {
		return fmt.Errorf("%d descriptors are more than the %d one message carries", len(fds), maxFiles)
	}
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	uc, ok := f.c.(*net.UnixConn)
	if !ok {
		return errors.New("descriptors go over a unix socket only")
	}
	msg := binary.BigEndian.AppendUint32([]byte{FrameHello}, uint32(len(data)))
	msg = append(msg, data...)
	n, _, err := uc.WriteMsgUnix(msg, unix.UnixRights(fds...), nil)
	if err == nil && n < len(msg) {
		_, err = uc.Write(msg[n:])
	}
	return err
}
