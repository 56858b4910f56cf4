package contents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/images"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/internal/userns"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/storage"
	"go.podman.io/storage/pkg/archive"
)

// CommitOptions are the flags of commit.
type CommitOptions struct {
	// Changes are Dockerfile instructions (-c) applied to the config.
	Changes         []string
	Author, Message string
	// Pause freezes a running container while its changes are read.
	Pause bool
	// Format is the manifest's, oci or docker ("": the base image's).
	Format string
	// IncludeVolumes adds the container's volume mount points to the
	// image's volumes.
	IncludeVolumes bool
	// ConfigFile is a JSON image config (Docker's schema2 config) whose
	// fields go over the container's.
	ConfigFile string
	// IIDFile receives the new image's ID.
	IIDFile string
	// Squash makes the image one layer of all the container's files.
	Squash bool
}

// Commit makes an image of a container's changes on top of its image,
// named name if given, and returns its ID. The image runs as the
// container did (its command, environment, user...), with Changes on top.
func (e *Service) Commit(ctx context.Context, ref, name string, o CommitOptions) (string, error) {
	if o.Format != "" && o.Format != "oci" && o.Format != "docker" {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--format %q: use oci or docker", o.Format))
	}
	ch, err := images.ParseChanges(o.Changes)
	if err != nil {
		return "", err
	}
	if err := e.Open(); err != nil {
		return "", err
	}
	cfg, err := e.containers.Config(ref)
	if err != nil {
		return "", err
	}
	if cfg.Rootfs != "" {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("commit %s: it runs on the --rootfs directory %s, not on an image layer: archive that directory, or import it (scow import)", cfg.Name, cfg.Rootfs))
	}
	img, err := e.Store.Image(cfg.ImageID)
	if err != nil {
		return "", backend.StorageErr(err)
	}
	ic := img.Config.Config
	ic.Cmd, ic.Entrypoint, ic.Env, ic.WorkingDir, ic.User = cfg.Cmd, cfg.Entrypoint, cfg.Env, cfg.WorkingDir, cfg.User
	ic.Labels, ic.StopSignal = cfg.Labels, cfg.StopSignal
	if o.ConfigFile != "" {
		if err := mergeConfigFile(&ic.ImageConfig, o.ConfigFile); err != nil {
			return "", err
		}
	}
	if o.IncludeVolumes {
		for _, m := range cfg.Volumes {
			if m.Kind() == record.MountVolume {
				if ic.Volumes == nil {
					ic.Volumes = map[string]struct{}{}
				}
				ic.Volumes[m.Destination] = struct{}{}
			}
		}
	}
	applyImageChanges(&ic.ImageConfig, ch)
	if o.Pause {
		if st, err := e.containers.State(ctx, cfg.ID); err == nil && st.Status == record.StatusRunning {
			rt, err := e.RuntimeOf(cfg.ID, st)
			if err != nil {
				return "", err
			}
			if err := rt.Pause(ctx, cfg.ID); err != nil {
				return "", fmt.Errorf("--pause: %w: commit without it", err)
			}
			defer rt.Resume(context.WithoutCancel(ctx), cfg.ID)
		}
	}
	id, err := e.Store.Commit(cfg.ID, storage.CommitOptions{Name: name, Config: ic, Author: o.Author, Message: o.Message, Format: o.Format, Squash: o.Squash})
	if err != nil {
		return "", backend.StorageErr(err)
	}
	if o.IIDFile != "" {
		if err := os.WriteFile(o.IIDFile, []byte("sha256:"+id), 0o644); err != nil {
			return id, fmt.Errorf("--iidfile: %w", err)
		}
	}
	return id, nil
}

