package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scow-project/scow/engine/attach"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/pods"
	"github.com/scow-project/scow/engine/volumes"
)

// Service plays Kubernetes YAML as pods, and writes it of them.
type Service struct {
	*backend.Backend
	containers *containers.Service
	pods       *pods.Service
	volumes    *volumes.Service
}

// New returns the kube service of backend b.
func New(b *backend.Backend, c *containers.Service, p *pods.Service, v *volumes.Service) *Service {
	return &Service{Backend: b, containers: c, pods: p, volumes: v}
}

// PlayOptions are the flags of kube play.
type PlayOptions struct {
	PlanOptions
	// Replace removes pods of the same names first; NoStart makes the
	// pods without starting them (--start=false).
	Replace, NoStart bool
	// ConfigMaps are more YAML files of ConfigMaps (--configmap).
	ConfigMaps []string
	// PullProgress receives the progress of pulls; Warn each warning.
	PullProgress io.Writer
	Warn         func(string)
}

// Report is what kube play made.
type Report struct {
	Pods    []PodReport
	Volumes []string
}

// PodReport is one pod that kube play made, with its containers'
// IDs.
type PodReport struct {
	ID, Name   string
	Containers []string
}

// Read parses the YAML of r, and the ConfigMaps of files.
func Read(r io.Reader, source string, configMaps []string) (*Objects, error) {
	objs, err := Parse(r, source)
	if err != nil {
		return nil, err
	}
	for _, f := range configMaps {
		data, err := os.Open(f)
		if err != nil {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--configmap: %w", err))
		}
		err = objs.Add(data, f)
		data.Close()
		if err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// Play makes and starts the pods, volumes and containers of the YAML of
// r. A pod that cannot be made whole is removed again, and the error
// names it.
func (e *Service) Play(ctx context.Context, r io.Reader, source string, o PlayOptions) (*Report, error) {
	objs, err := Read(r, source, o.ConfigMaps)
	if err != nil {
		return nil, err
	}
	plans, err := objs.Plans(o.PlanOptions)
	if err != nil {
		return nil, err
	}
	if o.Warn != nil {
		for _, w := range objs.Warnings {
			o.Warn(w)
		}
	}
	if len(plans) == 0 && len(objs.Claims) == 0 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: no Pod, Deployment, DaemonSet, Job or PersistentVolumeClaim to play", source))
	}
	rep := &Report{}
	claims := []string{}
	for _, c := range objs.Claims {
		claims = append(claims, c.Name)
	}
	for _, p := range plans {
		claims = append(claims, p.Claims...)
	}
	for _, name := range claims {
		if _, err := e.volumes.Inspect(name); err == nil || slices.Contains(rep.Volumes, name) {
			continue
		}
		if _, err := e.volumes.Create(volumes.VolumeCreateOptions{Name: name, IgnoreExisting: true}); err != nil {
			return rep, fmt.Errorf("volume %s: %w", name, err)
		}
		rep.Volumes = append(rep.Volumes, name)
	}
	for _, p := range plans {
		pr, err := e.playPod(ctx, p, o)
		if err != nil {
			return rep, fmt.Errorf("pod %s: %w", p.Pod.Name, err)
		}
		rep.Pods = append(rep.Pods, *pr)
	}
	return rep, nil
}

// playPod makes one pod of plan p, runs its init containers to their
// end, makes its containers and starts them.
func (e *Service) playPod(ctx context.Context, p *Plan, o PlayOptions) (rep *PodReport, err error) {
	if o.Replace {
		if _, err := e.pods.Remove(ctx, p.Pod.Name, true, nil); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return nil, fmt.Errorf("--replace: %w", err)
		}
	}
	p.Pod.PullProgress = o.PullProgress
	id, err := e.pods.Create(ctx, p.Pod)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			e.pods.Remove(context.WithoutCancel(ctx), id, true, nil)
		}
	}()
	files := filepath.Join(e.Rec.PodDir(id), "files")
	for dir, list := range p.Files {
		if err := writeFiles(filepath.Join(files, dir), list); err != nil {
			return nil, err
		}
	}
	rep = &PodReport{ID: id, Name: p.Pod.Name}
	for _, s := range append(p.Init, p.Containers...) {
		s.Pod = id
		for i, m := range s.Mounts {
			if rest, ok := strings.CutPrefix(m.Source, FilesPrefix); ok {
				s.Mounts[i].Source = filepath.Join(files, rest)
			}
		}
	}
	for _, s := range p.Init {
		// Each to its end, in order, as a kubelet runs them; their
		// output stays in the way of nothing.
		_, err := e.containers.RunSpec(ctx, s, attach.Streams{Out: io.Discard, Err: io.Discard})
		if exit := (*errdefs.ExitError)(nil); errors.As(err, &exit) {
			// Its code is not kube play's.
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("init container %s exited with code %d", s.Name, exit.Code))
		}
		if err != nil {
			return nil, fmt.Errorf("init container %s: %w", s.Name, err)
		}
	}
	for _, s := range p.Containers {
		cid, err := e.containers.CreateSpec(ctx, s, o.PullProgress)
		if err != nil {
			return nil, fmt.Errorf("container %s: %w", s.Name, err)
		}
		rep.Containers = append(rep.Containers, cid)
	}
	if !o.NoStart {
		if _, err := e.pods.Start(ctx, id); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// writeFiles writes a volume's files into dir, which it makes.
func writeFiles(dir string, files []File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, os.FileMode(f.Mode)); err != nil {
			return err
		}
		if err := os.Chmod(p, os.FileMode(f.Mode)); err != nil { // past the umask
			return err
		}
	}
	return nil
}

// DownReport is what kube down removed.
type DownReport struct {
	Pods    []string
	Volumes []string
}

// Down removes the pods of the YAML of r, and with volumes the volumes
// of its PersistentVolumeClaims; a pod that is not there is passed
// over.
func (e *Service) Down(ctx context.Context, r io.Reader, source string, removeVolumes bool) (*DownReport, error) {
	objs, err := Parse(r, source)
	if err != nil {
		return nil, err
	}
	rep := &DownReport{}
	for _, name := range objs.PodNames() {
		id, err := e.pods.Remove(ctx, name, true, nil)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue
		}
		if err != nil {
			return rep, err
		}
		rep.Pods = append(rep.Pods, id)
	}
	if removeVolumes {
		for _, c := range objs.Claims {
			err := e.volumes.Remove(ctx, c.Name, false, nil)
			if errors.Is(err, errdefs.ErrNotFound) {
				continue
			}
			if err != nil {
				return rep, err
			}
			rep.Volumes = append(rep.Volumes, c.Name)
		}
	}
	return rep, nil
}
