//go:build !scow_light

package build

import (
	"bytes"
	"io"
	"sync"
)

// sequence writes what stages built at the same time print as if they
// were built one after the other: the first unfinished stage's output
// goes through, the later ones' waits for their turn.
type sequence struct {
	mu   sync.Mutex
	w    io.Writer
	cur  int // the stage whose output goes through
	bufs []bytes.Buffer
	done []bool
	// failed says a stage failed: what the others print is dropped.
	failed bool
}

func newSequence(w io.Writer, n int) *sequence {
	return &sequence{w: w, bufs: make([]bytes.Buffer, n), done: make([]bool, n)}
}

// part is the writer of the n-th stage.
func (q *sequence) part(n int) io.Writer {
	return partWriter(func(p []byte) (int, error) {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.failed {
			return len(p), nil
		}
		if n == q.cur {
			return q.w.Write(p)
		}
		return q.bufs[n].Write(p)
	})
}

// stageEnd is how a stage ended.
type stageEnd int

const (
	built     stageEnd = iota // its output shows in its turn
	failed                    // its output shows at once
	cancelled                 // its output is dropped: another failed
)

// end says the n-th stage is done, and how. The next stages' output so
// far follows, up to one still running.
func (q *sequence) end(n int, how stageEnd) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.done[n] = true
	switch how {
	case cancelled:
		q.bufs[n].Reset()
	case failed:
		if !q.failed {
			q.bufs[n].WriteTo(q.w)
		}
		q.failed = true
	}
	for q.cur < len(q.done) && q.done[q.cur] && !q.failed {
		q.cur++
		if q.cur < len(q.bufs) {
			q.bufs[q.cur].WriteTo(q.w)
		}
	}
}

// partWriter is an io.Writer of a function.
type partWriter func(p []byte) (int, error)

func (f partWriter) Write(p []byte) (int, error) { return f(p) }
