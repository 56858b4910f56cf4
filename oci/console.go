package oci

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ConsoleSocket receives the pseudo-terminal master a runtime creates for
// a process with a terminal (its --console-socket).
type ConsoleSocket struct {
	path string
	l    *net.UnixListener
}

// ListenConsole listens at path, which must not exist.
func ListenConsole(path string) (*ConsoleSocket, error) {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen for the console: %w", err)
	}
	return &ConsoleSocket{path: path, l: l}, nil
}

// Path is what the runtime's --console-socket gets.
func (c *ConsoleSocket) Path() string { return c.path }

// Receive waits up to timeout for the runtime to send the master.
func (c *ConsoleSocket) Receive(timeout time.Duration) (*os.File, error) {
	c.l.SetDeadline(time.Now().Add(timeout))
	conn, err := c.l.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("wait for the console: %w", err)
	}
	defer conn.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("read the console: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, errors.New("the runtime sent no console")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, errors.New("the runtime sent no console")
	}
	return os.NewFile(uintptr(fds[0]), "console"), nil
}

// Close stops listening and removes the socket.
func (c *ConsoleSocket) Close() error {
	return c.l.Close() // a listener made by Listen unlinks its path
}

// SetConsoleSize sets the window size of a pseudo-terminal.
func SetConsoleSize(f *os.File, rows, cols uint16) error {
	return unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
}
