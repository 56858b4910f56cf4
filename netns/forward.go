package netns

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rootless-containers/rootlesskit/v2/pkg/port"
	"github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin/child"
	"github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin/parent"
)

// forward publishes the ports with rootlesskit's builtin port driver,
// both halves in this process: the parent listens on the host, the
// child dials the container's port from inside its namespace, and the
// connection is handed over, so that data moves between two kernel
// sockets instead of through slirp's user-mode TCP.
func (n *Network) forward(o Options) error {
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
	n.onStop(func() { close(quit) })
	childErr := make(chan error, 1)
	go func() { childErr <- child.NewDriver(io.Discard).RunChildDriver(pd.OpaqueForChild(), quit, n.NSPath) }()
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
			ChildIP: "127.0.0.1", ChildPort: int(p.ContainerPort),
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
