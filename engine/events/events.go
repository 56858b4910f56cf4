// Package events reads the events file that every invocation and monitor
// appends to: what scow events prints, filtered, and followed as it
// grows.
package events

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/record"
)

// Service reads events.
type Service struct {
	*backend.Backend
}

// New returns the events service.
func New(b *backend.Backend) *Service { return &Service{Backend: b} }

// Options are the flags of events.
type Options struct {
	// Filters are KEY=VALUE: container, event (or status), image, type,
	// label, volume, network; a key given twice matches either value.
	Filters []string
	// Since and Until bound the events' times (zero: unbounded).
	Since, Until time.Time
	// Stream follows the file for new events until ctx ends or Until
	// passes; else Read returns at the end of what is there.
	Stream bool
}

// filterKeys are the keys of --filter.
var filterKeys = []string{"container", "event", "status", "image", "type", "label", "volume", "network", "pod"}

// Read calls emit with each event that matches o, oldest first.
func (e *Service) Read(ctx context.Context, o Options, emit func(record.Event) error) error {
	match, err := parseFilters(o.Filters)
	if err != nil {
		return err
	}
	keep := func(ev record.Event) error {
		if !o.Since.IsZero() && ev.Time.Before(o.Since) || !o.Until.IsZero() && ev.Time.After(o.Until) || !match(ev) {
			return nil
		}
		return emit(ev)
	}
	path := e.Rec.EventsFile()
	// The live file first: rotated meanwhile, it is the older one then,
	// read to its end before the new.
	f, err := os.Open(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read events: %w", err)
	}
	if older, err := os.Open(path + ".1"); err == nil {
		same := false
		if f != nil {
			a, err1 := f.Stat()
			b, err2 := older.Stat()
			same = err1 == nil && err2 == nil && sameFile(a, b)
		}
		if !same {
			r := &follower{path: path + ".1", f: older}
			err := r.drain(keep)
			older.Close()
			if err != nil {
				return err
			}
		} else {
			older.Close()
		}
	}
	r := &follower{path: path, f: f}
	defer r.close()
	for {
		if err := r.drain(keep); err != nil {
			return err
		}
		if !o.Stream || !o.Until.IsZero() && time.Now().After(o.Until) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
		if err := r.reopen(keep); err != nil {
			return err
		}
	}
}

// readFile calls fn with each event of a whole file, if there is one.
func readFile(path string, fn func(record.Event) error) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	defer f.Close()
	r := &follower{path: path, f: f}
	return r.drain(fn)
}

// follower reads the events file as it grows, and across its rotation.
type follower struct {
	path    string
	f       *os.File
	partial []byte // a line not finished yet
}

// drain calls fn with each whole line from where it stopped.
func (r *follower) drain(fn func(record.Event) error) error {
	if r.f == nil {
		return nil
	}
	br := bufio.NewReader(r.f)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] != '\n' {
			r.partial = append(r.partial, line...)
		} else if len(line) > 0 {
			line = append(r.partial, line...)
			r.partial = nil
			var ev record.Event
			if json.Unmarshal(line, &ev) == nil {
				if err := fn(ev); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
	}
}

// reopen moves to the file at path when it is another than the one
// read (rotated, or made since): the old one is read to its end first,
// its events to fn.
func (r *follower) reopen(fn func(record.Event) error) error {
	st, err := os.Stat(r.path)
	if err != nil {
		return nil
	}
	if r.f != nil {
		if cur, err := r.f.Stat(); err == nil && sameFile(cur, st) {
			return nil
		}
		if err := r.drain(fn); err != nil {
			return err
		}
		r.f.Close()
	}
	r.f, r.partial = nil, nil
	if f, err := os.Open(r.path); err == nil {
		r.f = f
	}
	return nil
}

func (r *follower) close() {
	if r.f != nil {
		r.f.Close()
	}
}

func sameFile(a, b os.FileInfo) bool {
	x, ok1 := a.Sys().(*syscall.Stat_t)
	y, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && x.Ino == y.Ino && x.Dev == y.Dev
}

// parseFilters turns --filter values into a predicate: every key must
// match one of its values.
func parseFilters(filters []string) (func(record.Event) bool, error) {
	byKey := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok || !slices.Contains(filterKeys, k) {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--filter %q: use KEY=VALUE with one of %s", f, strings.Join(filterKeys, ", ")))
		}
		if k == "status" {
			k = "event"
		}
		byKey[k] = append(byKey[k], v)
	}
	one := func(k, v string, ev record.Event) bool {
		switch k {
		case "container":
			return ev.Type == "container" && (ev.Name == v || strings.HasPrefix(ev.ID, v))
		case "event":
			return ev.Status == v
		case "image":
			return ev.Image == v || ev.Type == "image" && (ev.Name == v || strings.HasPrefix(ev.ID, v)) || shortName(ev.Image) == v
		case "type":
			return ev.Type == v
		case "label":
			lk, lv, hasValue := strings.Cut(v, "=")
			have, ok := ev.Attributes[lk]
			return ok && (!hasValue || have == lv)
		case "volume", "network", "pod":
			return ev.Type == k && (ev.Name == v || strings.HasPrefix(ev.ID, v))
		}
		return false
	}
	return func(ev record.Event) bool {
		for k, vs := range byKey {
			if !slices.ContainsFunc(vs, func(v string) bool { return one(k, v, ev) }) {
				return false
			}
		}
		return true
	}, nil
}

// shortName is an image name without its registry and tag: busybox for
// localhost/busybox:latest.
func shortName(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name, _, _ = strings.Cut(name, ":")
	return name
}
