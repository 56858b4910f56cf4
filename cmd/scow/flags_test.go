package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// podmanFlag is one of Podman's flags as testdata/podman-flags.txt
// writes it: "-x/name=V".
type podmanFlag struct {
	name, short string
	value       bool
}

// readTable reads "KEY: WORD WORD..." lines, skipping comments and blank
// lines.
func readTable(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, rest, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s: no colon in %q", path, line)
		}
		out[key] = append(out[key], strings.TrimSpace(rest))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func podmanFlags(t *testing.T) map[string][]podmanFlag {
	out := map[string][]podmanFlag{}
	for cmd, lines := range readTable(t, "testdata/podman-flags.txt") {
		out[cmd] = nil // a command without flags is checked too
		for _, w := range strings.Fields(strings.Join(lines, " ")) {
			var f podmanFlag
			if s, rest, ok := strings.Cut(w, "/"); ok && strings.HasPrefix(s, "-") {
				f.short, w = s[1:], rest
			}
			f.name, f.value = strings.TrimSuffix(w, "=V"), strings.HasSuffix(w, "=V")
			out[cmd] = append(out[cmd], f)
		}
	}
	return out
}

// leftFlags reads testdata/flags-left.txt: "COMMAND FLAG: reason" for
// each flag of Podman's that scow does not define, "COMMAND *: reason"
// for a command scow does not have.
func leftFlags(t *testing.T) map[string]string {
	out := map[string]string{}
	for key, reasons := range readTable(t, "testdata/flags-left.txt") {
		if len(reasons) != 1 || reasons[0] == "" {
			t.Fatalf("flags-left.txt: %q needs one reason", key)
		}
		out[key] = reasons[0]
	}
	return out
}

// findCommandPath finds "volume create" in app.
func findCommandPath(app *cli.App, path string) *cli.Command {
	cmds := app.Commands
	var c *cli.Command
	for _, name := range strings.Fields(path) {
		if c = findCommand(cmds, name); c == nil {
			return nil
		}
		cmds = c.Subcommands
	}
	return c
}

// scowFlag finds the flag called name (or with that alias) in flags.
func scowFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// TestPodmanFlags holds scow to Podman's flag names: each flag Podman 5
// has on a command scow has is defined, with Podman's one-letter alias
// and kind (value or boolean), or is listed in flags-left.txt with the
// reason. A listed flag that scow defines after all must leave the list.
func TestPodmanFlags(t *testing.T) {
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	if findCommand(app.Commands, "build") == nil {
		t.Skip("the light build has not every command: the full build's run of this test counts them")
	}
	app.Setup() // adds --help and --version as a run does
	left := leftFlags(t)
	used := map[string]bool{}
	total, have := 0, 0
	var cmds []string
	podman := podmanFlags(t)
	for cmd := range podman {
		cmds = append(cmds, cmd)
	}
	sort.Strings(cmds)
	for _, cmd := range cmds {
		var flags []cli.Flag
		if cmd == "podman" {
			flags = app.Flags
		} else if c := findCommandPath(app, cmd); c != nil {
			flags = c.Flags
		} else if _, ok := left[cmd+" *"]; ok {
			used[cmd+" *"] = true
			total += len(podman[cmd])
			continue
		} else {
			t.Errorf("scow has no command %q: add it or list %q in flags-left.txt", cmd, cmd+" *")
			continue
		}
		for _, pf := range podman[cmd] {
			total++
			key := cmd + " " + pf.name
			f := scowFlag(flags, pf.name)
			if f == nil {
				if _, ok := left[key]; !ok {
					t.Errorf("%s: Podman's --%s is missing: define it or list %q in flags-left.txt", cmd, pf.name, key)
				}
				used[key] = true
				continue
			}
			if _, ok := left[key]; ok {
				t.Errorf("%s: --%s is defined now: take %q out of flags-left.txt", cmd, pf.name, key)
				used[key] = true
			}
			have++
			if pf.short != "" && !contains(f.Names(), pf.short) {
				t.Errorf("%s --%s: want alias -%s as Podman's, have %v", cmd, pf.name, pf.short, f.Names())
			}
			if takes := f.(cli.DocGenerationFlag).TakesValue(); takes != pf.value {
				t.Errorf("%s --%s: takes a value %v, Podman's %v", cmd, pf.name, takes, pf.value)
			}
		}
	}
	for key := range left {
		if !used[key] {
			t.Errorf("flags-left.txt lists %q, which is no flag of Podman's in podman-flags.txt", key)
		}
	}
	elsewhere := 0 // flags another issue (15 to 18) owns
	for key, reason := range left {
		if strings.HasPrefix(reason, "issue 1") && !strings.HasPrefix(reason, "issue 14") && !strings.HasSuffix(key, " *") {
			elsewhere++
		}
	}
	t.Logf("scow defines %d of Podman's %d flags (%.0f%%); of the %d no other issue owns, %.0f%%",
		have, total, 100*float64(have)/float64(total), total-elsewhere, 100*float64(have)/float64(total-elsewhere))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestNoFlagActions guards prepareCommand, which skips urfave/cli's flag
// actions: a flag with an Action would silently not run it.
func TestNoFlagActions(t *testing.T) {
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			for _, f := range c.Flags {
				if a := reflect.ValueOf(f).Elem().FieldByName("Action"); a.IsValid() && !a.IsNil() {
					t.Errorf("%s%s --%s has an Action, which prepareCommand skips", path, c.Name, f.Names()[0])
				}
			}
			walk(path+c.Name+" ", c.Subcommands)
		}
	}
	walk("", newApp(nil, io.Discard, io.Discard).Commands)
}

// TestPreparedCommandFlags checks that a prepared command's Action sees
// its flags as given, and all of them, run after run.
func TestPreparedCommandFlags(t *testing.T) {
	var seen []string
	cmd := &cli.Command{
		Name:  "x",
		Flags: []cli.Flag{&cli.StringFlag{Name: "a"}, &cli.BoolFlag{Name: "b"}, &cli.StringFlag{Name: "c", Value: "dflt"}},
		Before: func(c *cli.Context) error {
			seen = append(seen, "before:"+c.String("a"))
			return nil
		},
		Action: func(c *cli.Context) error {
			seen = append(seen, fmt.Sprintf("a=%s set=%v b=%v set=%v c=%s set=%v flags=%d own=%v",
				c.String("a"), c.IsSet("a"), c.Bool("b"), c.IsSet("b"), c.String("c"), c.IsSet("c"), len(c.Command.Flags), ownFlag(c, "c")))
			return nil
		},
	}
	prepareCommand(cmd)
	var help strings.Builder
	app := &cli.App{Name: "scow", Commands: []*cli.Command{cmd}, Writer: &help}
	// The help subcommand (x help) runs between them: x's flags stay.
	for _, args := range [][]string{{"scow", "x", "--a", "1", "-b"}, {"scow", "x", "help"}, {"scow", "x", "--c", "2"}} {
		if err := app.Run(args); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"before:1", "a=1 set=true b=true set=true c=dflt set=false flags=4 own=true",
		"before:",
		"before:", "a= set=false b=false set=false c=2 set=true flags=4 own=true",
	}
	if !slices.Equal(seen, want) {
		t.Errorf("seen\n%q\nwant\n%q", seen, want)
	}
	if !strings.Contains(help.String(), "-a value") || !strings.Contains(help.String(), "-c value") {
		t.Errorf("x help lists no flags:\n%s", help.String())
	}
}
