//go:build !scow_light

package kube

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/pods"
	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/scow-project/scow/netns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// FilesPrefix starts the source of a mount of a pod's own files (a
// configMap, a secret or an emptyDir volume): play makes them in the
// pod's directory, once it knows where that is.
const FilesPrefix = "kube-files:"

// Plan is one pod to make: the pod, the containers that run to
// completion first (in order), its containers, the files its volumes
// hold, and the named volumes its claims need.
type Plan struct {
	Pod        pods.CreateOptions
	Init       []*specgen.Spec
	Containers []*specgen.Spec
	// Files are the files of each of the pod's own volumes, by its
	// directory's name (what follows FilesPrefix).
	Files map[string][]File
	// Claims are the named volumes its persistentVolumeClaims name.
	Claims []string
	// HostPaths are the host paths whose hostPath volumes give a type:
	// made (DirectoryOrCreate, FileOrCreate) or checked.
	HostPaths []HostPath
	// Images are its image volumes.
	Images []ImageVolume
}

// ImageVolume is an image volume: the image's files, copied into the
// pod's directory Dir, mounted read-only.
type ImageVolume struct {
	Dir, Image, Pull string
}

// HostPath is a hostPath volume's path and type.
type HostPath struct {
	Path, Type string
}

// File is a file of a configMap or secret volume.
type File struct {
	Path string
	Data []byte
	Mode uint32
}

// podTemplate is a pod spec to make Plans of, from a Pod, a Deployment,
// a DaemonSet or a Job.
type podTemplate struct {
	name     string
	meta     metav1.ObjectMeta
	spec     corev1.PodSpec
	job      bool
	replicas int
}

// templates are the pods the objects ask for, in their order.
func (o *Objects) templates() []podTemplate {
	var out []podTemplate
	for _, p := range o.Pods {
		out = append(out, podTemplate{name: p.Name, meta: p.ObjectMeta, spec: p.Spec, replicas: 1})
	}
	for _, d := range o.Deployments {
		n := 1
		if d.Spec.Replicas != nil {
			n = int(*d.Spec.Replicas)
		}
		out = append(out, podTemplate{name: d.Name + "-pod", meta: d.Spec.Template.ObjectMeta, spec: d.Spec.Template.Spec, replicas: n})
	}
	for _, d := range o.DaemonSets {
		out = append(out, podTemplate{name: d.Name + "-pod", meta: d.Spec.Template.ObjectMeta, spec: d.Spec.Template.Spec, replicas: 1})
	}
	for _, j := range o.Jobs {
		out = append(out, podTemplate{name: j.Name + "-pod", meta: j.Spec.Template.ObjectMeta, spec: j.Spec.Template.Spec, job: true, replicas: 1})
	}
	return out
}

// PodNames are the names of the pods the objects make.
func (o *Objects) PodNames() []string {
	var names []string
	for _, t := range o.templates() {
		names = append(names, replicaNames(t)...)
	}
	return names
}

// replicaNames are the names of template t's pods: its name, or with
// more than one replica its name and -0, -1 and so on.
func replicaNames(t podTemplate) []string {
	if t.replicas == 1 {
		return []string{t.name}
	}
	var out []string
	for i := range t.replicas {
		out = append(out, fmt.Sprintf("%s-%d", t.name, i))
	}
	return out
}

// PlanOptions are kube play's flags that change the plans.
type PlanOptions struct {
	// Network is the pods' network, "" for the default.
	Network string
	// Publish are more -p values, for every pod; NoHosts leaves the
	// images' /etc/hosts alone; IPs and MACs are the pods' addresses on
	// the network, in the order of the pods (--ip, --mac-address).
	Publish   []string
	NoHosts   bool
	IPs, MACs []string
}