// mergeConfigFile lays the fields a JSON image config sets over ic, as
// commit --config does: Docker's schema2 config, its "config" object or
// the object alone.
func mergeConfigFile(ic *imgspecv1.ImageConfig, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--config: %w", err))
	}
	var wrapped struct {
		Config *imgspecv1.ImageConfig `json:"config"`
	}
	var c imgspecv1.ImageConfig
	if err := json.Unmarshal(data, &wrapped); err == nil && wrapped.Config != nil {
		c = *wrapped.Config
	} else if err := json.Unmarshal(data, &c); err != nil {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--config %s: %w", path, err))
	}
	applyImageChanges(ic, images.ImageChanges{
		Cmd: c.Cmd, Entrypoint: c.Entrypoint, Env: c.Env, WorkingDir: c.WorkingDir, User: c.User,
		Labels: c.Labels, ExposedPorts: c.ExposedPorts, Volumes: c.Volumes, StopSignal: c.StopSignal,
	})
	return nil
}

// applyImageChanges lays what ch sets over ic: commands replace, the
// environment, labels, ports and volumes merge.
func applyImageChanges(ic *imgspecv1.ImageConfig, ch images.ImageChanges) {
	applyChanges(&ic.Cmd, ch.Cmd)
	applyChanges(&ic.Entrypoint, ch.Entrypoint)
	ic.Env = specgen.MergeEnv(ic.Env, ch.Env...)
	if ch.WorkingDir != "" {
		ic.WorkingDir = ch.WorkingDir
	}
	if ch.User != "" {
		ic.User = ch.User
	}
	if ch.StopSignal != "" {
		ic.StopSignal = ch.StopSignal
	}
	ic.Labels = specgen.MergeLabels(ic.Labels, ch.Labels)
	for _, set := range []struct {
		dst *map[string]struct{}
		add map[string]struct{}
	}{{&ic.ExposedPorts, ch.ExposedPorts}, {&ic.Volumes, ch.Volumes}} {
		if len(set.add) > 0 {
			if *set.dst == nil {
				*set.dst = map[string]struct{}{}
			}
			maps.Copy(*set.dst, set.add)
		}
	}
}

// applyChanges replaces *dst with a change given for it.
func applyChanges(dst *[]string, change []string) {
	if change != nil {
		*dst = change
	}
}

// Change is one line of diff.
type Change = storage.Change

