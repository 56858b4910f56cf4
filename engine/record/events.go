package record

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"time"
)

// Event is one line of the events file: a change of a container, image,
// volume or network, with Docker's field names.
type Event struct {
	Time   time.Time `json:"time"`
	Type   string    `json:"type"`
	Status string    `json:"status"`
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Image  string    `json:"image,omitempty"`
	// Attributes are the event's details, and a container's labels.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// EventsFile is the events log every invocation and monitor appends to;
// past EventsMaxSize it moves to EventsFile().1, the one older file kept.
func (s Store) EventsFile() string { return filepath.Join(s.Root, "events.jsonl") }

// EventsMaxSize is the size past which the events file is rotated.
const EventsMaxSize = 1 << 20

// Event appends a container's event to the events file.
func (s Store) Event(cfg *Config, status string, attrs map[string]string) {
	all := maps.Clone(cfg.Labels)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, attrs)
	s.Emit(Event{Type: "container", Status: status, ID: cfg.ID, Name: cfg.Name, Image: cfg.Image, Attributes: all})
}

// ObjectEvent appends an event of an image, volume or network.
func (s Store) ObjectEvent(typ, id, name, status string) {
	s.Emit(Event{Type: typ, Status: status, ID: id, Name: name})
}

// EventByID is Event for container id.
func (s Store) EventByID(id, status string, attrs map[string]string) {
	if cfg, err := s.LoadConfig(id); err == nil {
		s.Event(cfg, status, attrs)
	}
}

// Emit appends one event to the events file. O_APPEND writes of one
// small line do not interleave, so no lock is needed but to rotate it; a
// lost event is no reason to fail the operation it reports.
func (s Store) Emit(ev Event) {
	if s.NoEvents {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if len(ev.Attributes) == 0 {
		ev.Attributes = nil
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return
	}
	path := s.EventsFile()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	f.Write(append(line, '\n'))
	st, err := f.Stat()
	f.Close()
	if err == nil && st.Size() > EventsMaxSize {
		s.rotateEvents(path)
	}
}

// rotateEvents moves a full events file aside, once: writers still
// holding it finish their line there, readers read both.
func (s Store) rotateEvents(path string) {
	unlock, err := Lock(path + ".lock")
	if err != nil {
		return
	}
	defer unlock()
	if st, err := os.Stat(path); err == nil && st.Size() > EventsMaxSize {
		os.Rename(path, path+".1")
	}
}
