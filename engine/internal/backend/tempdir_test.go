package backend

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/scow-project/scow/engine/record"
	"golang.org/x/sys/unix"
)

// TestTempDir: a directory in use survives the sweep of another
// TempDir; one nobody holds (left by a killed invocation) does not;
// what is not TempDir's is left alone.
func TestTempDir(t *testing.T) {
	root := t.TempDir()
	b := &Backend{Opts: Options{TmpDir: root}}
	inUse, doneInUse, err := b.TempDir("a-")
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(root, tempPrefix+"b-stale")
	foreign := filepath.Join(root, "tmux-1000")
	os.Mkdir(foreign, 0o700)
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	// Another process's lock: a second open file description.
	other := filepath.Join(root, tempPrefix+"c-other")
	os.Mkdir(other, 0o700)
	unlockOther, err := record.LockDir(other, unix.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	dir, done, err := b.TempDir("d-")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{inUse: true, stale: false, other: true, dir: true, foreign: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", path, err == nil, want)
		}
	}
	done()
	doneInUse()
	unlockOther()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("done left %s: %v", dir, err)
	}
}
