package main

import (
	"io"
	"strings"
	"testing"
)

func TestComplete(t *testing.T) {
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	app.Setup()
	names := func(kind string) []string {
		return map[string][]string{
			"container": {"web", "worker", "db"},
			"image":     {"busybox:latest", "alpine:3"},
			"volume":    {"data"},
			"network":   {"front"},
		}[kind]
	}
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"ru"}, "run"},
		{[]string{"stop", "w"}, "web worker"},
		{[]string{"stop", "-t", "0", "d"}, "db"},
		{[]string{"run", "--rm", "b"}, "busybox:latest"},
		{[]string{"rm", "--fo"}, "--force"},
		{[]string{"volume", "rm", ""}, "data"},
		{[]string{"volume", "cr"}, "create"},
		{[]string{"network", "connect", "f"}, "front"},
		{[]string{"image", "rm", "a"}, "alpine:3"},
		{[]string{"container", "exists", "d"}, "db"},
		{[]string{"ps", ""}, ""},
		{[]string{"completion", ""}, ""},
	}
	for _, tt := range tests {
		var b strings.Builder
		complete(app, tt.words, names, &b)
		if got := strings.Join(strings.Fields(b.String()), " "); got != tt.want {
			t.Errorf("complete %q = %q, want %q", tt.words, got, tt.want)
		}
	}
}

func TestCompletionOptions(t *testing.T) {
	o := completionOptions([]string{"--root", "/r", "--volumepath=/v", "--network-config-dir", "/n", "volume", "rm", ""})
	if o.Root != "/r" || o.VolumePath != "/v" || o.NetworkConfigDir != "/n" || o.RunRoot != "" {
		t.Errorf("completionOptions = %+v", o)
	}
}
