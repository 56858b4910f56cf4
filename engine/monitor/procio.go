package monitor

import (
	"context"
	"io"
	"os"
	"sync"
	"time"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/logfile"
	"github.com/scow-project/scow/oci"
	"golang.org/x/sys/unix"
)

// procIO is a monitor's side of a process's stdio: pipes, or a terminal
// whose master the runtime sends over a console socket.
type procIO struct {
	// runtime are the ends the runtime hands to the process.
	runtime oci.Stdio
	// stdin is where input goes (a pipe, or the master), nil without -i.
	stdin          *os.File
	stdout, stderr *os.File
	console        *oci.ConsoleSocket
	master         *os.File
	interactive    bool
	files          []*os.File
}

func newProcIO(socketDir, id string, tty, interactive bool) (p *procIO, err error) {
	p = &procIO{interactive: interactive}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	p.files = append(p.files, devnull)
	p.runtime = oci.Stdio{In: devnull, Out: devnull, Err: devnull}
	if tty {
		p.console, err = consoleSocket(socketDir, id)
		return p, err
	}
	pipe := func(ours **os.File, theirs **os.File, write bool) error {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		p.files = append(p.files, r, w)
		if write {
			*ours, *theirs = w, r
		} else {
			*ours, *theirs = r, w
		}
		return nil
	}
	if err := pipe(&p.stdout, &p.runtime.Out, false); err != nil {
		return nil, err
	}
	if err := pipe(&p.stderr, &p.runtime.Err, false); err != nil {
		return nil, err
	}
	if interactive {
		if err := pipe(&p.stdin, &p.runtime.In, true); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// consolePath is the runtime's --console-socket, "" without a terminal.
func (p *procIO) consolePath() string {
	if p.console == nil {
		return ""
	}
	return p.console.Path()
}

// started lets go of the process's ends once the runtime has handed
// them over, and takes the terminal's master.
func (p *procIO) started() error {
	for _, f := range []*os.File{p.runtime.In, p.runtime.Out, p.runtime.Err} {
		f.Close()
	}
	if p.console == nil {
		return nil
	}
	master, err := p.console.Receive(10 * time.Second)
	p.console.Close()
	p.console = nil
	if err != nil {
		return err
	}
	p.master = master
	p.files = append(p.files, master)
	if p.interactive {
		p.stdin = master
	}
	return nil
}

// relay copies the process's output to the hub, and to log when set.
func (p *procIO) relay(h *hub, log *logfile.Writer) *sync.WaitGroup {
	var wg sync.WaitGroup
	pump := func(stream string, r *os.File, kind byte) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if log != nil {
				log.Relay(stream, r, h.output(kind))
			} else {
				io.Copy(h.output(kind), r)
			}
		}()
	}
	if p.master != nil {
		// A terminal has one stream; its end reads as EIO.
		pump("stdout", p.master, attach.FrameStdout)
	} else {
		pump("stdout", p.stdout, attach.FrameStdout)
		pump("stderr", p.stderr, attach.FrameStderr)
	}
	return &wg
}

// pass gives the process files as its descriptors from 3 on, /dev/null
// for a nil entry.
func (p *procIO) pass(files []*os.File) {
	p.runtime.Extra = nil
	for _, f := range files {
		if f == nil {
			f = p.files[0] // /dev/null
		}
		p.runtime.Extra = append(p.runtime.Extra, f)
	}
}

// closeFiles closes files, nil entries aside.
func closeFiles(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

func (p *procIO) close() {
	if p.console != nil {
		p.console.Close()
	}
	for _, f := range p.files {
		f.Close()
	}
}

// size is the terminal size a client asked for, 0 if none.
func (h *hub) size() (rows, cols uint16) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rows, h.cols
}

// wait waits for process pid (our child) to exit, forgets it, and only
// then reaps it: its exit code, 128+signal when killed.
func (h *hub) wait(pid int) int {
	var info unix.Siginfo
	for unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
	}
	h.exited()
	return waitPid(pid)
}

// execSession runs the process a client asked for in container id: it
// gets its own stdio (a terminal if the process asks for one), which
// the client streams unless it only wanted it started.
func (m *Monitor) execSession(id string, c *attach.Conn, req attach.Request) {
	defer closeFiles(req.Extra)
	h := newHub()
	if !req.Detach {
		h.join(c, req, true)
	}
	fail := func(err error) {
		x := attach.FailedExit(err)
		if req.Detach {
			c.SendJSON(attach.FrameExit, x)
			c.Close()
		} else {
			h.end(x, true)
		}
	}
	rt := &m.setup.Runtime
	if req.Exec.Terminal {
		oci.SetTerminal(req.Exec, req.Rows, req.Cols)
	}
	pio, err := newProcIO(m.setup.SocketDir, id, req.Exec.Terminal, req.Stdin)
	if err != nil {
		fail(err)
		return
	}
	defer pio.close()
	pio.pass(req.Extra)
	pid, err := rt.Exec(context.Background(), id, req.Exec, pio.runtime, pio.consolePath())
	closeFiles(req.Extra) // the process has its own now
	if err == nil {
		err = pio.started()
	}
	if err != nil {
		fail(err)
		return
	}
	h.run(pid, pio.stdin, pio.master)
	c.Send(attach.FrameStarted, nil)
	if req.Detach {
		c.Close()
	}
	relays := pio.relay(h, nil)
	code := h.wait(pid)
	relays.Wait()
	h.end(attach.Exit{Code: code}, true)
}
