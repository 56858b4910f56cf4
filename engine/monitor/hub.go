package monitor

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// clientQueue is how many frames of output wait for a client that is not
// the process's own before it is dropped as too slow.
const clientQueue = 256

// hub is one process's I/O in its monitor: its output goes to every
// attached client, their input to its stdin, their signals to it.
type hub struct {
	mu      sync.Mutex
	started *sync.Cond
	clients map[*client]bool
	// in is the process's stdin (a pipe or its terminal's master), nil
	// until it runs or once it is closed; console is the master.
	in, console *os.File
	stdinClosed bool
	rows, cols  uint16
	pid         int
	// pending are signals that came before the process ran.
	pending []unix.Signal
	// final is the exit of a process that will not run again; a late
	// client gets it at once.
	final *attach.Exit
	// gen counts the process's runs: input is only for the run its
	// client attached to. over is set from a run's exit to its end():
	// that run takes no more input or signals.
	gen  int
	over bool
	// cleaned says a client that cleans up (attach.Request.Cleans) did
	// so after the last end; set under mu, read once that end is over.
	cleaned atomic.Bool
}

// client is one attached connection. The primary client, the one that
// started the process (run, start -a, exec), sets the pace of its output
// as a pipe would, and its end ends the input of a process without a
// terminal; any other is dropped when it falls too far behind, so
// that no attach can stall the container.
type client struct {
	conn    *attach.Conn
	req     attach.Request
	primary bool
	out     chan outFrame
	quit    chan struct{} // closed when the client is dropped
	gone    chan struct{} // closed when its sender is done
	drop    sync.Once
	input   chan stdinChunk
	gen     int
}

// stdinChunk is input for the process, or the end of it: closed by the
// client, or the client gone.
type stdinChunk struct {
	data        []byte
	close, gone bool
}

type outFrame struct {
	kind byte
	data []byte
}

// frameDone tells a client's sender to close the connection.
const frameDone byte = 0

func newHub() *hub {
	h := &hub{clients: map[*client]bool{}}
	h.started = sync.NewCond(&h.mu)
	return h
}

// join adds a client; it is served until it leaves or the process ends.
func (h *hub) join(conn *attach.Conn, req attach.Request, primary bool) {
	c := &client{
		conn: conn, req: req, primary: primary,
		out: make(chan outFrame, clientQueue), quit: make(chan struct{}), gone: make(chan struct{}),
		// The window bounds what can wait here.
		input: make(chan stdinChunk, attach.StdinChunks+2),
	}
	h.mu.Lock()
	if h.final != nil {
		x := *h.final
		h.mu.Unlock()
		conn.SendJSON(attach.FrameExit, x)
		conn.Close()
		return
	}
	h.clients[c] = true
	c.gen = h.gen
	if req.Rows > 0 && h.rows == 0 {
		h.rows, h.cols = req.Rows, req.Cols
	}
	h.mu.Unlock()
	go c.send()
	go h.feed(c)
	go h.serve(c)
}

// send writes the client's queued frames; after a failed write it only
// drains the queue, so that writers never block on a dead client.
func (c *client) send() {
	defer close(c.gone)
	defer c.conn.Close()
	for {
		select {
		case f := <-c.out:
			if f.kind == frameDone {
				return
			}
			if c.conn.Send(f.kind, f.data) != nil {
				c.stop()
			}
		case <-c.quit:
			return
		}
	}
}

// stop drops the client; closing its connection also frees a sender
// stuck writing to it.
func (c *client) stop() {
	c.drop.Do(func() {
		close(c.quit)
		c.conn.Close()
	})
}

// queue hands a frame to the client's sender: the primary client waits
// for room, any other is dropped when its queue is full.
func (c *client) queue(f outFrame) {
	if c.primary {
		select {
		case c.out <- f:
		case <-c.quit:
		}
		return
	}
	select {
	case c.out <- f:
	case <-c.quit:
	default:
		c.stop()
	}
}

// serve reads the client's frames; it never blocks on the process, so
// signals and resizes are acted on at once.
func (h *hub) serve(c *client) {
	defer h.leave(c)
	var buf []byte
	closed := false
	// A client keeps within its window; one that overflows its queue
	// breaks the protocol and is dropped, so that serve never blocks.
	push := func(chunk stdinChunk) bool {
		select {
		case c.input <- chunk:
			return true
		default:
			return false
		}
	}
	for {
		kind, data, err := c.conn.Read(&buf)
		if err != nil {
			return
		}
		switch kind {
		case attach.FrameStdin:
			if c.req.Stdin && len(data) > 0 && !closed && !push(stdinChunk{data: append([]byte(nil), data...)}) {
				return
			}
		case attach.FrameClose:
			if c.primary && !closed {
				closed = true
				if !push(stdinChunk{close: true}) {
					return
				}
			}
		case attach.FrameResize:
			if len(data) == 4 {
				h.resize(binary.BigEndian.Uint16(data), binary.BigEndian.Uint16(data[2:]))
			}
		case attach.FrameSignal:
			if len(data) == 1 {
				h.signal(unix.Signal(data[0]))
			}
		case attach.FrameCleaned:
			h.mu.Lock()
			if c.req.Cleans && h.final != nil {
				h.cleaned.Store(true)
			}
			h.mu.Unlock()
		}
	}
}

