package netns

import (
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// pin creates a network namespace with its loopback up and bind-mounts
// it at path, so that it outlives the thread that made it and others can
// join it.
func pin(path string) error {
	if err := pinFile(path); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		// The thread enters the new namespace and is never used again:
		// returning without UnlockOSThread makes the runtime end it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		if err := loopbackUp(); err != nil {
			errc <- err
			return
		}
		errc <- unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), path, "none", unix.MS_BIND, "")
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// pinFrom pins the network namespace of process pid at path, with its
// loopback up.
func pinFrom(path string, pid int) error {
	if err := pinFile(path); err != nil {
		return err
	}
	err := unix.Mount(fmt.Sprintf("/proc/%d/ns/net", pid), path, "none", unix.MS_BIND, "")
	if err == nil {
		err = inNS(path, loopbackUp)
	}
	if err != nil {
		unpin(path)
	}
	return err
}

// pinFile makes the file a namespace is pinned on, in place of a pin a
// crashed monitor left of this container's last run.
func pinFile(path string) error {
	unpin(path)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	return f.Close()
}

// unpin releases a namespace pin; the namespace ends with its last user.
func unpin(path string) {
	unix.Unmount(path, unix.MNT_DETACH)
	os.Remove(path)
}

// loopbackUp brings up lo in this thread's network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("read flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}

// unprivilegedPortStart is the first port an unprivileged user may bind.
func unprivilegedPortStart() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	var n int
	if _, err := fmt.Sscan(string(data), &n); err != nil {
		return 1024
	}
	return n
}

// freePort asks the kernel for a free port on ip.
func freePort(proto, ip string) (uint16, error) {
	if proto == "udp" {
		c, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}

// freePortIn finds a port of lo..hi that is free on ip.
func freePortIn(proto, ip string, lo, hi uint16) (uint16, error) {
	for p := lo; ; p++ {
		if CheckPorts([]PortMapping{{HostIP: ip, HostPort: p, ContainerPort: 1, Protocol: proto}}, false) == nil {
			return p, nil
		}
		if p == hi {
			return 0, fmt.Errorf("%w: no port of %d-%d is free on the host", ErrInvalidPort, lo, hi)
		}
	}
}

// inNS runs f on a thread in the network namespace at path; the thread
// is dropped afterwards.
func inNS(path string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter %s: %w", path, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// inNSOf runs f in the namespace at path, or in this thread's own when
// path is "".
func inNSOf(path string, f func() error) error {
	if path == "" {
		return f()
	}
	return inNS(path, f)
}

// pastaReady tells whether pasta has configured the namespace: an
// interface other than lo has an IPv4 address.
func pastaReady(path string) bool {
	ready := false
	inNS(path, func() error {
		ifs, err := net.Interfaces()
		if err != nil {
			return err
		}
		for _, i := range ifs {
			if i.Flags&net.FlagLoopback != 0 {
				continue
			}
			addrs, _ := i.Addrs()
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
					ready = true
				}
			}
		}
		return nil
	})
	return ready
}
