package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Volume is a parsed -v HOST:CONTAINER[:OPTIONS] bind mount.
type Volume struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"read_only,omitempty"`
}

// ParseVolume parses a -v value. Relative host paths (./src) are made
// absolute against the current directory.
func ParseVolume(spec string) (Volume, error) {
	bad := func(why string) (Volume, error) {
		return Volume{}, withClass(ErrInvalid, fmt.Errorf("-v %q: %s", spec, why))
	}
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return bad("want HOST-DIR:CONTAINER-DIR[:OPTIONS]")
	}
	v := Volume{Source: parts[0], Destination: parts[1]}
	if v.Source == "" || v.Destination == "" {
		return bad("empty path")
	}
	if !strings.HasPrefix(v.Source, "/") && !strings.HasPrefix(v.Source, ".") {
		return bad("named volumes are not supported yet: give an absolute or ./relative host path")
	}
	if !strings.HasPrefix(v.Destination, "/") {
		return bad("the container path must be absolute")
	}
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro":
				v.ReadOnly = true
			case "rw", "z", "Z":
				// z/Z relabel for SELinux, which this host does not run.
			default:
				return bad("unknown option " + o + ": use ro or rw")
			}
		}
	}
	abs, err := filepath.Abs(v.Source)
	if err != nil {
		return bad(err.Error())
	}
	v.Source = filepath.Clean(abs)
	v.Destination = filepath.Clean(v.Destination)
	return v, nil
}

// ReadEnvFile reads KEY=VALUE lines; blank lines and # comments are
// skipped, and a bare KEY takes its value from this process's environment.
func ReadEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, withClass(ErrInvalid, fmt.Errorf("--env-file: %w", err))
	}
	defer f.Close()
	var env []string
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kv, err := envEntry(line)
		if err != nil {
			return nil, withClass(ErrInvalid, fmt.Errorf("--env-file %s line %d: %w", path, n, err))
		}
		if kv != "" {
			env = append(env, kv)
		}
	}
	return env, s.Err()
}

// envEntry checks one -e value; a bare KEY is looked up on the host and
// dropped when unset, as Docker does.
func envEntry(kv string) (string, error) {
	k, _, ok := strings.Cut(kv, "=")
	if k == "" || strings.ContainsAny(k, " \t") {
		return "", fmt.Errorf("bad variable name in %q", kv)
	}
	if ok {
		return kv, nil
	}
	if v, set := os.LookupEnv(k); set {
		return k + "=" + v, nil
	}
	return "", nil
}

// mergeEnv applies entries in order: a later KEY replaces an earlier one
// in place.
func mergeEnv(base []string, more ...string) []string {
	out := append([]string(nil), base...)
	idx := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		idx[k] = i
	}
	for _, kv := range more {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

// parseEntrypoint reads --entrypoint: a JSON array, or one program.
func parseEntrypoint(s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	if strings.HasPrefix(s, "[") {
		var words []string
		if err := json.Unmarshal([]byte(s), &words); err != nil {
			return nil, withClass(ErrInvalid, fmt.Errorf("--entrypoint %q: bad JSON array: %v", s, err))
		}
		return words, nil
	}
	return []string{s}, nil
}
