//go:build scow_light

package main

import (
	"io"
	"strings"
	"testing"
)

// The light build runs the commands it has and hands everything else,
// help included, to the full scow, with the same arguments.
func TestHandsOver(t *testing.T) {
	app := newApp(nil, io.Discard, io.Discard)
	for in, want := range map[string]bool{
		"scow":                               true, // help
		"scow --help":                        true,
		"scow -h ps":                         true,
		"scow --root /r":                     true,
		"scow help":                          true,
		"scow build .":                       true,
		"scow pull busybox":                  true,
		"scow kube play x.yaml":              true,
		"scow system df":                     true,
		"scow image":                         true, // the group's help
		"scow image pull busybox":            true,
		"scow image build .":                 true,
		"scow image --help":                  true,
		"scow nosuchcmd":                     true,
		"scow run --rm busybox true":         false,
		"scow --root /r run busybox":         false,
		"scow --log-level debug ps -a":       false,
		"scow run --help":                    false, // run's own help: the same flags
		"scow container run busybox":         false,
		"scow image ls":                      false,
		"scow rm -f web":                     false,
		"scow exec web sh":                   false,
		"scow stop -t0 web":                  false,
		"scow images":                        false,
		"scow volume create v":               false,
		"scow --storage-driver vfs version":  false,
		"scow --runtime runc start -a web":   false,
		"scow network create --subnet x net": false,
	} {
		if got := handsOver(app, strings.Fields(in)); got != want {
			t.Errorf("%s: hands over %v, want %v", in, got, want)
		}
	}
}