// feed writes the client's input to the process in order, and
// acknowledges it.
func (h *hub) feed(c *client) {
	for chunk := range c.input {
		in, console := h.stdin(c.gen)
		switch {
		case in == nil:
		case chunk.close && console != nil:
			console.Write([]byte{4}) // VEOF: end of input on a terminal
		case chunk.close || chunk.gone && console == nil:
			h.closeStdin(c.gen)
		case !chunk.gone:
			in.Write(chunk.data) // a process that stopped reading is no error here
		}
		if len(chunk.data) > 0 {
			var n [4]byte
			binary.BigEndian.PutUint32(n[:], uint32(len(chunk.data)))
			c.queue(outFrame{attach.FrameAck, n[:]})
		}
	}
}

// leave forgets a client whose connection ended. The end of the client
// that started a process without a terminal ends its input, as Docker's
// StdinOnce does; a terminal stays open for the next attach.
func (h *hub) leave(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	c.stop()
	// The marker may wait behind input the process has not read yet;
	// serve, the only other sender, has returned.
	go func() {
		if c.primary && c.req.Stdin {
			c.input <- stdinChunk{gone: true}
		}
		close(c.input)
	}()
}

// stdin waits for run gen of the process to start and returns its
// input, nil once that run is over or its input closed.
func (h *hub) stdin(gen int) (in, console *os.File) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.gen == gen && !h.over && h.final == nil && h.in == nil && !h.stdinClosed {
		h.started.Wait()
	}
	if h.gen != gen || h.over || h.final != nil {
		return nil, nil
	}
	return h.in, h.console
}

// closeStdin closes the input pipe of run gen of the process.
func (h *hub) closeStdin(gen int) {
	h.mu.Lock()
	in := h.in
	if h.gen != gen || h.over || h.console != nil {
		in = nil
	} else {
		h.in, h.stdinClosed = nil, true
	}
	h.mu.Unlock()
	if in != nil {
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

// signal forwards a client's signal to the process while it runs (pid
// is then our unreaped child, never a reused PID); one that comes before
// it runs is delivered as soon as it does.
func (h *hub) signal(sig unix.Signal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.pid > 0:
		unix.Kill(h.pid, sig)
	case !h.over && !slices.Contains(h.pending, sig):
		h.pending = append(h.pending, sig)
	}
}

// run records the running process and its input.
func (h *hub) run(pid int, in, console *os.File) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pid, h.in, h.console, h.stdinClosed = pid, in, console, in == nil
	if console != nil && h.rows > 0 {
		oci.SetConsoleSize(console, h.rows, h.cols)
	}
	for _, sig := range h.pending {
		unix.Kill(pid, sig)
	}
	h.pending = nil
	h.started.Broadcast()
}

// exited forgets the process: called once it has exited but before it
// is reaped, so that no signal can reach a reused PID.
func (h *hub) exited() {
	h.mu.Lock()
	h.pid, h.in, h.console, h.over, h.pending = 0, nil, nil, true, nil
	h.started.Broadcast()
	h.mu.Unlock()
}

// output returns a writer that sends frames of kind to every client.
func (h *hub) output(kind byte) io.Writer { return hubWriter{h, kind} }

type hubWriter struct {
	h    *hub
	kind byte
}

func (w hubWriter) Write(p []byte) (int, error) {
	// One copy serves every client: none of them changes it.
	data := append([]byte(nil), p...)
	for _, c := range w.h.snapshot() {
		if c.req.Cleans && !c.primary {
			continue // a stop, there to clean up: no output
		}
		c.queue(outFrame{w.kind, data})
	}
	return len(p), nil
}

func (h *hub) snapshot() []*client {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
	}
	return out
}

// hasCleaner tells whether a client that cleans up after the process
// (attach.Request.Cleans: the one that started it, or a stop) is
// attached.
func (h *hub) hasCleaner() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c.req.Cleans {
			return true
		}
	}
	return false
}

// end tells every client how the process ended, once their output is
// out, and lets them go; final says no run follows, and then a client
// that cleans up is waited for until it hangs up.
func (h *hub) end(x attach.Exit, final bool) {
	h.mu.Lock()
	if final {
		h.final = &x
	}
	clients := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
		delete(h.clients, c)
	}
	// The next run starts afresh: new clients, input and signals.
	h.gen, h.over, h.stdinClosed = h.gen+1, false, false
	h.started.Broadcast()
	h.mu.Unlock()
	data, _ := json.Marshal(x)
	for _, c := range clients {
		c.queue(outFrame{attach.FrameExit, data})
		if final && c.req.Cleans {
			// It cleans up, then hangs up: the wait below waits for it.
			continue
		}
		c.queue(outFrame{frameDone, nil})
	}
	for _, c := range clients {
		<-c.gone
	}
}
