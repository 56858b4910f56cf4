package monitor

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/oci"
)

// consoleSocket listens for the master of a new terminal in container id.
func consoleSocket(dir, id string) (*oci.ConsoleSocket, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var b [4]byte
	rand.Read(b[:])
	return oci.ListenConsole(filepath.Join(dir, fmt.Sprintf("%s.%x", id[:16], b)))
}

// acceptClients serves the attach socket of container id until it is
// closed: clients attach to h, or run exec sessions (counted, with the
// handshakes, in execs). done closes when it returns: no more are
// counted after that.
func (m *Monitor) acceptClients(l *net.UnixListener, id string, execs *sync.WaitGroup, done chan<- struct{}) {
	defer close(done)
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			return
		}
		execs.Add(1)
		go func() {
			defer execs.Done()
			c, req, err := attach.Accept(conn)
			if err != nil {
				return
			}
			if req.Exec == nil {
				closeFiles(req.Extra) // only an exec'd process takes any
				m.h.join(c, req, false)
				return
			}
			m.execSession(id, c, req)
		}()
	}
}

// listenAttach opens container id's attach socket, replacing one a dead
// monitor left.
func (m *Monitor) listenAttach(id string) (*net.UnixListener, os.FileInfo, error) {
	if err := os.MkdirAll(filepath.Dir(m.setup.Attach), 0o700); err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", filepath.Dir(m.setup.Attach), err)
	}
	path := m.setup.Attach
	os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("listen for attaches to %.12s: %w", id, err)
	}
	ours, err := os.Stat(path)
	if err != nil {
		l.Close()
		return nil, nil, fmt.Errorf("listen for attaches to %.12s: %w", id, err)
	}
	return l, ours, nil
}

// closeAttach closes l and removes its socket, unless a later monitor of
// the container (a start right after a stop) has put its own there.
func closeAttach(l *net.UnixListener, ours os.FileInfo) {
	l.SetUnlinkOnClose(false)
	path := l.Addr().String()
	if now, err := os.Stat(path); err == nil && ours != nil && os.SameFile(now, ours) {
		os.Remove(path)
	}
	l.Close()
}
