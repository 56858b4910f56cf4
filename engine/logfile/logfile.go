package logfile

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

// TimeFormat is the time stamp of an entry.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Writer appends container output to a log file, rotating it at
// maxSize into at most maxFiles files. Safe for concurrent streams.
type Writer struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	size     int64
	maxSize  int64
	maxFiles int
}

// Open opens the log at path for appending.
func Open(path string, maxSize int64, maxFiles int) (*Writer, error) {
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
	return &Writer{path: path, f: f, size: st.Size(), maxSize: maxSize, maxFiles: maxFiles}, nil
}

// Write records one chunk of a stream ("stdout" or "stderr"), one entry
// per line; the file rotates between entries once it would pass maxSize.
func (w *Writer) Write(stream string, chunk []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var buf bytes.Buffer
	ts := time.Now().Format(TimeFormat)
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

func (w *Writer) flush(entries []byte) error {
	n, err := w.f.Write(entries)
	w.size += int64(n)
	return err
}

// rotate shifts ctr.log to ctr.log.1 and so on, dropping the oldest.
func (w *Writer) rotate() error {
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

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Close()
}

// Relay copies a container stream into the log, and to out when set.
func (w *Writer) Relay(stream string, r io.Reader, out io.Writer) {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if out != nil {
				if _, werr := out.Write(buf[:n]); werr != nil {
					out = nil // a gone reader must not stop the log
				}
			}
			w.Write(stream, buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// Line is one complete line of container output.
type Line struct {
	Time   time.Time
	Stream string
	Text   string
}

// Files lists a container's log files, oldest first.
func Files(path string, maxFiles int) []string {
	var out []string
	for i := maxFiles - 1; i >= 1; i-- {
		p := fmt.Sprintf("%s.%d", path, i)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return append(out, path)
}

// Reader parses k8s-file entries and joins partial lines.
type Reader struct {
	partial map[string]*strings.Builder
}

// Parse feeds one entry; it returns a line when the entry completes one.
func (r *Reader) Parse(entry string) (Line, bool) {
	f := strings.SplitN(entry, " ", 4)
	if len(f) < 3 {
		return Line{}, false
	}
	text := ""
	if len(f) == 4 {
		text = f[3]
	}
	ts, _ := time.Parse(TimeFormat, f[0])
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
		return Line{}, false
	}
	line := Line{Time: ts, Stream: f[1], Text: b.String()}
	b.Reset()
	return line, true
}

// Flush returns what partial lines are left when the output ended
// without a newline, as the last lines.
func (r *Reader) Flush(fn func(Line)) {
	for stream, b := range r.partial {
		if b.Len() > 0 {
			fn(Line{Time: time.Now(), Stream: stream, Text: b.String()})
			b.Reset()
		}
	}
}

// Read calls fn for every complete line of the files.
func Read(files []string, r *Reader, fn func(Line)) (offset int64, err error) {
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return 0, err
		}
		offset, err = Scan(f, r, fn)
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	return offset, nil
}

// Scan reads complete entries from f, returning the offset after the
// last complete one.
func Scan(f *os.File, r *Reader, fn func(Line)) (int64, error) {
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
		if l, ok := r.Parse(strings.TrimSuffix(entry, "\n")); ok {
			fn(l)
		}
	}
}
