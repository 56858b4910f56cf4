package record

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// Event is one line of the events file: a lifecycle change, with Docker's
// field names, for a later `scow events`.
type Event struct {
	Time       time.Time         `json:"time"`
	Type       string            `json:"type"`
	Status     string            `json:"status"`
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Image      string            `json:"image"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// EventsFile is the events log every invocation and monitor appends to.
func (s Store) EventsFile() string { return filepath.Join(s.Root, "events.jsonl") }

// Event appends one line to the events file. O_APPEND writes of one small
// line do not interleave, so no lock is needed; a lost event is no reason
// to fail the operation it reports.
func (s Store) Event(cfg *Config, status string, attrs map[string]string) {
	if s.NoEvents {
		return
	}
	line, err := json.Marshal(Event{
		Time: time.Now().UTC(), Type: "container", Status: status,
		ID: cfg.ID, Name: cfg.Name, Image: cfg.Image, Attributes: attrs,
	})
	if err != nil {
		return
	}
	f, err := os.OpenFile(s.EventsFile(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	f.Write(append(line, '\n'))
	f.Close()
}

// EventByID is Event for container id.
func (s Store) EventByID(id, status string, attrs map[string]string) {
	if cfg, err := s.LoadConfig(id); err == nil {
		s.Event(cfg, status, attrs)
	}
}
