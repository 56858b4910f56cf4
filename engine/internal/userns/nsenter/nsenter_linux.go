// Package nsenter is the C constructor that puts a scow CLI process into
// its user's shared namespace before the Go runtime starts threads (see
// nsenter_linux.c), and tells package userns what it did. Only the CLI
// links it: scow-monitor, started inside the namespace, needs no
// constructor and so is built without cgo.
package nsenter

/*
extern int scow_userns_joined;
extern int scow_userns_single;
extern int scow_rootless_uid;
extern int scow_rootless_gid;
extern char scow_userns_error[512];
*/
import "C"

import "github.com/scow-project/scow/engine/internal/userns"

func init() {
	if msg := C.GoString(&C.scow_userns_error[0]); msg != "" {
		userns.JoinFailed(msg)
	}
	if C.scow_userns_joined == 1 {
		userns.Joined(int(C.scow_rootless_uid), int(C.scow_rootless_gid), C.scow_userns_single == 1)
	}
}
