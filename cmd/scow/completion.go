package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/images"
	"github.com/urfave/cli/v2"
)

// completeArg is argv[1] of the hidden helper the completion scripts
// call: scow __complete WORD... prints the candidates for the last word.
const completeArg = "__complete"

// completionScripts are what `scow completion SHELL` prints: each asks
// `scow __complete` for the candidates of the word under the cursor.
var completionScripts = map[string]string{
	"bash": `# bash completion for scow; source it, or put it in /etc/bash_completion.d/scow
_scow() {
	local IFS=$'\n'
	COMPREPLY=($(scow ` + completeArg + ` "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _scow scow
`,
	"zsh": `#compdef scow
# zsh completion for scow; put it in a directory of $fpath as _scow
_scow() {
	local -a candidates
	candidates=("${(@f)$(scow ` + completeArg + ` "${(@)words[2,CURRENT]}" 2>/dev/null)}")
	compadd -a candidates
}
compdef _scow scow
`,
	"fish": `# fish completion for scow; put it in ~/.config/fish/completions/scow.fish
complete -c scow -f -a '(scow ` + completeArg + ` (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`,
}

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Action: func(c *cli.Context) error {
			if err := exactArgs(c, 1, 1, "completion bash|zsh|fish"); err != nil {
				return err
			}
			script, ok := completionScripts[c.Args().First()]
			if !ok {
				return fmt.Errorf("completion %q: scow completes in bash, zsh and fish", c.Args().First())
			}
			fmt.Fprint(c.App.Writer, script)
			return nil
		},
	}
}

// objectKind says what the arguments of a command name: "container",
// "image", "volume" or "network"; "" for none.
func objectKind(path []string) string {
	if len(path) == 0 {
		return ""
	}
	last := path[len(path)-1]
	switch path[0] {
	case "volume":
		if slices.Contains([]string{"rm", "remove", "inspect", "exists"}, last) {
			return "volume"
		}
		return ""
	case "network":
		if slices.Contains([]string{"rm", "remove", "inspect", "exists", "connect", "disconnect"}, last) {
			return "network"
		}
		return ""
	case "image":
		if last == "image" || last == "prune" || last == "ls" || last == "list" || last == "import" || last == "load" {
			return ""
		}
		return "image"
	}
	switch last {
	case "run", "create", "rmi", "tag", "untag", "history", "push", "save":
		return "image"
	case "start", "stop", "kill", "restart", "rm", "logs", "wait", "inspect", "exec", "attach", "port",
		"rename", "top", "cp", "commit", "diff", "export", "mount", "unmount", "umount", "exists":
		return "container"
	}
	return ""
}

// complete writes the candidates for the last of words, the arguments
// after "scow": subcommands, the flags of the command reached (for a
// word starting with "-"), or the names of its objects.
func complete(app *cli.App, words []string, names func(kind string) []string, w io.Writer) {
	if len(words) == 0 {
		words = []string{""}
	}
	cur := words[len(words)-1]
	cmds, flags := app.Commands, app.Flags
	var path []string
	skip := false
	for _, word := range words[:len(words)-1] {
		if skip {
			skip = false // a flag's value
			continue
		}
		if strings.HasPrefix(word, "-") {
			skip = !strings.Contains(word, "=") && takesValue(flags, word)
			continue
		}
		c := findCommand(cmds, word)
		if c == nil {
			break // an argument: the command is reached
		}
		path = append(path, c.Name)
		cmds, flags = c.Subcommands, c.Flags
	}
	var out []string
	switch {
	case strings.HasPrefix(cur, "-"):
		for _, f := range flags {
			for _, n := range f.Names() {
				if len(n) > 1 {
					out = append(out, "--"+n)
				}
			}
		}
	case len(cmds) > 0:
		for _, c := range cmds {
			if !c.Hidden {
				out = append(out, c.Names()...)
			}
		}
	default:
		if kind := objectKind(path); kind != "" {
			out = names(kind)
		}
	}
	sort.Strings(out)
	for _, o := range out {
		if strings.HasPrefix(o, cur) {
			fmt.Fprintln(w, o)
		}
	}
}

// completionOptions are the engine options the words being completed
// give (--root, --runroot, --volumepath...), so that the names come
// from that store.
func completionOptions(words []string) engine.Options {
	var o engine.Options
	for i, w := range words {
		for flag, dst := range map[string]*string{
			"--root": &o.Root, "--runroot": &o.RunRoot, "--storage-driver": &o.StorageDriver, "--imagestore": &o.ImageStore,
			"--volumepath": &o.VolumePath, "--network-config-dir": &o.NetworkConfigDir,
		} {
			if v, ok := strings.CutPrefix(w, flag+"="); ok {
				*dst = v
			} else if w == flag && i+1 < len(words) {
				*dst = words[i+1]
			}
		}
	}
	return o
}

// objectNames lists the names of an engine's objects of kind, nothing
// when they cannot be read: completion never fails.
func objectNames(e *engine.Engine, kind string) []string {
	var out []string
	switch kind {
	case "container":
		list, _ := e.Containers().List(context.Background(), containers.ListOptions{All: true})
		for _, c := range list {
			out = append(out, c.Config.Name)
		}
	case "image":
		list, _ := e.Images().List(images.ListOptions{})
		for _, img := range list {
			if img.Repository != "<none>" {
				out = append(out, strings.TrimPrefix(img.Repository, "localhost/")+":"+img.Tag)
			}
		}
	case "volume":
		list, _ := e.Volumes().List(nil)
		for _, v := range list {
			out = append(out, v.Name)
		}
	case "network":
		list, _ := e.Networks().List(nil)
		for _, n := range list {
			out = append(out, n.Name)
		}
	}
	return out
}
