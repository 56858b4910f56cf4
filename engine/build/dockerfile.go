//go:build !scow_light

package build

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/scow-project/scow/engine/errdefs"
)

// file is a parsed Containerfile: its stages, the ARGs before the first
// FROM, and its escape character's lexers.
type file struct {
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand
	lex      *shell.Lex
	// rawLex expands heredocs: quotes stay.
	rawLex *shell.Lex
	escape rune
}

// withLexers is f with lexers of its own: a lexer is not safe to share
// between stages built at the same time.
func (f *file) withLexers() *file {
	g := *f
	g.lex, g.rawLex = shell.NewLex(f.escape), shell.NewLex(f.escape)
	g.rawLex.SkipProcessQuotes = true
	return &g
}

// parseFile parses a Containerfile's text.
func parseFile(data []byte) (*file, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("parse the Containerfile: %w", err))
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("parse the Containerfile: %w", err))
	}
	if len(stages) == 0 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("the Containerfile has no FROM"))
	}
	f := &file{stages: stages, metaArgs: metaArgs, escape: res.EscapeToken}
	return f.withLexers(), nil
}

// stageIndex finds the stage a FROM or COPY --from names: by its AS name
// (case-insensitively) or its number; -1 when it names none, before.
func (f *file) stageIndex(name string, before int) int {
	for i := range before {
		if strings.EqualFold(f.stages[i].Name, name) {
			return i
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < before {
		return n
	}
	return -1
}

// target is the index of the stage --target names, the last without one.
func (f *file) target(name string) (int, error) {
	if name == "" {
		return len(f.stages) - 1, nil
	}
	if i := f.stageIndex(name, len(f.stages)); i >= 0 {
		return i, nil
	}
	return 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--target %s: the Containerfile has no stage of that name", name))
}

// needed lists, in order, the stages the target stage depends on (its
// base and the stages it copies from, and theirs) and itself: only those
// are built. base says what each stage's FROM names once expanded.
func (f *file) needed(target int, base func(i int) string) []int {
	want := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if want[i] {
			return
		}
		want[i] = true
		for _, j := range f.deps(i, base) {
			visit(j)
		}
	}
	visit(target)
	var out []int
	for i := range f.stages {
		if want[i] {
			out = append(out, i)
		}
	}
	return out
}

// deps are the earlier stages stage i needs built: its base and those it
// copies or mounts from; all of them when it names one with a variable,
// which only its steps expand.
func (f *file) deps(i int, base func(i int) string) []int {
	var out []int
	add := func(name string) {
		if strings.Contains(name, "$") {
			for j := range i {
				out = append(out, j)
			}
		} else if j := f.stageIndex(name, i); j >= 0 {
			out = append(out, j)
		}
	}
	add(base(i))
	for _, from := range froms(f.stages[i]) {
		add(from)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// platformArgs are the build arguments every build has, for the host's
// platform, the only one scow builds for.
func platformArgs() map[string]string {
	platform := "linux/" + runtime.GOARCH
	args := map[string]string{}
	for _, p := range []string{"BUILD", "TARGET"} {
		args[p+"PLATFORM"], args[p+"OS"], args[p+"ARCH"], args[p+"VARIANT"] = platform, "linux", runtime.GOARCH, ""
	}
	return args
}

// proxyArgs are the predefined arguments that a --build-arg may set
// without an ARG declaring them.
var proxyArgs = []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}

// envGetter is a shell.EnvGetter over KEY=VALUE lines, the last of a key
// winning.
type envGetter []string

func (e envGetter) Get(key string) (string, bool) {
	for i := len(e) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func (e envGetter) Keys() []string {
	var keys []string
	for _, kv := range e {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// froms are what a stage's COPY --from and RUN --mount from= name, as
// written (the words are expanded when the steps run).
func froms(st instructions.Stage) []string {
	var out []string
	for _, c := range st.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if c.From != "" {
				out = append(out, c.From)
			}
		case *instructions.RunCommand:
			// Its mounts are read as the words expand: as they are, here.
			if c.Expand(func(w string) (string, error) { return w, nil }) != nil {
				continue
			}
			for _, m := range instructions.GetMounts(c) {
				if m.From != "" {
					out = append(out, m.From)
				}
			}
		}
	}
	return out
}