// Diff lists what a container added, changed and deleted; the mount
// points the runtime made for scow's own mounts (/etc/hosts, volumes...)
// are not the container's doing and are left out.
func (e *Service) Diff(ref string) ([]Change, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	cfg, err := e.containers.Config(ref)
	if err != nil {
		return nil, err
	}
	if cfg.Rootfs != "" {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("diff %s: it runs on the --rootfs directory %s, which has no image to compare with", cfg.Name, cfg.Rootfs))
	}
	changes, err := e.Store.Changes(cfg.ID)
	if err != nil {
		return nil, err
	}
	ours := map[string]bool{specgen.InitDest: true, containers.ContainerEnvPath: true}
	for _, f := range netns.Files(cfg.NoHosts, cfg.NoHostname) {
		ours["/etc/"+f] = true
	}
	for _, m := range cfg.Volumes {
		ours[m.Destination] = true
	}
	for _, u := range cfg.Secrets {
		if u.Type == "mount" {
			ours[u.Target] = true
		}
	}
	out := changes[:0]
	for _, c := range changes {
		if !(c.Kind == "A" && ours[c.Path]) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Export writes a container's root filesystem, flattened, as a tar.
func (e *Service) Export(ref string, w io.Writer) error {
	if err := e.Open(); err != nil {
		return err
	}
	_, rootfs, release, err := e.mountedContainer(ref)
	if err != nil {
		return err
	}
	defer release()
	tar, err := archive.Tar(rootfs, archive.Uncompressed)
	if err != nil {
		return fmt.Errorf("export %s: %w", ref, err)
	}
	defer tar.Close()
	if _, err := io.Copy(w, tar); err != nil {
		return fmt.Errorf("export %s: %w", ref, err)
	}
	return nil
}

// errNeedsUnshare: a rootless mount is only seen inside the namespace.
var errNeedsUnshare = errdefs.WithClass(errdefs.ErrInvalid, errors.New("a rootless mount exists only inside scow's user namespace: run this inside `scow unshare`"))

// envUnshare marks the processes of scow unshare.
const envUnshare = "_SCOW_UNSHARE"

// inUserNamespace tells whether a mount made here is seen by the caller:
// inside scow unshare, or with a parent (the caller's shell) in our
// mount namespace.
func inUserNamespace() bool {
	if !userns.Rootless() || os.Getenv(envUnshare) != "" {
		return true
	}
	ours, err1 := os.Readlink("/proc/self/ns/mnt")
	theirs, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", os.Getppid()))
	return err1 == nil && err2 == nil && ours == theirs
}

// mountable resolves the container of a mount or unmount.
func (e *Service) mountable(ref string) (*record.Config, error) {
	if !inUserNamespace() {
		return nil, errNeedsUnshare
	}
	if err := e.Open(); err != nil {
		return nil, err
	}
	return e.containers.Config(ref)
}

// Mount mounts a container's root filesystem and returns where; it
// stays until Unmount.
func (e *Service) Mount(ref string) (string, error) {
	cfg, err := e.mountable(ref)
	if err != nil {
		return "", err
	}
	return e.MountRootfsToStay(cfg)
}

// Mounted lists the mounted containers' IDs and mount points.
func (e *Service) Mounted() (map[string]string, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	return e.Store.Mounted()
}

// Unmount undoes a Mount of container ref's root filesystem; with force,
// every mount of it. What a running container uses stays.
func (e *Service) Unmount(ref string, force bool) (string, error) {
	cfg, err := e.mountable(ref)
	if err != nil {
		return "", err
	}
	return cfg.ID, e.UnmountRootfs(cfg, force)
}

// MountImage mounts image ref read-only and returns where; it stays
// until UnmountImage.
func (e *Service) MountImage(ref string) (string, error) {
	if !inUserNamespace() {
		return "", errNeedsUnshare
	}
	if err := e.Open(); err != nil {
		return "", err
	}
	p, err := e.Store.MountImage(ref)
	return p, backend.StorageErr(err)
}

// UnmountImage undoes a MountImage of image ref, every one with force,
// and returns the image's ID.
func (e *Service) UnmountImage(ref string, force bool) (string, error) {
	if !inUserNamespace() {
		return "", errNeedsUnshare
	}
	if err := e.Open(); err != nil {
		return "", err
	}
	id, err := e.Store.UnmountImage(ref, force)
	return id, backend.StorageErr(err)
}

// MountedImages maps the mounted images' IDs to their mount points.
func (e *Service) MountedImages() (map[string]string, error) {
	if err := e.Open(); err != nil {
		return nil, err
	}
	return e.Store.MountedImages()
}

// Unshare runs args (a shell by default) in the user's namespace, as
// `podman unshare` does, with CONTAINERS_GRAPHROOT and
// CONTAINERS_RUNROOT set to scow's storage; with rootlessNetns in the
// rootless bridges' network namespace too. It returns only on failure.
func (e *Service) Unshare(args []string, rootlessNetns bool) error {
	if !userns.Rootless() {
		return errdefs.WithClass(errdefs.ErrInvalid, errors.New("unshare is for rootless use: root needs no user namespace"))
	}
	if err := userns.Enter(); err != nil {
		return err
	}
	if rootlessNetns {
		if err := e.Bridges().EnterInfra(); err != nil {
			return fmt.Errorf("--rootless-netns: %w", err)
		}
	}
	if err := userns.KeepAcrossExec(); err != nil {
		return err
	}
	if len(args) == 0 {
		shell := os.Getenv("SHELL")
		if shell == "" {
			shell = "/bin/sh"
		}
		args = []string{shell}
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return errdefs.WithClass(errdefs.ErrCommandNotFound, fmt.Errorf("unshare: %w", err))
	}
	env := append(os.Environ(), envUnshare+"=1",
		"CONTAINERS_GRAPHROOT="+e.StorageDir(),
		"CONTAINERS_RUNROOT="+filepath.Join(e.Opts.RunRoot, "storage"))
	return fmt.Errorf("unshare: run %s: %w", path, syscall.Exec(path, args, env))
}
