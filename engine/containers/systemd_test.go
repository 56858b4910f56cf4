package containers

import (
	"fmt"
	"testing"

	"github.com/scow-project/scow/engine/internal/backend"
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
		{[]string{"scow", "run", "-dp", "8080:80", "img"}, "[-p 8080:80 img]"},
		{[]string{"scow", "run", "-itdp", "8080:80", "img"}, "[-itp 8080:80 img]"},
		{[]string{"scow", "run", "-tp", "80:80", "--cidfile", "x", "img"}, "[-tp 80:80 img]"},
		{[]string{"scow", "run", "-dit", "--pod", "shop", "--pod-id-file=x", "img"}, "[-it img]"},
	}
	for _, tt := range tests {
		got, err := newRunCommand(&record.Config{Name: "c", CreateCommand: tt.cmd}, value)
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("%v: %v (%v), want %s", tt.cmd, got, err, tt.want)
		}
	}
	if got := globalArgs(backend.Options{Root: "/r", RunRoot: "/rr", StorageDriver: "vfs", StorageOpts: []string{"a=b"}, NoEvents: true}); fmt.Sprint(got) !=
		"[--root /r --runroot /rr --storage-driver vfs --storage-opt a=b --events-backend none]" {
		t.Errorf("globalArgs: %v", got)
	}
	for _, bad := range [][]string{nil, {"scow", "build", "."}, {"scow", "run", "-d"}} {
		if _, err := newRunCommand(&record.Config{Name: "c", CreateCommand: bad}, value); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestPodCreateCommand(t *testing.T) {
	value := func(n string) bool { return n == "name" || n == "p" || n == "pod-id-file" || n == "label" }
	for _, tt := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"scow", "pod", "create", "-p", "80", "--label", "name"}, "[-p 80 --label name --name shop]"},
		{[]string{"scow", "pod", "create", "--replace", "--pod-id-file", "f", "--exit-policy=stop", "shop"}, "[shop]"},
		{[]string{"scow", "--root", "/r", "pod", "create", "--name=shop"}, "[--name=shop]"},
	} {
		got, err := podCreateCommand(&record.Pod{Name: "shop", CreateCommand: tt.cmd}, value)
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("%v: %v (%v), want %s", tt.cmd, got, err, tt.want)
		}
	}
	if _, err := podCreateCommand(&record.Pod{Name: "x", CreateCommand: []string{"scow", "pod", "clone", "y"}}, value); err == nil {
		t.Error("a clone's command: no error")
	}
}
