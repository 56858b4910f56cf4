package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// The container log is in CRI's k8s-file format, as Podman writes it:
// one line per chunk, "TIMESTAMP STREAM P|F CONTENT", where P marks a
// partial line that the next entry continues and F a full one.
const logTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// logWriter appends container output to a log file, rotating it at
// maxSize into at most maxFiles files. Safe for concurrent streams.
type logWriter struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	size     int64
	maxSize  int64
	maxFiles int
}

func openLog(path string, maxSize int64, maxFiles int) (*logWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if maxFiles < 1 {
		maxFiles = 1
	}
	return &logWriter{path: path, f: f, size: st.Size(), maxSize: maxSize, maxFiles: maxFiles}, nil
}

// write records one chunk of a stream ("stdout" or "stderr"), one entry
// per line; the file rotates between entries once it would pass maxSize.
func (w *logWriter) write(stream string, chunk []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var buf bytes.Buffer
	ts := time.Now().Format(logTimeFormat)
	for len(chunk) > 0 {
		line, rest, full := bytes.Cut(chunk, []byte{'\n'})
		flag := "P"
		if full {
			flag = "F"
		}
		n := buf.Len()
		fmt.Fprintf(&buf, "%s %s %s %s\n", ts, stream, flag, line)
		if w.maxSize > 0 && w.size+int64(buf.Len()) > w.maxSize && w.size+int64(n) > 0 {
			if err := w.flush(buf.Bytes()[:n]); err != nil {
				return err
			}
			if err := w.rotate(); err != nil {
				return err
			}
			buf.Next(n)
		}
		chunk = rest
	}
	return w.flush(buf.Bytes())
}

func (w *logWriter) flush(entries []byte) error {
	n, err := w.f.Write(entries)
	w.size += int64(n)
	return err
}

// rotate shifts ctr.log to ctr.log.1 and so on, dropping the oldest.
func (w *logWriter) rotate() error {
	w.f.Close()
	if w.maxFiles == 1 {
		os.Remove(w.path)
	}
	for i := w.maxFiles - 1; i >= 1; i-- {
		from := w.path
		if i > 1 {
			from = fmt.Sprintf("%s.%d", w.path, i-1)
		}
		os.Rename(from, fmt.Sprintf("%s.%d", w.path, i))
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	w.f, w.size = f, 0
	return nil
}

func (w *logWriter) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Close()
}

// relay copies a container stream into the log, and to out when set.
func (w *logWriter) relay(stream string, r io.Reader, out io.Writer) {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if out != nil {
				if _, werr := out.Write(buf[:n]); werr != nil {
					out = nil // a gone reader must not stop the log
				}
			}
			w.write(stream, buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// LogLine is one complete line of container output.
type LogLine struct {
	Time   time.Time
	Stream string
	Text   string
}

// logFiles lists a container's log files, oldest first.
func logFiles(path string, maxFiles int) []string {
	var out []string
	for i := maxFiles - 1; i >= 1; i-- {
		p := fmt.Sprintf("%s.%d", path, i)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return append(out, path)
}

// logReader parses k8s-file entries and joins partial lines.
type logReader struct {
	partial map[string]*strings.Builder
}

// parse feeds one entry; it returns a line when the entry completes one.
func (r *logReader) parse(entry string) (LogLine, bool) {
	f := strings.SplitN(entry, " ", 4)
	if len(f) < 3 {
		return LogLine{}, false
	}
	text := ""
	if len(f) == 4 {
		text = f[3]
	}
	ts, _ := time.Parse(logTimeFormat, f[0])
	if r.partial == nil {
		r.partial = map[string]*strings.Builder{}
	}
	b := r.partial[f[1]]
	if b == nil {
		b = &strings.Builder{}
		r.partial[f[1]] = b
	}
	b.WriteString(text)
	if f[2] != "F" {
		return LogLine{}, false
	}
	line := LogLine{Time: ts, Stream: f[1], Text: b.String()}
	b.Reset()
	return line, true
}

// flush returns what partial lines are left when the output ended
// without a newline, as the last lines.
func (r *logReader) flush(fn func(LogLine)) {
	for stream, b := range r.partial {
		if b.Len() > 0 {
			fn(LogLine{Time: time.Now(), Stream: stream, Text: b.String()})
			b.Reset()
		}
	}
}

// readLog calls fn for every complete line of the files.
func readLog(files []string, r *logReader, fn func(LogLine)) (offset int64, err error) {
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return 0, err
		}
		offset, err = scanLog(f, r, fn)
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	return offset, nil
}

// scanLog reads complete entries from f, returning the offset after the
// last complete one.
func scanLog(f *os.File, r *logReader, fn func(LogLine)) (int64, error) {
	br := bufio.NewReaderSize(f, 64*1024)
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	for {
		entry, err := br.ReadString('\n')
		if err == io.EOF {
			return pos, nil // a half-written entry is read next time
		}
		if err != nil {
			return pos, err
		}
		pos += int64(len(entry))
		if l, ok := r.parse(strings.TrimSuffix(entry, "\n")); ok {
			fn(l)
		}
	}
}