// Plans turns the objects into pods to make. Deployments make a pod per
// replica (the ports published by the first only: the host has one of
// each); Services of type NodePort publish their node ports on the pods
// they select.
func (o *Objects) Plans(opts PlanOptions) ([]*Plan, error) {
	var plans []*Plan
	for _, t := range o.templates() {
		for i, name := range replicaNames(t) {
			p, err := o.plan(t, name, opts)
			if err != nil {
				return nil, fmt.Errorf("pod %s: %w", name, err)
			}
			if n := len(plans); n < len(opts.IPs) {
				p.Pod.Infra.IP = opts.IPs[n]
			}
			if n := len(plans); n < len(opts.MACs) {
				p.Pod.Infra.MacAddress = opts.MACs[n]
			}
			if i > 0 && len(p.Pod.Infra.Publish) > 0 {
				o.Warnings = append(o.Warnings, fmt.Sprintf("pod %s: replica %d publishes no ports: the first replica has them", name, i))
				p.Pod.Infra.Publish = nil
			}
			plans = append(plans, p)
		}
	}
	return plans, nil
}

// plan makes the Plan of one pod of template t.
func (o *Objects) plan(t podTemplate, name string, opts PlanOptions) (*Plan, error) {
	spec := t.spec
	p := &Plan{Files: map[string][]File{}}
	labels := []string{}
	for _, k := range slices.Sorted(maps.Keys(t.meta.Labels)) {
		labels = append(labels, k+"="+t.meta.Labels[k])
	}
	p.Pod = pods.CreateOptions{
		Name: name, Labels: labels, Hostname: spec.Hostname, ExitPolicy: record.ExitPolicyStop,
		Infra: specgen.RunOptions{Network: opts.Network, Publish: slices.Clone(opts.Publish), NoHosts: opts.NoHosts},
	}
	if p.Pod.Hostname == "" {
		p.Pod.Hostname = name
	}
	if spec.HostNetwork {
		p.Pod.Infra.Network = netns.ModeHost
	}
	if spec.ShareProcessNamespace != nil && *spec.ShareProcessNamespace {
		p.Pod.Share, p.Pod.ShareSet = "+pid", true
	}
	switch spec.RestartPolicy {
	case "", corev1.RestartPolicyAlways:
		p.Pod.Restart = "always"
		if t.job {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("a Job's restartPolicy must be Never or OnFailure"))
		}
	case corev1.RestartPolicyOnFailure:
		p.Pod.Restart = "on-failure"
	case corev1.RestartPolicyNever:
		p.Pod.Restart = "no"
	default:
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("restartPolicy %q: use Always, OnFailure or Never", spec.RestartPolicy))
	}
	for _, h := range spec.HostAliases {
		for _, n := range h.Hostnames {
			p.Pod.Infra.AddHosts = append(p.Pod.Infra.AddHosts, n+":"+h.IP)
		}
	}
	if d := spec.DNSConfig; d != nil {
		p.Pod.Infra.DNS, p.Pod.Infra.DNSSearch = d.Nameservers, d.Searches
		for _, opt := range d.Options {
			v := opt.Name
			if opt.Value != nil {
				v += ":" + *opt.Value
			}
			p.Pod.Infra.DNSOptions = append(p.Pod.Infra.DNSOptions, v)
		}
	}
	if sc := spec.SecurityContext; sc != nil {
		for _, s := range sc.Sysctls {
			p.Pod.Infra.Security.Sysctl = append(p.Pod.Infra.Security.Sysctl, s.Name+"="+s.Value)
		}
	}
	for _, c := range spec.Containers {
		for _, port := range c.Ports {
			if port.HostPort == 0 {
				continue
			}
			pub := fmt.Sprintf("%d:%d/%s", port.HostPort, port.ContainerPort, strings.ToLower(string(cmpProto(port.Protocol))))
			if port.HostIP != "" {
				pub = port.HostIP + ":" + pub
			}
			p.Pod.Infra.Publish = append(p.Pod.Infra.Publish, pub)
		}
	}
	for _, svc := range o.Services {
		if len(svc.Spec.Selector) == 0 || !selects(svc.Spec.Selector, t.meta.Labels) {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			if sp.NodePort == 0 {
				continue
			}
			target, err := targetPort(sp, spec.Containers)
			if err != nil {
				return nil, fmt.Errorf("Service %s: %w", svc.Name, err)
			}
			p.Pod.Infra.Publish = append(p.Pod.Infra.Publish, fmt.Sprintf("%d:%d/%s", sp.NodePort, target, strings.ToLower(string(cmpProto(sp.Protocol)))))
		}
	}
	users := map[string]int{}
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		for _, m := range c.VolumeMounts {
			users[m.Name]++
		}
	}
	vols, err := o.volumes(p, spec.Volumes, users)
	if err != nil {
		return nil, err
	}
	for i, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range list {
			s, err := o.container(name, c, spec, vols)
			if err != nil {
				return nil, fmt.Errorf("container %s: %w", c.Name, err)
			}
			s.Annotations = o.annotations(name, t.meta.Annotations)
			if i == 0 {
				s.Remove, s.Restart, s.InitContainer = true, record.RestartPolicy{}, true
				p.Init = append(p.Init, s)
			} else {
				p.Containers = append(p.Containers, s)
			}
		}
	}
	if len(p.Containers) == 0 {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("it has no containers"))
	}
	return p, nil
}

