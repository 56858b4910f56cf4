package monitor

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// notifier tells systemd, through NOTIFY_SOCKET, that the container is
// ready (--sdnotify): as the unit's main process when the CLI went away
// (a detached run), or for the CLI of a foreground run, which stays the
// unit's main process.
type notifier struct {
	socket     string // NOTIFY_SOCKET; "" outside a notify unit
	foreground bool
	once       sync.Once
	announced  sync.Once
}

// send writes one message to systemd's socket.
func (n *notifier) send(msg string) error {
	name := n.socket
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:] // an abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	_, err = c.Write([]byte(msg))
	return err
}

// mainPID names this monitor the unit's main process, for a detached
// run.
func (n *notifier) mainPID() string {
	if n.foreground {
		return ""
	}
	return fmt.Sprintf("MAINPID=%d\n", os.Getpid())
}

// ready sends READY=1 once.
func (n *notifier) ready() {
	if n.socket == "" {
		return
	}
	n.once.Do(func() {
		if err := n.send(n.mainPID() + "READY=1"); err != nil {
			fmt.Fprintf(os.Stderr, "Warning: %v\n", err)
		}
	})
}

// announce names this monitor the unit's main process, once, before it
// is ready.
func (n *notifier) announce() {
	if n.socket == "" {
		return
	}
	n.announced.Do(func() {
		if pid := n.mainPID(); pid != "" {
			n.send(strings.TrimSuffix(pid, "\n"))
		}
	})
}

// relay serves the socket in dir that a --sdnotify container container
// writes to, and passes its messages on, with this monitor as the main
// process; the returned function closes it.
func (n *notifier) relay(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "notify.sock")
	os.Remove(path)
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("--sdnotify container: %w", err)
	}
	// Any user of the container may tell.
	os.Chmod(path, 0o777)
	n.announce()
	go func() {
		buf := make([]byte, 4096)
		for {
			k, _, err := l.ReadFromUnix(buf)
			if err != nil {
				return
			}
			var keep []string
			for _, line := range strings.Split(string(buf[:k]), "\n") {
				// The container's own PIDs mean nothing to systemd.
				if line != "" && !strings.HasPrefix(line, "MAINPID=") {
					keep = append(keep, line)
				}
			}
			if len(keep) > 0 {
				n.send(strings.Join(keep, "\n"))
			}
		}
	}()
	return func() { l.Close(); os.RemoveAll(dir) }, nil
}
