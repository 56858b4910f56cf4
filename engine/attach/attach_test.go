package attach

import (
	"bytes"
	"net"
	"testing"

	"github.com/scow-project/scow/engine/errdefs"
)

func TestParseDetachKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
		bad  bool
	}{
		{in: "", want: nil},
		{in: "ctrl-p,ctrl-q", want: []byte{0x10, 0x11}},
		{in: "ctrl-a,x", want: []byte{1, 'x'}},
		{in: "CTRL-Z", want: []byte{26}},
		{in: "ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", want: []byte{0, 27, 28, 29, 30, 31}},
		{in: "ctrl-1", bad: true},
		{in: "ctrl-", bad: true},
		{in: "ab", bad: true},
		{in: "a,,b", bad: true},
	} {
		got, err := ParseDetachKeys(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%q: got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestDetachFilter(t *testing.T) {
	keys := []byte{0x10, 0x11}
	for _, tc := range []struct {
		name   string
		chunks []string
		want   string
		detach bool
	}{
		{"plain", []string{"abc"}, "abc", false},
		{"keys", []string{"ab\x10\x11cd"}, "ab", true},
		{"split", []string{"ab\x10", "\x11"}, "ab", true},
		{"held then released", []string{"a\x10", "b"}, "a\x10b", false},
		{"first key twice", []string{"\x10\x10\x11"}, "\x10", true},
		{"second key alone", []string{"\x11x"}, "\x11x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := detachFilter{keys: keys}
			var got []byte
			detached := false
			for _, c := range tc.chunks {
				out, det := d.filter([]byte(c))
				got = append(got, out...)
				if det {
					detached = true
					break
				}
			}
			if string(got) != tc.want || detached != tc.detach {
				t.Errorf("got %q, detach %v; want %q, %v", got, detached, tc.want, tc.detach)
			}
		})
	}
	if out, det := (&detachFilter{}).filter([]byte("\x10\x11")); det || string(out) != "\x10\x11" {
		t.Errorf("no keys: %q %v", out, det)
	}
}

func TestFrames(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := NewConn(a)
	go func() {
		c.Send(FrameStdout, []byte("hello"))
		c.Send(FrameStdin, nil)
		c.SendJSON(FrameExit, Exit{Code: 3})
		a.Write([]byte{FrameStdout, 0xff, 0, 0, 0})
	}()
	var buf []byte
	for _, want := range []struct {
		kind byte
		data string
	}{{FrameStdout, "hello"}, {FrameStdin, ""}, {FrameExit, `{"code":3}`}} {
		kind, data, err := ReadFrame(b, &buf)
		if err != nil || kind != want.kind || string(data) != want.data {
			t.Errorf("got %c %q %v; want %c %q", kind, data, err, want.kind, want.data)
		}
	}
	if _, _, err := ReadFrame(b, &buf); err == nil {
		t.Error("a 4 GiB frame was accepted")
	}
	for _, tc := range []struct {
		data string
		code int
		ok   bool
	}{{`{"code":0}`, 0, true}, {`{"code":7}`, 7, false}, {`{"code":127,"error":"nope","class":"command-not-found"}`, 127, false}} {
		err := ExitResult([]byte(tc.data))
		code := 0
		if err != nil {
			code = errdefs.ExitCode(err)
		}
		if (err == nil) != tc.ok || code != tc.code {
			t.Errorf("%s: %v (code %d)", tc.data, err, code)
		}
	}
}

func TestWatchExit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames []byte // kinds the monitor sends before it hangs up
		want   bool
	}{
		{name: "exit after output", frames: []byte{FrameStdout, FrameStderr, FrameExit}, want: true},
		{name: "exit alone", frames: []byte{FrameExit}, want: true},
		{name: "hung up first", frames: []byte{FrameStdout}, want: false},
		{name: "nothing", want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, theirs := net.Pipe()
			defer ours.Close()
			heard := NewConn(ours).WatchExit()
			monitor := NewConn(theirs)
			for _, kind := range tc.frames {
				if err := monitor.Send(kind, []byte("{}")); err != nil {
					t.Fatal(err)
				}
			}
			theirs.Close()
			if got := <-heard; got != tc.want {
				t.Errorf("heard %v, want %v", got, tc.want)
			}
		})
	}
}
