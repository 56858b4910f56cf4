package testhook

import (
	"fmt"
	"os"
)

// Pause stops the process at point when SCOW_TEST_PAUSE names it. It says
// so on stderr, and in the file SCOW_TEST_PAUSED names, if any, where a
// test waits for it.
func Pause(point string) {
	if os.Getenv("SCOW_TEST_PAUSE") != point {
		return
	}
	fmt.Fprintf(os.Stderr, "paused at %s\n", point)
	if p := os.Getenv("SCOW_TEST_PAUSED"); p != "" {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			fmt.Fprintf(f, "%d %s\n", os.Getpid(), point)
			f.Close()
		}
	}
	select {}
}