// annotations are a pod template's annotations for its containers,
// less the OCI runtime's own (run.oci.*: crun's hooks, handlers), which
// a YAML from elsewhere must not set.
func (o *Objects) annotations(pod string, list map[string]string) map[string]string {
	out := maps.Clone(list)
	for k := range out {
		if strings.HasPrefix(k, "run.oci.") {
			o.Warnings = append(o.Warnings, fmt.Sprintf("pod %s: annotation %s is the OCI runtime's: left out", pod, k))
			delete(out, k)
		}
	}
	return out
}

func cmpProto(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// selects tells whether a Service's selector picks a pod of labels.
func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// targetPort is the container port of a Service's port: a number, a
// named port of the containers, or the port itself.
func targetPort(sp corev1.ServicePort, ctrs []corev1.Container) (int32, error) {
	switch {
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal, nil
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, c := range ctrs {
			for _, p := range c.Ports {
				if p.Name == sp.TargetPort.StrVal {
					return p.ContainerPort, nil
				}
			}
		}
		return 0, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("targetPort %s: no container port has that name", sp.TargetPort.StrVal))
	}
	return sp.Port, nil
}

// volume is where a pod volume comes from, for its mounts.
type volume struct {
	kind     string // bind, volume, tmpfs
	source   string
	readOnly bool
}

// volumeNameRE and keyRE are Kubernetes' rules for a volume's name (a
// DNS label) and a ConfigMap's or Secret's key: both become file names.
var (
	volumeNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	keyRE        = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// volumes resolves the pod's volumes: host paths, claims (named
// volumes), and the pod's own files (configMap, secret, emptyDir).
// users counts the containers that mount each volume, for
// emptyDirs in memory.
func (o *Objects) volumes(p *Plan, list []corev1.Volume, users map[string]int) (map[string]volume, error) {
	out := map[string]volume{}
	for _, v := range list {
		if !volumeNameRE.MatchString(v.Name) {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("volume %q: a volume's name is a DNS label: lower case letters, digits and '-'", v.Name))
		}
		switch {
		case v.HostPath != nil:
			if !path.IsAbs(v.HostPath.Path) {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("volume %s: hostPath %q is not absolute", v.Name, v.HostPath.Path))
			}
			if t := v.HostPath.Type; t != nil && *t != corev1.HostPathUnset {
				p.HostPaths = append(p.HostPaths, HostPath{Path: v.HostPath.Path, Type: string(*t)})
			}
			out[v.Name] = volume{kind: record.MountBind, source: v.HostPath.Path}
		case v.PersistentVolumeClaim != nil:
			out[v.Name] = volume{kind: record.MountVolume, source: v.PersistentVolumeClaim.ClaimName, readOnly: v.PersistentVolumeClaim.ReadOnly}
			if !slices.Contains(p.Claims, v.PersistentVolumeClaim.ClaimName) {
				p.Claims = append(p.Claims, v.PersistentVolumeClaim.ClaimName)
			}
		case v.EmptyDir != nil && v.EmptyDir.Medium == corev1.StorageMediumMemory && users[v.Name] <= 1:
			out[v.Name] = volume{kind: record.MountTmpfs}
		case v.EmptyDir != nil:
			if v.EmptyDir.Medium == corev1.StorageMediumMemory {
				o.Warnings = append(o.Warnings, fmt.Sprintf("volume %s: an emptyDir in memory that %d containers share is a directory on disk in scow", v.Name, users[v.Name]))
			}
			p.Files["emptydir-"+v.Name] = []File{}
			out[v.Name] = volume{kind: record.MountBind, source: FilesPrefix + "emptydir-" + v.Name}
		case v.Image != nil:
			if v.Image.Reference == "" {
				return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("volume %s: an image volume needs a reference", v.Name))
			}
			pull, err := pullPolicy(v.Image.PullPolicy)
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			p.Images = append(p.Images, ImageVolume{Dir: "image-" + v.Name, Image: v.Image.Reference, Pull: pull})
			out[v.Name] = volume{kind: record.MountBind, source: FilesPrefix + "image-" + v.Name, readOnly: true}
		case v.ConfigMap != nil:
			data, err := o.configMapData(v.ConfigMap.Name, v.ConfigMap.Optional)
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			files, err := volumeFiles(data, v.ConfigMap.Items, v.ConfigMap.DefaultMode, 0o644)
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			p.Files["configmap-"+v.Name] = files
			out[v.Name] = volume{kind: record.MountBind, source: FilesPrefix + "configmap-" + v.Name, readOnly: true}
		case v.Secret != nil:
			data, err := o.secretData(v.Secret.SecretName, v.Secret.Optional)
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			files, err := volumeFiles(data, v.Secret.Items, v.Secret.DefaultMode, 0o644)
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			p.Files["secret-"+v.Name] = files
			out[v.Name] = volume{kind: record.MountBind, source: FilesPrefix + "secret-" + v.Name, readOnly: true}
		default:
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("volume %s: scow mounts hostPath, emptyDir, configMap, secret, persistentVolumeClaim and image volumes, not this kind", v.Name))
		}
	}
	return out, nil
}

