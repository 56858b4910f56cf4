package containers

import (
	"fmt"
	"testing"

	"github.com/scow-project/scow/engine/record"
)

func TestNewRunCommand(t *testing.T) {
	value := func(n string) bool { return n == "name" || n == "e" || n == "cidfile" || n == "sdnotify" || n == "p" }
	tests := []struct {
		cmd  []string
		want string
	}{
		{[]string{"scow", "run", "-d", "--name", "web", "busybox", "sleep", "1"}, "[--name web busybox sleep 1]"},
		{[]string{"scow", "--root", "/x", "container", "create", "--rm", "-e", "A=-d", "img"}, "[-e A=-d img]"},
		{[]string{"scow", "run", "-dit", "--cidfile", "f", "--sdnotify=container", "--replace", "img", "-d"}, "[-it img -d]"},
		{[]string{"scow", "run", "-p", "80:80", "--detach=true", "img"}, "[-p 80:80 img]"},
		{[]string{"scow", "run", "--", "img"}, "[-- img]"},
	}
	for _, tt := range tests {
		got, err := newRunCommand(&record.Config{Name: "c", CreateCommand: tt.cmd}, value)
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("%v: %v (%v), want %s", tt.cmd, got, err, tt.want)
		}
	}
	for _, bad := range [][]string{nil, {"scow", "build", "."}, {"scow", "run", "-d"}} {
		if _, err := newRunCommand(&record.Config{Name: "c", CreateCommand: bad}, value); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
