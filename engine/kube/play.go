//go:build !scow_light

package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/scow-project/scow/engine/build"
	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/internal/backend"
	"github.com/scow-project/scow/engine/pods"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/engine/volumes"
	corev1 "k8s.io/api/core/v1"
)

// Service plays Kubernetes YAML as pods, and writes it of them.
type Service struct {
	*backend.Backend
	containers *containers.Service
	pods       *pods.Service
	volumes    *volumes.Service
	build      *build.Service
}

// New returns the kube service of backend b.
func New(b *backend.Backend, c *containers.Service, p *pods.Service, v *volumes.Service, bs *build.Service) *Service {
	return &Service{Backend: b, containers: c, pods: p, volumes: v, build: bs}
}

// PlayOptions are the flags of kube play.
type PlayOptions struct {
	PlanOptions
	// Replace removes pods of the same names first; NoStart makes the
	// pods without starting them (--start=false).
	Replace, NoStart bool
	// ConfigMaps are more YAML files of ConfigMaps (--configmap).
	ConfigMaps []string
	// Build builds an image from the directory of its name in
	// ContextDir ("": the working directory) when that holds a
	// Containerfile or Dockerfile: nil when the image is missing, true
	// always, false never (--build).
	Build      *bool
	ContextDir string
	// BuildOut receives the builds' steps.
	BuildOut io.Writer
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
		more, err := Parse(data, f)
		data.Close()
		if err != nil {
			return nil, err
		}
		if len(more.ConfigMaps) == 0 || len(more.PodNames())+len(more.Secrets)+len(more.Claims)+len(more.Services) > 0 {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--configmap %s: give a file of ConfigMaps only", f))
		}
		objs.ConfigMaps = append(objs.ConfigMaps, more.ConfigMaps...)
		objs.Warnings = append(objs.Warnings, more.Warnings...)
	}
	return objs, nil
}

