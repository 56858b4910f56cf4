//go:build e2e

package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

func TestUserErrors(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		tests := []struct {
			name  string
			args  []string
			words []string
		}{
			{"unknown image", []string{"run", "--rm", "nosuch"}, []string{"nosuch", "not known"}},
			{"malformed image name", []string{"run", "--rm", "Bad::Name"}, []string{"Bad::Name", "invalid"}},
			{"malformed tag target", []string{"tag", "busybox", "UPPER"}, []string{"UPPER"}},
			{"missing import file", []string{"import", "/no/such.tar"}, []string{"/no/such.tar"}},
			{"missing load file", []string{"load", "-i", "/no/such.tar"}, []string{"/no/such.tar"}},
			{"bad -v spec", []string{"run", "--rm", "-v", "nocolon", "busybox", "true"}, []string{"nocolon"}},
			{"relative container path", []string{"run", "--rm", "-v", "/tmp:rel", "busybox", "true"}, []string{"absolute"}},
			{"bad -v option", []string{"run", "--rm", "-v", "/tmp:/t:bogus", "busybox", "true"}, []string{"bogus"}},
			{"unknown flag", []string{"run", "--bogus-flag", "busybox"}, []string{"bogus-flag"}},
			{"unknown global flag", []string{"--nope", "images"}, []string{"nope"}},
			{"bad network", []string{"run", "--rm", "--network", "weird", "busybox", "true"}, []string{"weird"}},
			{"bad env", []string{"run", "--rm", "-e", "=x", "busybox", "true"}, []string{"=x"}},
			{"missing env file", []string{"run", "--rm", "--env-file", "/no/env", "busybox", "true"}, []string{"/no/env"}},
			{"unknown user", []string{"run", "--rm", "-u", "nobody-here", "busybox", "true"}, []string{"nobody-here"}},
			{"relative workdir", []string{"run", "--rm", "-w", "rel", "busybox", "true"}, []string{"rel"}},
			{"save to unknown format", []string{"save", "--format", "zip", "-o", "/tmp/x.tar", "busybox"}, []string{"zip"}},
			{"save of unknown image", []string{"save", "-o", "/tmp/x.tar", "nosuch"}, []string{"nosuch"}},
			{"missing run image", []string{"run"}, []string{"usage"}},
			{"inspect of nothing", []string{"inspect", "nosuchthing"}, []string{"no container, image, volume or network", "nosuchthing"}},
			{"inspect of a bad type", []string{"inspect", "--type", "bogus", "busybox"}, []string{"--type"}},
			{"inspect of the wrong kind", []string{"inspect", "--type", "volume", "busybox"}, []string{"no such volume", "busybox"}},
			// Fails once the layer is made: all of it is undone.
			{"cidfile in a missing directory", []string{"create", "--cidfile", "/nonexistent/dir/cid", "busybox", "true"}, []string{"/nonexistent/dir/cid"}},
		}
		before := containerCount(t, m.root)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, m.scow(t, tc.args...), 125, tc.words...)
			})
		}
		if after := containerCount(t, m.root); after != before {
			t.Errorf("failed commands left containers: %d, had %d", after, before)
		}
	})
}

func TestVersionAndHelpNeedNoStorage(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		root, run := m.newDirs(t, "nostore")
		for _, args := range [][]string{{"version"}, {"--version"}, {"--help"}, {"run", "--help"}} {
			r := execute(t, m.cmdIn(t.Context(), root+"/never", run+"/never", args...), "")
			if r.code != 0 || r.stdout == "" {
				t.Errorf("%v: %s", args, r)
			}
		}
		if _, err := osStat(root + "/never"); err == nil {
			t.Error("version or help created the data root")
		}
	})
}

// smallDisk mounts a fresh 64 MiB ext4 filesystem that the mode's user
// owns, for tests that fill it.
func smallDisk(t *testing.T, m *mode) string {
	t.Helper()
	base := m.userDir(t)
	img, dir := filepath.Join(base, "disk.img"), filepath.Join(base, "disk")
	os.Mkdir(dir, 0o755)
	for _, c := range [][]string{
		{"truncate", "-s", "64M", img},
		{"mkfs.ext4", "-q", "-F", "-m", "0", img},
		{"mount", "-o", "loop", img, dir},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			if os.Getenv("CI") != "true" {
				t.Skipf("no small disk for the test (loop devices, mkfs.ext4): %v: %v\n%s", c, err, out)
			}
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	os.Chown(dir, m.uid, m.gid)
	if m.rootless {
		endNamespace(t, m.uid)
	}
	return dir
}

// fill writes files as the mode's user into dir until the disk is full.
func fill(t *testing.T, m *mode, dir string) {
	t.Helper()
	c := exec.Command("sh", "-c", "dd if=/dev/zero of=pad bs=64k; dd if=/dev/zero of=pad2 bs=1k; i=0; while echo > p$i; do i=$((i+1)); done")
	c.Dir = dir
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(m.uid), Gid: uint32(m.gid), Groups: []uint32{}}}
	c.Run()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Bavail != 0 {
		t.Fatalf("the disk is not full: %d blocks free, %v", st.Bavail, err)
	}
}

// TestFullDisk fills the store's disk with a container: every command
// that needs space then fails with one line and leaves nothing behind,
// and removing the container, which frees the space, works.
func TestFullDisk(t *testing.T) {
	forModes(t, func(t *testing.T, m *mode) {
		disk := smallDisk(t, m)
		root := filepath.Join(disk, "root")
		_, run := m.newDirs(t, "full")
		scow := func(args ...string) result {
			return execute(t, m.cmdIn(t.Context(), root, run, args...), "")
		}
		if r := scow("load", "-i", suite.image); r.code != 0 {
			t.Fatal(r)
		}
		scow("run", "--name", "filler", "busybox", "dd", "if=/dev/zero", "of=/big", "bs=1M")
		fill(t, m, disk)
		for _, args := range [][]string{
			{"load", "-i", suite.image},
			{"run", "--rm", "busybox", "true"},
			{"create", "--name", "more", "busybox", "true"},
			{"volume", "create", "v"},
		} {
			wantError(t, scow(args...), 125, "no space left on device")
		}
		if n := containerCount(t, root); n != 1 {
			t.Errorf("failed commands on a full disk left records: %d, want 1", n)
		}
		if r := scow("rm", "-f", "-t", "0", "filler"); r.code != 0 || r.stdout != "filler\n" {
			t.Fatalf("rm on a full disk: %s", r)
		}
		if n := containerCount(t, root); n != 0 {
			t.Errorf("%d records after rm", n)
		}
		// The space is back: the store works again.
		if r := scow("run", "--rm", "busybox", "echo", "ok"); r.code != 0 || r.stdout != "ok\n" {
			t.Errorf("run after freeing the disk: %s", r)
		}
	})
}
