//go:build !scow_light

package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/specgen"
)

// run carries out a RUN step: a container of the stage's image, made
// from the typed create request as scow run makes one, runs the command;
// its changes are the step's layer.
func (b *builder) run(ctx context.Context, s *state, stage int, c *instructions.RunCommand) error {
	for _, f := range c.FlagsUsed {
		if f != "mount" && f != "network" {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("RUN --%s: not supported", f))
		}
	}
	args := s.commandLine(c.ShellDependantCmdLine)
	script, err := heredocArgs(s, c)
	if err != nil {
		return err
	}
	if script.args != nil {
		args = script.args
	}
	if s.image == "" {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("RUN in a stage with nothing in it yet (FROM scratch): there is no program to run"))
	}
	mounts, err := b.mounts(ctx, stage, c)
	if err != nil {
		return err
	}
	defer mounts.release()
	key := s.cacheKey(c.String(), mounts.content+"\n"+script.content)
	if ok, err := b.cached(ctx, s, key); ok || err != nil {
		return err
	}
	// The build arguments in scope are the command's environment, under
	// the stage's own (which the image it runs may not have yet).
	var env []string
	for k, v := range s.args {
		if _, ok := envGetter(s.config.Config.Env).Get(k); !ok {
			env = append(env, k+"="+v)
		}
	}
	slices.Sort(env)
	env = append(append(env, s.config.Config.Env...), mounts.env...)
	noEntrypoint := ""
	ro := b.o.Run
	ro.Image, ro.Args, ro.Entrypoint, ro.Env, ro.Pull = s.image, args, &noEntrypoint, env, "never"
	ro.Workdir, ro.User, ro.Network = s.config.Config.WorkingDir, s.config.Config.User, b.o.Network
	ro.Interactive = b.stdin != nil
	switch n := instructions.GetNetwork(c); n {
	case instructions.NetworkNone, instructions.NetworkHost:
		ro.Network = n
	}
	ro.Volumes = append(slices.Clone(ro.Volumes), mounts.volumes...)
	if script.file != "" {
		path, err := b.writeScript(script.file, script.data)
		if err != nil {
			return err
		}
		ro.Volumes = append(ro.Volumes, path+":"+script.file+":ro")
	}
	ro.Tmpfs = append(slices.Clone(ro.Tmpfs), mounts.tmpfs...)
	if !b.o.KeepContainers && !b.o.KeepFailed {
		// Kept containers are the user's; others go with a killed build.
		ro.Labels = []string{ownerLabel + "=" + b.tmp}
	}
	spec, err := specgen.NewSpec(ro)
	if err != nil {
		return err
	}
	id, err := b.containers.RunSpec(ctx, spec, attach.Streams{In: b.stdin, Out: b.runOut, Err: b.runOut})
	if keep := b.o.KeepContainers && err == nil || b.o.KeepFailed && err != nil; id != "" && !keep {
		now := 0 // an interrupted build's step is killed
		defer b.containers.ForceRemove(context.WithoutCancel(ctx), id, &now)
	}
	var exit *errdefs.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("while running runtime: exit status %d: %w", exit.Code, err)
	}
	if err != nil {
		return err
	}
	if len(mounts.targets) > 0 {
		if err := b.removeStubs(s.image, id, mounts.targets); err != nil {
			return err
		}
	}
	return b.commit(ctx, s, id, key, imgspecv1.History{CreatedBy: strings.Join(args, " ")})
}

// heredocScript is what a RUN's heredocs make of its command.
type heredocScript struct {
	// args is the command (nil: RUN's own); file, if set, is where the
	// script data must be, as the program args runs.
	args       []string
	file, data string
	// content is all the heredocs, for the cache key.
	content string
}

// heredocArgs reads a RUN's heredocs, as BuildKit does: a heredoc alone is
// the shell's script, or with #! a program of its own; heredocs of a
// command go to the shell with it.
func heredocArgs(s *state, c *instructions.RunCommand) (heredocScript, error) {
	var h heredocScript
	if len(c.Files) == 0 {
		return h, nil
	}
	if !c.PrependShell || len(c.CmdLine) != 1 {
		return h, errdefs.WithClass(errdefs.ErrInvalid, errors.New("RUN with a heredoc: use the shell form"))
	}
	for _, f := range c.Files {
		h.content += f.Name + "\n" + f.Data + "\n"
	}
	if parser.MustParseHeredoc(c.CmdLine[0]) == nil {
		script := c.CmdLine[0]
		for _, f := range c.Files {
			script += "\n" + f.Data + f.Name
		}
		h.args = append(slices.Clone(s.shell), script)
		return h, nil
	}
	f := c.Files[0]
	data := f.Data
	if f.Chomp {
		data = parser.ChompHeredocContent(data)
	}
	if strings.HasPrefix(data, "#!") {
		h.file, h.data = path.Join("/dev/pipes", f.Name), data
		h.args = []string{h.file}
		return h, nil
	}
	h.args = append(slices.Clone(s.shell), data)
	return h, nil
}

// writeScript writes a heredoc's program for a RUN step to mount: a file
// of the build's temporary directory.
func (b *builder) writeScript(name, data string) (string, error) {
	f, err := os.CreateTemp(b.tmp, "heredoc-*")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		return "", fmt.Errorf("heredoc %s: %w", name, err)
	}
	return f.Name(), f.Chmod(0o755)
}

// removeStubs takes out of container id's changes the mount points the
// runtime made for a RUN's mounts, which image did not have.
func (b *builder) removeStubs(image, id string, targets []string) error {
	root, err := b.Store.Mount(id)
	if err != nil {
		return err
	}
	defer b.Store.Unmount(id)
	parent, err := b.Store.MountImage(image)
	if err != nil {
		return err
	}
	defer b.Store.UnmountImage(image, false)
	removeStubs(root, parent, targets)
	return nil
}