// volumeFiles are the files of a configMap or secret volume: every key,
// or the items named, each with its mode or the volume's.
func volumeFiles(data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32, fallback uint32) ([]File, error) {
	mode := fallback
	if defaultMode != nil {
		mode = uint32(*defaultMode) & 0o777
	}
	for k := range data {
		if !keyRE.MatchString(k) || k == "." || k == ".." {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("key %q: a key is letters, digits, '-', '_' and '.', and names a file", k))
		}
	}
	var out []File
	if len(items) == 0 {
		for _, k := range slices.Sorted(maps.Keys(data)) {
			out = append(out, File{Path: k, Data: data[k], Mode: mode})
		}
		return out, nil
	}
	for _, it := range items {
		d, ok := data[it.Key]
		if !ok {
			return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("item %s: no such key", it.Key))
		}
		clean := path.Clean(it.Path)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("item %s: path %q leaves the volume", it.Key, it.Path))
		}
		f := File{Path: clean, Data: d, Mode: mode}
		if it.Mode != nil {
			f.Mode = uint32(*it.Mode) & 0o777
		}
		out = append(out, f)
	}
	return out, nil
}

// configMapData is the data of ConfigMap name; an optional one that is
// missing has none.
func (o *Objects) configMapData(name string, optional *bool) (map[string][]byte, error) {
	for _, c := range o.ConfigMaps {
		if c.Name == name {
			data := map[string][]byte{}
			for k, v := range c.Data {
				data[k] = []byte(v)
			}
			maps.Copy(data, c.BinaryData)
			return data, nil
		}
	}
	if optional != nil && *optional {
		return map[string][]byte{}, nil
	}
	return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no ConfigMap %s: give it in the YAML, or with --configmap", name))
}

// secretData is the data of Secret name.
func (o *Objects) secretData(name string, optional *bool) (map[string][]byte, error) {
	for _, s := range o.Secrets {
		if s.Name == name {
			data := maps.Clone(s.Data)
			if data == nil {
				data = map[string][]byte{}
			}
			for k, v := range s.StringData {
				data[k] = []byte(v)
			}
			return data, nil
		}
	}
	if optional != nil && *optional {
		return map[string][]byte{}, nil
	}
	return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("no Secret %s: give it in the YAML", name))
}

