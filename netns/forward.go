package netns

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/rootless-containers/rootlesskit/v2/pkg/port"
	"github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin/child"
	opaquepkg "github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin/opaque"
	"github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin/parent"
)

// forward publishes the ports with rootlesskit's builtin port driver:
// its parent half, in this process, listens on the host; its child half,
// a helper living in namespace childNS ("" for the host's), dials the
// container's port at childIP and hands the connection over, so that
// data moves between two kernel sockets instead of through slirp's
// user-mode TCP.
func (n *Network) forward(o Options, childNS, childIP string) error {
	if len(o.Ports) == 0 {
		return nil
	}
	ports, err := choosePorts(o.Ports, o.Rootless)
	if err != nil {
		return err
	}
	dir := portsDir(n.NSPath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	n.onStop(func() { os.RemoveAll(dir) })
	pd, err := parent.NewDriver(io.Discard, dir)
	if err != nil {
		return fmt.Errorf("port forwarder: %w", err)
	}
	quit := make(chan struct{})
	n.onStop(func() {
		close(quit)
		// The parent half waits in an open of the child's ready pipe,
		// which quit does not end: a writer that opens and goes does.
		if f, err := os.OpenFile(pd.OpaqueForChild()[opaquepkg.ChildReadyPipePath], os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	childErr := make(chan error, 1)
	stopChild, err := startPortChild(childNS, pd.OpaqueForChild(), childErr)
	if err != nil {
		return err
	}
	n.onStop(stopChild)
	ready, parentErr := make(chan struct{}, 1), make(chan error, 1)
	go func() { parentErr <- pd.RunParentDriver(ready, quit, nil) }()
	select {
	case <-ready:
	case err := <-childErr:
		return fmt.Errorf("port forwarder: %w", err)
	case err := <-parentErr:
		return fmt.Errorf("port forwarder: %w", err)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("port forwarder: not ready after 10 s")
	}
	for _, p := range ports {
		st, err := pd.AddPort(context.Background(), port.Spec{
			Proto: p.Protocol, ParentIP: p.HostIP, ParentPort: int(p.HostPort),
			// Dialed at the container's address: connections from loopback
			// would pass for local ones inside (Podman's CVE-2021-20199).
			ChildIP: childIP, ChildPort: int(p.ContainerPort),
		})
		if err != nil {
			return publishError(p, err)
		}
		id := st.ID
		n.onStop(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			pd.RemovePort(ctx, id)
		})
	}
	n.Ports = ports
	return nil
}

// PortChildArg is argv[1] of the child half.
const PortChildArg = "__portchild"

// startPortChild runs the child half: this binary re-executed, forked
// from a thread that joined namespace nsPath ("" for the host's), so that
// the whole child and every dial it makes are in the namespace. It ends
// when the pipe on its fd 3 closes, with the monitor or at stop.
func startPortChild(nsPath string, opaque map[string]string, failed chan<- error) (func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	quitR, quitW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, PortChildArg, opaque[opaquepkg.SocketPath], opaque[opaquepkg.ChildReadyPipePath])
	cmd.ExtraFiles = []*os.File{quitR}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	err = inNSOf(nsPath, cmd.Start)
	quitR.Close()
	if err != nil {
		quitW.Close()
		return nil, fmt.Errorf("start the port forwarder: %w", err)
	}
	done := make(chan struct{})
	go func() {
		if err := cmd.Wait(); err != nil {
			failed <- fmt.Errorf("%s", firstLine(stderr.String(), err))
		}
		close(done)
	}()
	return func() {
		quitW.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}, nil
}

// PortChildMain runs the child half in the namespace the process is in,
// until fd 3 closes.
func PortChildMain(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("%s SOCKET READY-PIPE", PortChildArg)
	}
	quit := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.NewFile(3, "quit"))
		close(quit)
	}()
	opaque := map[string]string{opaquepkg.SocketPath: args[0], opaquepkg.ChildReadyPipePath: args[1]}
	return child.NewDriver(io.Discard).RunChildDriver(opaque, quit, "")
}
