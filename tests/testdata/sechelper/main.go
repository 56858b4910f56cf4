// Command sechelper probes a container's confinement for the tests,
// which run it where busybox has no applet for the probe:
//
//	sechelper euid             prints the effective user ID
//	sechelper as UID CMD...    becomes UID (user and group) and runs CMD
//	sechelper keyctl           prints "ok" or the error of a keyctl(2)
//	                           call, which the default seccomp profile refuses
//
// Installed set-user-ID root, "as 1000 sechelper euid" prints 0, or
// 1000 where no-new-privileges holds.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: sechelper euid|as UID CMD...|keyctl"))
	}
	switch os.Args[1] {
	case "euid":
		fmt.Println(os.Geteuid())
	case "as":
		if len(os.Args) < 4 {
			fail(fmt.Errorf("usage: sechelper as UID CMD..."))
		}
		id, err := strconv.Atoi(os.Args[2])
		if err != nil {
			fail(err)
		}
		path, err := exec.LookPath(os.Args[3])
		if err != nil {
			fail(err)
		}
		if err := syscall.Setgroups(nil); err != nil {
			fail(err)
		}
		if err := syscall.Setgid(id); err != nil {
			fail(err)
		}
		if err := syscall.Setuid(id); err != nil {
			fail(err)
		}
		fail(syscall.Exec(path, os.Args[3:], os.Environ()))
	case "keyctl":
		// KEYCTL_GET_KEYRING_ID (0) of the session keyring (-3).
		session := -3
		_, _, errno := syscall.Syscall(syscall.SYS_KEYCTL, 0, uintptr(session), 0)
		if errno != 0 {
			fmt.Println(errno)
			return
		}
		fmt.Println("ok")
	default:
		fail(fmt.Errorf("unknown probe %q", os.Args[1]))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sechelper:", err)
	os.Exit(1)
}
