package netns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A rootless user's bridges live in one namespace of theirs, the infra
// namespace, pinned at RunDir/infra. slirp4netns connects it to the
// host (tap0, the default route) and a holder process keeps both: the
// first container to need them starts the holder; each running
// container's monitor keeps a shared lock on infra.users; once nobody
// does, the holder takes the namespace down and exits, so that no scow
// process outlives the last container, even one whose monitor was
// killed. infra.lock serialises starts and the teardown; the holder
// keeps infra.alive locked for its life.
const infraName = "infra"

// InfraArg is argv[1] of the infra holder.
const InfraArg = "__netinfra"

func (b Bridges) infraFile(ext string) string { return filepath.Join(b.RunDir, infraName+ext) }

// Acquire makes sure the bridges' namespace is up and keeps it up until
// the returned func is called. Root's is the host's namespace, where
// only forwarding needs turning on.
func (b Bridges) Acquire() (func(), error) {
	if !b.Rootless {
		return func() {}, enableForwarding()
	}
	if err := os.MkdirAll(b.RunDir, 0o700); err != nil {
		return nil, err
	}
	unlock, err := flock(b.infraFile(".lock"), unix.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !b.holderAlive() {
		if err := b.startHolder(); err != nil {
			return nil, err
		}
	}
	// The holder may hold this exclusively for a moment, to see whether
	// it is still needed; it lets go at once, seeing infra.lock held.
	return flock(b.infraFile(".users"), unix.LOCK_SH)
}

// EnterInfra moves the calling thread, locked to its goroutine, into the
// rootless bridges' namespace, starting it when none runs: for a program
// exec'd next (unshare --rootless-netns). The caller is in the user's
// namespace already.
func (b Bridges) EnterInfra() error {
	if !b.Rootless {
		return errors.New("root's networks are in the host's namespace: there is none to enter")
	}
	release, err := b.Acquire()
	if err != nil {
		return err
	}
	defer release() // the exec'd program, being in it, keeps it up
	f, err := os.Open(b.infraPath())
	if err != nil {
		return fmt.Errorf("open the rootless network namespace: %w", err)
	}
	defer f.Close()
	runtime.LockOSThread()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter the rootless network namespace: %w", err)
	}
	return nil
}

// holderAlive tells whether a holder has infra.alive locked.
func (b Bridges) holderAlive() bool {
	f, err := os.Open(b.infraFile(".alive"))
	if err != nil {
		return false
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == nil {
		return false
	}
	return true
}

// startHolder runs the holder, in a session of its own, and waits until
// it reports the namespace ready.
func (b Bridges) startHolder() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	cmd := exec.Command(exe, InfraArg, b.RunDir, b.StateDir, b.SlirpPath)
	cmd.ExtraFiles = []*os.File{readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		return fmt.Errorf("start the network namespace holder: %w", err)
	}
	go cmd.Wait()
	readyR.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 1)
	if _, err := io.ReadFull(readyR, buf); err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("the network namespace holder failed: %s", firstLine(stderr.String(), err))
	}
	return nil
}

// InfraMain is the holder: args are RunDir and StateDir. It makes the
// namespace, reports on fd 3, and stays until nobody uses it.
func InfraMain(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("%s RUNDIR STATEDIR SLIRP4NETNS", InfraArg)
	}
	b := Bridges{RunDir: args[0], StateDir: args[1], Rootless: true, SlirpPath: args[2]}
	// Kept until the teardown is over: the starter holds infra.lock
	// meanwhile.
	unlockAlive, err := flock(b.infraFile(".alive"), unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlockAlive()
	path := b.infraPath()
	users, err := os.OpenFile(b.infraFile(".users"), os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	// A holder that was killed while containers used its namespace left
	// it pinned, bridges and all: this one adopts it and only connects
	// it to the host again. Otherwise what a holder left describes
	// bridges that are gone.
	var fs unix.Statfs_t
	inUse := unix.Flock(int(users.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil
	unix.Flock(int(users.Fd()), unix.LOCK_UN)
	if !inUse || unix.Statfs(path, &fs) != nil || fs.Type != unix.NSFS_MAGIC {
		b.clear()
		if err := pin(path); err != nil {
			return fmt.Errorf("create the network namespace: %w", err)
		}
	}
	n := &Network{NSPath: path}
	n.onStop(func() { unpin(path) })
	down := func() {
		n.Stop()
		n.Wait()
		b.clear()
	}
	if err := inNS(path, enableForwarding); err != nil {
		down()
		return err
	}
	opts := []string{"--disable-host-loopback", "--mtu=65520"}
	if _, err := os.Stat("/proc/sys/net/ipv6"); err == nil {
		opts = append(opts, "--enable-ipv6") // for networks with IPv6 (NAT66 out)
	}
	if err := n.runSlirp(b.SlirpPath, opts, ""); err != nil {
		down()
		return err
	}
	os.NewFile(3, "ready").Write([]byte{1})
	for {
		// Nobody is using it when this is had; nobody is about to when
		// infra.lock is too.
		if err := unix.Flock(int(users.Fd()), unix.LOCK_EX); err != nil {
			return err
		}
		if unlock, err := flock(b.infraFile(".lock"), unix.LOCK_EX|unix.LOCK_NB); err == nil {
			// Dead before the next starter looks.
			down()
			unlockAlive()
			unlock()
			return nil
		}
		unix.Flock(int(users.Fd()), unix.LOCK_UN)
		time.Sleep(100 * time.Millisecond)
	}
}

// clear forgets the bridges of a namespace that is gone, keeping the
// directory (it is what is locked).
func (b Bridges) clear() {
	unlock, err := b.lock()
	if err != nil {
		return
	}
	defer unlock()
	entries, _ := os.ReadDir(b.StateDir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(b.StateDir, e.Name()))
	}
}