// container makes the create request of container c of pod podName.
func (o *Objects) container(podName string, c corev1.Container, pod corev1.PodSpec, vols map[string]volume) (*specgen.Spec, error) {
	bad := func(format string, a ...any) (*specgen.Spec, error) {
		return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	if c.Image == "" {
		return bad("no image")
	}
	s := &specgen.Spec{Name: podName + "-" + c.Name, Image: c.Image, Cmd: slices.Clone(c.Args), WorkingDir: c.WorkingDir,
		Interactive: c.Stdin, Tty: c.TTY, Labels: map[string]string{}}
	pull, err := pullPolicy(c.ImagePullPolicy)
	if err != nil {
		return nil, err
	}
	s.Pull = pull
	if c.Command != nil {
		s.Entrypoint, s.SetEntrypoint = slices.Clone(c.Command), true
	}
	if pod.TerminationGracePeriodSeconds != nil {
		t := int(*pod.TerminationGracePeriodSeconds)
		s.StopTimeout = &t
	}
	env, err := o.env(c)
	if err != nil {
		return nil, err
	}
	s.Env = env
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	for _, list := range [][]string{s.Entrypoint, s.Cmd} {
		for i, w := range list {
			list[i] = expandVars(w, vars)
		}
	}
	for _, m := range c.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			return bad("volumeMount %s: the pod has no volume of that name", m.Name)
		}
		mount := record.Mount{Type: v.kind, Source: v.source, Destination: m.MountPath, ReadOnly: m.ReadOnly || v.readOnly}
		if m.SubPath != "" {
			clean := path.Clean(m.SubPath)
			if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
				return bad("volumeMount %s: subPath %q leaves the volume", m.Name, m.SubPath)
			}
			if v.kind != record.MountBind {
				return bad("volumeMount %s: scow takes a subPath of hostPath, configMap, secret and emptyDir volumes only", m.Name)
			}
			mount.Source = v.source + "/" + clean
		}
		if !path.IsAbs(m.MountPath) {
			return bad("volumeMount %s: mountPath %q is not absolute", m.Name, m.MountPath)
		}
		s.Mounts = append(s.Mounts, mount)
	}
	if err := resources(s, c.Resources); err != nil {
		return nil, err
	}
	if err := security(s, c.SecurityContext, pod.SecurityContext); err != nil {
		return nil, err
	}
	if err := o.probes(s, c); err != nil {
		return nil, err
	}
	return s, nil
}

// pullPolicy is an imagePullPolicy as a pull policy of scow's.
func pullPolicy(p corev1.PullPolicy) (string, error) {
	switch p {
	case "", corev1.PullIfNotPresent:
		return "missing", nil
	case corev1.PullAlways:
		return "always", nil
	case corev1.PullNever:
		return "never", nil
	}
	return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("pull policy %q: use Always, IfNotPresent or Never", p))
}

// env is a container's environment: envFrom's, then env's over them.
func (o *Objects) env(c corev1.Container) ([]string, error) {
	var env []string
	for _, from := range c.EnvFrom {
		var data map[string][]byte
		var err error
		switch {
		case from.ConfigMapRef != nil:
			data, err = o.configMapData(from.ConfigMapRef.Name, from.ConfigMapRef.Optional)
		case from.SecretRef != nil:
			data, err = o.secretData(from.SecretRef.Name, from.SecretRef.Optional)
		}
		if err != nil {
			return nil, fmt.Errorf("envFrom: %w", err)
		}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			env = append(env, from.Prefix+k+"="+string(data[k]))
		}
	}
	defined := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		defined[k] = v
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			v := expandVars(e.Value, defined)
			defined[e.Name] = v
			env = append(env, e.Name+"="+v)
			continue
		}
		var data map[string][]byte
		var key string
		var optional *bool
		var err error
		switch ref := e.ValueFrom; {
		case ref.ConfigMapKeyRef != nil:
			key, optional = ref.ConfigMapKeyRef.Key, ref.ConfigMapKeyRef.Optional
			data, err = o.configMapData(ref.ConfigMapKeyRef.Name, optional)
		case ref.SecretKeyRef != nil:
			key, optional = ref.SecretKeyRef.Key, ref.SecretKeyRef.Optional
			data, err = o.secretData(ref.SecretKeyRef.Name, optional)
		default:
			return nil, errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("env %s: scow takes values from configMapKeyRef and secretKeyRef only", e.Name))
		}
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		v, ok := data[key]
		if !ok {
			if optional != nil && *optional {
				continue
			}
			return nil, errdefs.WithClass(errdefs.ErrNotFound, fmt.Errorf("env %s: no key %s", e.Name, key))
		}
		defined[e.Name] = string(v)
		env = append(env, e.Name+"="+string(v))
	}
	return env, nil
}

