package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultHooksDirs are where hooks are found without --hooks-dir, as
// Podman's: a later directory's file replaces an earlier one's of the
// same name.
var DefaultHooksDirs = []string{"/usr/share/containers/oci/hooks.d", "/etc/containers/oci/hooks.d"}

// hookFile is an oci-hooks(5) file, version 1.0.0.
type hookFile struct {
	Version string     `json:"version"`
	Hook    specs.Hook `json:"hook"`
	When    struct {
		Always        *bool             `json:"always"`
		Annotations   map[string]string `json:"annotations"`
		Commands      []string          `json:"commands"`
		HasBindMounts *bool             `json:"hasBindMounts"`
	} `json:"when"`
	Stages []string `json:"stages"`
}

// hookStages are the stages a hook may name, and where each goes.
var hookStages = map[string]func(*specs.Hooks) *[]specs.Hook{
	"prestart":        func(h *specs.Hooks) *[]specs.Hook { return &h.Prestart }, // deprecated, but runc runs them
	"createRuntime":   func(h *specs.Hooks) *[]specs.Hook { return &h.CreateRuntime },
	"createContainer": func(h *specs.Hooks) *[]specs.Hook { return &h.CreateContainer },
	"startContainer":  func(h *specs.Hooks) *[]specs.Hook { return &h.StartContainer },
	"poststart":       func(h *specs.Hooks) *[]specs.Hook { return &h.Poststart },
	"poststop":        func(h *specs.Hooks) *[]specs.Hook { return &h.Poststop },
}

// AddHooks adds to spec the hooks of the *.json files in dirs whose
// conditions the spec meets, in the order of their file names; a
// missing directory has none, and a file masks one of the same name in
// an earlier directory. userBinds says whether the user asked for bind
// mounts (scow's own, /etc/hosts and the like, do not count). A file
// that is not a valid hook is an error, as it is for Podman.
func AddHooks(spec *specs.Spec, dirs []string, userBinds bool) error {
	files := map[string]string{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read hooks in %s: %w", dir, err)
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
				files[e.Name()] = filepath.Join(dir, e.Name())
			}
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h, err := readHook(files[n])
		if err != nil {
			return err
		}
		ok, err := h.matches(spec, userBinds)
		if err != nil {
			return fmt.Errorf("hook %s: %w", files[n], err)
		}
		if !ok {
			continue
		}
		if spec.Hooks == nil {
			spec.Hooks = &specs.Hooks{}
		}
		for _, st := range h.Stages {
			list := hookStages[st](spec.Hooks)
			*list = append(*list, h.Hook)
		}
	}
	return nil
}

// readHook reads and checks a hook file.
func readHook(path string) (*hookFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read hook: %w", err)
	}
	var h hookFile
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("hook %s: %w", path, err)
	}
	bad := func(why string) (*hookFile, error) { return nil, fmt.Errorf("hook %s: %s", path, why) }
	switch {
	case h.Version != "1.0.0":
		return bad(fmt.Sprintf("version %q: scow reads version 1.0.0", h.Version))
	case !filepath.IsAbs(h.Hook.Path):
		return bad("hook.path must be an absolute path")
	case len(h.Stages) == 0:
		return bad("it names no stages")
	case h.When.Always == nil && h.When.HasBindMounts == nil && len(h.When.Annotations) == 0 && len(h.When.Commands) == 0:
		return bad("when has no condition")
	}
	for _, st := range h.Stages {
		if hookStages[st] == nil {
			return bad(fmt.Sprintf("unknown stage %q", st))
		}
	}
	return &h, nil
}

// matches tells whether every condition the hook sets holds for spec
// (oci-hooks 1.0.0: always true; any annotation matching each key and
// value pattern; args[0] matching one of the commands; binds asked for
// by the user, which userBinds says).
func (h *hookFile) matches(spec *specs.Spec, userBinds bool) (bool, error) {
	w := h.When
	if w.Always != nil && !*w.Always {
		return false, nil
	}
	if w.HasBindMounts != nil && !(*w.HasBindMounts && userBinds) {
		return false, nil // as Podman's, false is never met
	}
	for k, v := range w.Annotations {
		kre, err := regexp.Compile(k)
		if err != nil {
			return false, fmt.Errorf("annotation key %q: %w", k, err)
		}
		vre, err := regexp.Compile(v)
		if err != nil {
			return false, fmt.Errorf("annotation value %q: %w", v, err)
		}
		found := false
		for ak, av := range spec.Annotations {
			if kre.MatchString(ak) && vre.MatchString(av) {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	if len(w.Commands) > 0 {
		if spec.Process == nil || len(spec.Process.Args) == 0 {
			return false, nil
		}
		found := false
		for _, c := range w.Commands {
			re, err := regexp.Compile(c)
			if err != nil {
				return false, fmt.Errorf("command %q: %w", c, err)
			}
			if re.MatchString(spec.Process.Args[0]) {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}
