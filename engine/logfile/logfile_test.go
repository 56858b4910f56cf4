package logfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	w, err := Open(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	chunks := []struct{ stream, data string }{
		{"stdout", "one\ntw"},
		{"stderr", "err line\n"},
		{"stdout", "o\nthree\n"},
		{"stdout", "no newline"},
	}
	for _, c := range chunks {
		if err := w.Write(c.stream, []byte(c.data)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	var r Reader
	var got []string
	collect := func(l Line) { got = append(got, l.Stream+":"+l.Text) }
	if _, err := Read([]string{path}, &r, collect); err != nil {
		t.Fatal(err)
	}
	r.Flush(collect)
	want := []string{"stdout:one", "stderr:err line", "stdout:two", "stdout:three", "stdout:no newline"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	data, _ := os.ReadFile(path)
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if f := strings.SplitN(l, " ", 4); len(f) != 4 || (f[2] != "P" && f[2] != "F") {
			t.Errorf("not a k8s-file entry: %q", l)
		}
	}
}

func TestLogRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	w, err := Open(path, 1000, 3)
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		w.Write("stdout", []byte("a line of output\n"))
	}
	w.Close()
	files := Files(path, 3)
	if len(files) != 3 {
		t.Fatalf("files %v, want 3", files)
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Size() > 1000 {
			t.Errorf("%s: %v, bigger than max-size", f, err)
		}
	}
	var r Reader
	n := 0
	Read(files, &r, func(Line) { n++ })
	if n == 0 || n >= 200 {
		t.Errorf("read %d lines back from rotated files", n)
	}
}
