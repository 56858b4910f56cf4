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
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := personality(0xffffffff)
	if err != nil {
		return fmt.Errorf("read personality: %w", err)
	}
	if _, err := personality(persona); err != nil {
		return fmt.Errorf("personality %s: %w", p.Domain, err)
	}
	err = cmd.Start()
	if _, rerr := personality(old); rerr != nil && err == nil {
		err = fmt.Errorf("restore personality: %w", rerr)
	}
	if err != nil {
		return err
	}
	return cmd.Wait()
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
