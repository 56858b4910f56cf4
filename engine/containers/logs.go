package containers

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/logfile"
	"github.com/scow-project/scow/engine/record"
)

// LogOptions are the flags of logs.
type LogOptions struct {
	// Follow keeps reading until the container exits.
	Follow bool
	// Tail keeps the last n lines; negative means all.
	Tail int
	// Since and Until bound the lines by time; zero means unbounded.
	Since, Until time.Time
	// Timestamps prefixes each line with its time.
	Timestamps bool
	// Prefix goes before each line (logs of several containers: the
	// container's name or ID).
	Prefix string
}

// Logs writes a container's output to stdout and stderr, each line to the
// stream it came from.
func (e *Service) Logs(ctx context.Context, ref string, o LogOptions, stdout, stderr io.Writer) error {
	cfg, err := e.Config(ref)
	if err != nil {
		return err
	}
	if cfg.LogDriver == "none" {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container %s logs to the none driver: there are no logs to read", ref))
	}
	id := cfg.ID
	emit := func(l logfile.Line) {
		if !o.Since.IsZero() && l.Time.Before(o.Since) || !o.Until.IsZero() && l.Time.After(o.Until) {
			return
		}
		w := stdout
		if l.Stream == "stderr" {
			w = stderr
		}
		if o.Timestamps {
			fmt.Fprintf(w, "%s%s %s\n", o.Prefix, l.Time.Format(logfile.TimeFormat), l.Text)
		} else {
			fmt.Fprintf(w, "%s%s\n", o.Prefix, l.Text)
		}
	}
	path := e.Rec.LogPath(id)
	var r logfile.Reader
	var lines []logfile.Line
	collect := func(l logfile.Line) { lines = append(lines, l) }
	offset, err := logfile.Read(logfile.Files(path, cfg.LogMaxFiles), &r, collect)
	if err != nil {
		return fmt.Errorf("read log of %s: %w", ref, err)
	}
	st, err := e.State(ctx, id)
	running := err == nil && runs(st)
	if !running {
		r.Flush(collect) // the output is complete: a last line without newline
	}
	if o.Tail >= 0 && len(lines) > o.Tail {
		lines = lines[len(lines)-o.Tail:]
	}
	for _, l := range lines {
		emit(l)
	}
	if !o.Follow || !running {
		return nil
	}
	return e.follow(ctx, id, path, offset, &r, emit)
}

// follow reads what is appended to the log from offset until the
// container has exited and everything it wrote is out.
func (e *Service) follow(ctx context.Context, id, path string, offset int64, r *logfile.Reader, emit func(logfile.Line)) error {
	var ino uint64
	if st, err := os.Stat(path); err == nil {
		ino = st.Sys().(*syscall.Stat_t).Ino
	}
	for b := newBackoff(10*time.Millisecond, 200*time.Millisecond); ; {
		state, err := e.State(ctx, id)
		done := err != nil || state.Status != record.StatusRunning && state.Status != record.StatusRestarting
		f, err := os.Open(path)
		if err == nil {
			st, _ := f.Stat()
			if i := st.Sys().(*syscall.Stat_t).Ino; i != ino {
				ino, offset = i, 0 // rotated: the new file from its start
			}
			if _, err := f.Seek(offset, io.SeekStart); err == nil {
				if n, err := logfile.Scan(f, r, emit); err == nil && n != offset {
					offset = n
					b.reset()
				}
			}
			f.Close()
		}
		if done {
			r.Flush(emit)
			return nil
		}
		if b.wait(ctx) != nil {
			return nil
		}
	}
}