// Play makes and starts the pods, volumes and containers of the YAML of
// r. A pod that cannot be made whole is removed again, and the error
// names it.
func (e *Service) Play(ctx context.Context, r io.Reader, source string, o PlayOptions) (rep *Report, err error) {
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
	rep = &Report{}
	defer func() {
		if err == nil {
			return
		}
		// Nothing half-made: the pods and volumes made so far go.
		for _, p := range rep.Pods {
			e.pods.Remove(context.WithoutCancel(ctx), p.ID, true, nil)
		}
		for _, v := range rep.Volumes {
			e.volumes.Remove(context.WithoutCancel(ctx), v, true, nil)
		}
		rep = nil
	}()
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
	if err := e.buildImages(ctx, plans, o); err != nil {
		return rep, err
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

// buildImages builds the images of the plans' containers that have a
// directory of their name in the context directory, as --build says.
func (e *Service) buildImages(ctx context.Context, plans []*Plan, o PlayOptions) error {
	if o.Build != nil && !*o.Build {
		return nil
	}
	base := o.ContextDir
	if base == "" {
		var err error
		if base, err = os.Getwd(); err != nil {
			return err
		}
	}
	built := map[string]bool{}
	for _, p := range plans {
		for _, s := range append(slices.Clone(p.Init), p.Containers...) {
			if built[s.Image] {
				s.Pull = "missing" // built here, not to be pulled over
				continue
			}
			dir := filepath.Join(base, imageDir(s.Image))
			if strings.Contains(s.Image, "@") || build.FindContainerfile(dir) == "" {
				continue // a digest names what a build cannot make
			}
			if o.Build == nil {
				if _, err := e.Store.Resolve(s.Image); err == nil {
					continue // there already: built only with --build
				}
			}
			out := o.BuildOut
			if out == nil {
				out = io.Discard
			}
			if _, err := e.build.Build(ctx, build.Options{ContextDir: dir, Tags: []string{s.Image}, Out: out}); err != nil {
				return fmt.Errorf("build %s from %s: %w", s.Image, dir, err)
			}
			built[s.Image], s.Pull = true, "missing"
		}
	}
	return nil
}

// imageDir is the directory an image is built from: the last part of
// its name, without tag or digest (localhost/web:1 builds from web).
func imageDir(image string) string {
	name, _, _ := strings.Cut(image, "@")
	name = path.Base(name)
	name, _, _ = strings.Cut(name, ":")
	return name
}

// playPod makes one pod of plan p, runs its init containers to their
// end, makes its containers and starts them.
func (e *Service) playPod(ctx context.Context, p *Plan, o PlayOptions) (rep *PodReport, err error) {
	if o.Replace {
		if _, err := e.removeNamed(ctx, p.Pod.Name); err != nil {
			return nil, fmt.Errorf("--replace: %w", err)
		}
	}
	for _, h := range p.HostPaths {
		if err := hostPath(h); err != nil {
			return nil, err
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
		if err := writeFiles(filepath.Join(files, dir), list, strings.HasPrefix(dir, "emptydir-")); err != nil {
			return nil, err
		}
	}
	for _, iv := range p.Images {
		if err := e.containers.EnsureImage(ctx, &specgen.Spec{Image: iv.Image, Pull: iv.Pull}, o.PullProgress); err != nil {
			return nil, fmt.Errorf("image volume %s: %w", iv.Image, err)
		}
		if err := e.Store.CopyImage(iv.Image, filepath.Join(files, iv.Dir)); err != nil {
			return nil, err
		}
		// Beside it, which image it is: kube generate writes it again.
		if err := os.WriteFile(filepath.Join(files, iv.Dir+".image"), []byte(iv.Image), 0o644); err != nil {
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
	// The pod's start runs the init containers to their end, in order,
	// then starts the others.
	for _, s := range append(p.Init, p.Containers...) {
		cid, err := e.containers.CreateSpec(ctx, s, o.PullProgress)
		if err != nil {
			return nil, fmt.Errorf("container %s: %w", s.Name, err)
		}
		if !s.InitContainer {
			rep.Containers = append(rep.Containers, cid)
		}
	}
	if !o.NoStart {
		if _, err := e.pods.Start(ctx, id); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// removeNamed removes the pod of exactly that name, not one whose ID
// starts so, and returns its ID; "" when there is none.
func (e *Service) removeNamed(ctx context.Context, name string) (string, error) {
	all, err := e.Rec.Pods()
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(all, func(p *record.Pod) bool { return p.Name == name })
	if i < 0 {
		return "", nil
	}
	id, err := e.pods.Remove(ctx, all[i].ID, true, nil)
	if errors.Is(err, errdefs.ErrNotFound) {
		return "", nil
	}
	return id, err
}

// hostPath makes or checks the path of a hostPath volume of a type.
func hostPath(h HostPath) error {
	st, err := os.Stat(h.Path)
	switch h.Type {
	case string(corev1.HostPathDirectoryOrCreate):
		if err != nil {
			return os.MkdirAll(h.Path, 0o755)
		}
	case string(corev1.HostPathFileOrCreate):
		if err != nil {
			f, err := os.OpenFile(h.Path, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
	case string(corev1.HostPathDirectory):
		if err != nil || !st.IsDir() {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("hostPath %s: not a directory", h.Path))
		}
	case string(corev1.HostPathFile):
		if err != nil || !st.Mode().IsRegular() {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("hostPath %s: not a file", h.Path))
		}
	case string(corev1.HostPathSocket), string(corev1.HostPathCharDev), string(corev1.HostPathBlockDev):
		want := map[string]os.FileMode{string(corev1.HostPathSocket): os.ModeSocket, string(corev1.HostPathCharDev): os.ModeCharDevice | os.ModeDevice,
			string(corev1.HostPathBlockDev): os.ModeDevice}[h.Type]
		if err != nil || st.Mode()&want != want {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("hostPath %s: not a %s", h.Path, h.Type))
		}
	default:
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("hostPath %s: type %q", h.Path, h.Type))
	}
	return nil
}

// writeFiles writes a volume's files into dir, which it makes: an
// emptyDir is open to every user, as a kubelet makes it. No file may
// land outside dir or on one there already.
func writeFiles(dir string, files []File, empty bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if empty {
		return os.Chmod(dir, 0o777)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if rel, err := filepath.Rel(dir, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("file %q leaves its volume", f.Path))
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, os.FileMode(f.Mode))
		if err != nil {
			return fmt.Errorf("volume file %s: %w", f.Path, err)
		}
		_, err = w.Write(f.Data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
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
		id, err := e.removeNamed(ctx, name)
		if err != nil {
			return rep, err
		}
		if id != "" {
			rep.Pods = append(rep.Pods, id)
		}
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
