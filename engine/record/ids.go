package record

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidName checks a container name as Docker does.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name))
	}
	return nil
}

// NewID returns a new container ID: 64 hex digits.
func NewID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var (
	adjectives = strings.Fields("admiring brave bold calm clever dreamy eager elated festive focused gallant gifted happy hopeful jolly keen kind lucid merry modest nifty noble quirky relaxed serene sharp stoic sweet tender trusting upbeat vibrant wizardly zealous")
	nouns      = strings.Fields("albattani babbage bell bohr curie darwin dijkstra einstein euler fermi feynman galileo gauss hopper hypatia kepler knuth lamarr lovelace mayer newton noether pascal planck ritchie shannon tesla thompson turing wozniak")
)

// RandomName returns a Docker-style adjective_noun name.
func RandomName() string {
	b := make([]byte, 2)
	rand.Read(b)
	return adjectives[int(b[0])%len(adjectives)] + "_" + nouns[int(b[1])%len(nouns)]
}
