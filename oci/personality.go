package oci

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Personalities are the execution domains a spec may ask, by name, with
// their personality(2) values.
var Personalities = map[string]uint{"LINUX": 0x0000, "LINUX32": 0x0008}

// bundlePersonality is the personality the spec in bundle asks, nil for
// none (or no readable spec: the runtime reports that).
func bundlePersonality(bundle string) *specs.LinuxPersonality {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil
	}
	var s struct {
		Linux *struct {
			Personality *specs.LinuxPersonality `json:"personality"`
		} `json:"linux"`
	}
	if json.Unmarshal(data, &s) != nil || s.Linux == nil {
		return nil
	}
	return s.Linux.Personality
}

// runWithPersonality runs cmd, a runtime creating a container, with the
// personality p asks. runc before 1.2 ignores the spec's personality, and
// a personality passes through fork and exec: the runtime, its init and
// the container's process get it from the thread that forks the runtime,
// which has it only for the fork. (Go starts new threads from a template
// thread while one is locked, so no other thread inherits it.)
func runWithPersonality(cmd *exec.Cmd, p *specs.LinuxPersonality) error {
	if p == nil {
		return cmd.Run()
	}
	persona, ok := Personalities[string(p.Domain)]
	if !ok {
		return fmt.Errorf("personality %q: want LINUX or LINUX32", p.Domain)
	}
	if err := startWithPersonality(cmd, persona); err != nil {
		return fmt.Errorf("personality %s: %w", p.Domain, err)
	}
	return cmd.Wait()
}

// startWithPersonality starts cmd from a thread with persona, in a
// goroutine of its own: a thread whose persona cannot be restored stays
// locked and ends with that goroutine, never to run other code.
func startWithPersonality(cmd *exec.Cmd, persona uint) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		old, err := personality(0xffffffff)
		if err == nil {
			_, err = personality(persona)
		}
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		err = cmd.Start()
		if _, rerr := personality(old); rerr != nil {
			if err == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
			errc <- fmt.Errorf("restore personality: %w", rerr)
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// personality sets the calling thread's persona and returns the one it
// had; 0xffffffff only reads it.
func personality(persona uint) (uint, error) {
	old, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, uintptr(persona), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return uint(old), nil
}