// expandVars expands $(NAME) in s as a kubelet does: with the value of
// a variable defined before, $$ for a $; a reference to one undefined
// stays as it is.
func expandVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i++
		case next == '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteByte('$')
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// resources turns limits and requests into cgroup limits: a CPU limit
// as --cpus, a memory limit as --memory, requests as --cpu-shares and
// --memory-reservation.
func resources(s *specgen.Spec, r corev1.ResourceRequirements) error {
	var o specgen.ResourceOptions
	if q, ok := r.Limits[corev1.ResourceCPU]; ok {
		o.CPUs = float64(q.MilliValue()) / 1000
	}
	if q, ok := r.Limits[corev1.ResourceMemory]; ok {
		o.Memory = strconv.FormatInt(q.Value(), 10)
	}
	if q, ok := r.Requests[corev1.ResourceCPU]; ok {
		o.CPUShares = uint64(max(2, q.MilliValue()*1024/1000))
	}
	if q, ok := r.Requests[corev1.ResourceMemory]; ok {
		o.MemoryReservation = strconv.FormatInt(q.Value(), 10)
	}
	res, err := specgen.ParseResources(o)
	if err != nil {
		return err
	}
	s.Resources = res
	return nil
}

// security applies a container's security context, over its pod's.
func security(s *specgen.Spec, c *corev1.SecurityContext, pod *corev1.PodSecurityContext) error {
	var user, group *int64
	var nonRoot *bool
	var seccomp *corev1.SeccompProfile
	var o specgen.SecurityOptions
	if pod != nil {
		user, group, nonRoot, seccomp = pod.RunAsUser, pod.RunAsGroup, pod.RunAsNonRoot, pod.SeccompProfile
		for _, g := range pod.SupplementalGroups {
			o.GroupAdd = append(o.GroupAdd, strconv.FormatInt(g, 10))
		}
	}
	if c != nil {
		user, group = cmpPtr(c.RunAsUser, user), cmpPtr(c.RunAsGroup, group)
		nonRoot, seccomp = cmpPtr(c.RunAsNonRoot, nonRoot), cmpPtr(c.SeccompProfile, seccomp)
		if c.Capabilities != nil {
			for _, a := range c.Capabilities.Add {
				o.CapAdd = append(o.CapAdd, string(a))
			}
			for _, d := range c.Capabilities.Drop {
				o.CapDrop = append(o.CapDrop, string(d))
			}
		}
		if c.Privileged != nil {
			o.Privileged = *c.Privileged
		}
		if c.ReadOnlyRootFilesystem != nil {
			s.ReadOnly, s.ReadOnlyTmpfs = *c.ReadOnlyRootFilesystem, *c.ReadOnlyRootFilesystem
		}
		if c.AllowPrivilegeEscalation != nil && !*c.AllowPrivilegeEscalation {
			o.SecurityOpt = append(o.SecurityOpt, "no-new-privileges")
		}
	}
	if user != nil {
		s.User = strconv.FormatInt(*user, 10)
		if group != nil {
			s.User += ":" + strconv.FormatInt(*group, 10)
		}
	} else if group != nil {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("securityContext: runAsGroup needs runAsUser"))
	}
	if nonRoot != nil && *nonRoot {
		if user == nil {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("securityContext: runAsNonRoot needs runAsUser: scow does not look into the image for its user"))
		}
		if *user == 0 {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("securityContext: runAsNonRoot, but runAsUser is 0"))
		}
	}
	if seccomp != nil {
		switch seccomp.Type {
		case corev1.SeccompProfileTypeUnconfined:
			o.SecurityOpt = append(o.SecurityOpt, "seccomp=unconfined")
		case corev1.SeccompProfileTypeRuntimeDefault:
		case corev1.SeccompProfileTypeLocalhost:
			if seccomp.LocalhostProfile == nil {
				return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("securityContext: seccompProfile Localhost needs localhostProfile"))
			}
			o.SecurityOpt = append(o.SecurityOpt, "seccomp="+*seccomp.LocalhostProfile)
		default:
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("securityContext: seccompProfile type %q", seccomp.Type))
		}
	}
	sec, err := specgen.ParseSecurity(o, netns.Mode{})
	if err != nil {
		return err
	}
	s.Security = sec
	return nil
}

func cmpPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// probes make the container's healthcheck of its livenessProbe (failures
// restart it, as a kubelet does) or readinessProbe, and its startup
// check of its startupProbe.
func (o *Objects) probes(s *specgen.Spec, c corev1.Container) error {
	probe, action := c.LivenessProbe, "restart"
	if probe == nil {
		probe, action = c.ReadinessProbe, "none"
	} else if c.ReadinessProbe != nil {
		o.Warnings = append(o.Warnings, fmt.Sprintf("container %s: readinessProbe: a container has one healthcheck in scow, its livenessProbe: ignored", c.Name))
	}
	if probe != nil {
		cmd, err := probeCommand(probe)
		if err != nil {
			return err
		}
		retries := int(probe.FailureThreshold)
		if retries == 0 {
			retries = 3
		}
		s.Health = specgen.HealthOptions{Cmd: cmd, Interval: seconds(probe.PeriodSeconds, 10), Timeout: seconds(probe.TimeoutSeconds, 1),
			StartPeriod: seconds(probe.InitialDelaySeconds, 0), Retries: &retries, OnFailure: action}
	}
	if p := c.StartupProbe; p != nil {
		cmd, err := probeCommand(p)
		if err != nil {
			return err
		}
		s.Health.StartupCmd, s.Health.StartupInterval, s.Health.StartupTimeout = cmd, seconds(p.PeriodSeconds, 10), seconds(p.TimeoutSeconds, 1)
		s.Health.StartupRetries = int(p.FailureThreshold)
		if s.Health.StartupRetries == 0 {
			s.Health.StartupRetries = 3 // Kubernetes' default
		}
		if s.Health.Cmd == "" {
			return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("startupProbe needs a livenessProbe or readinessProbe: scow's startup check leads to a healthcheck"))
		}
	}
	return nil
}

func seconds(n int32, fallback int) string {
	if n == 0 {
		return strconv.Itoa(fallback) + "s"
	}
	return strconv.Itoa(int(n)) + "s"
}

// probeCommand is a probe as a healthcheck's command: exec's command,
// an HTTP GET through wget or curl, a TCP connect through nc (a server
// that keeps a connection open without a word fails it where nc has no
// -z).
func probeCommand(p *corev1.Probe) (string, error) {
	bad := func(format string, a ...any) (string, error) {
		return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf(format, a...))
	}
	port := func(v intstr.IntOrString) (string, error) {
		if v.Type == intstr.String {
			return "", errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("probe port %q: give the number", v.StrVal))
		}
		return strconv.Itoa(int(v.IntVal)), nil
	}
	switch {
	case p.Exec != nil:
		cmd := p.Exec.Command
		if len(cmd) == 0 {
			return bad("probe: exec has no command")
		}
		if len(cmd) == 3 && (cmd[0] == "/bin/sh" || cmd[0] == "sh") && cmd[1] == "-c" {
			return cmd[2], nil // the shell's, as a HEALTHCHECK CMD-SHELL
		}
		b, _ := json.Marshal(cmd)
		return string(b), nil
	case p.HTTPGet != nil:
		n, err := port(p.HTTPGet.Port)
		if err != nil {
			return "", err
		}
		host := p.HTTPGet.Host
		if host == "" {
			host = "127.0.0.1"
		}
		scheme := strings.ToLower(string(p.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		url := fmt.Sprintf("%s://%s:%s%s", scheme, host, n, p.HTTPGet.Path)
		return fmt.Sprintf("wget -q -O /dev/null %s || curl -fsS -o /dev/null %s", shellQuote(url), shellQuote(url)), nil
	case p.TCPSocket != nil:
		n, err := port(p.TCPSocket.Port)
		if err != nil {
			return "", err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = "127.0.0.1"
		}
		// (BusyBox's nc has no -z: it connects, and ends at stdin's end.)
		return fmt.Sprintf("nc -z %[1]s %[2]s 2>/dev/null || nc -w 1 %[1]s %[2]s </dev/null >/dev/null 2>&1", shellQuote(host), n), nil
	}
	return bad("probe: scow runs exec, httpGet and tcpSocket probes, not this kind")
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
