//go:build !scow_light

package kube

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/scow-project/scow/engine/errdefs"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// Objects are the Kubernetes objects of one or more YAML documents that
// scow acts on, in the order they came.
type Objects struct {
	Pods        []*corev1.Pod
	Deployments []*appsv1.Deployment
	DaemonSets  []*appsv1.DaemonSet
	Jobs        []*batchv1.Job
	ConfigMaps  []*corev1.ConfigMap
	Secrets     []*corev1.Secret
	Claims      []*corev1.PersistentVolumeClaim
	Services    []*corev1.Service
	// Warnings name what scow does not do: kinds and fields it leaves
	// out, fields Kubernetes does not know.
	Warnings []string
}

// kinds are the objects scow knows, by apiVersion and kind.
var kinds = map[string]func(o *Objects) any{
	"v1/Pod": func(o *Objects) any { p := &corev1.Pod{}; o.Pods = append(o.Pods, p); return p },
	"apps/v1/Deployment": func(o *Objects) any {
		d := &appsv1.Deployment{}
		o.Deployments = append(o.Deployments, d)
		return d
	},
	"apps/v1/DaemonSet": func(o *Objects) any { d := &appsv1.DaemonSet{}; o.DaemonSets = append(o.DaemonSets, d); return d },
	"batch/v1/Job":      func(o *Objects) any { j := &batchv1.Job{}; o.Jobs = append(o.Jobs, j); return j },
	"v1/ConfigMap":      func(o *Objects) any { c := &corev1.ConfigMap{}; o.ConfigMaps = append(o.ConfigMaps, c); return c },
	"v1/Secret":         func(o *Objects) any { s := &corev1.Secret{}; o.Secrets = append(o.Secrets, s); return s },
	"v1/PersistentVolumeClaim": func(o *Objects) any {
		c := &corev1.PersistentVolumeClaim{}
		o.Claims = append(o.Claims, c)
		return c
	},
	"v1/Service": func(o *Objects) any { s := &corev1.Service{}; o.Services = append(o.Services, s); return s },
}

// Parse reads the YAML documents of r. A document of a kind scow does
// not know, and every field it does not act on, is named in Warnings;
// YAML that is not Kubernetes objects is an error.
func Parse(r io.Reader, source string) (*Objects, error) {
	o := &Objects{}
	if err := o.Add(r, source); err != nil {
		return nil, err
	}
	return o, nil
}

// Add reads more documents into o.
func (o *Objects) Add(r io.Reader, source string) error {
	bad := func(format string, a ...any) error {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("%s: "+format, append([]any{source}, a...)...))
	}
	// Documents split and read as kubectl reads them (YAML 1.1, each
	// value as its field's type has it).
	docs := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for n := 1; ; n++ {
		raw, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return bad("document %d: not YAML: %v", n, err)
		}
		var tree any
		if err := sigsyaml.Unmarshal(raw, &tree); err != nil {
			return bad("document %d: not YAML: %v", n, err)
		}
		if tree == nil {
			continue // an empty document
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if _, isMap := tree.(map[string]any); !isMap || sigsyaml.Unmarshal(raw, &head) != nil || head.Kind == "" || head.APIVersion == "" {
			return bad("document %d: not a Kubernetes object: it has no apiVersion and kind", n)
		}
		what := fmt.Sprintf("%s %q", head.Kind, head.Metadata.Name)
		if head.Kind == "List" {
			var list struct {
				Items []json.RawMessage `json:"items"`
			}
			if err := sigsyaml.Unmarshal(raw, &list); err != nil {
				return bad("document %d: %v", n, err)
			}
			for _, item := range list.Items {
				if err := o.Add(bytes.NewReader(item), source); err != nil {
					return err
				}
			}
			continue
		}
		newObj, ok := kinds[head.APIVersion+"/"+head.Kind]
		if !ok {
			o.Warnings = append(o.Warnings, fmt.Sprintf("%s (%s): scow does not run this kind: left out", what, head.APIVersion))
			continue
		}
		obj := newObj(o)
		if err := sigsyaml.UnmarshalStrict(raw, obj); err != nil {
			// A field Kubernetes does not know: say which, and read
			// the rest.
			if err := sigsyaml.Unmarshal(raw, obj); err != nil {
				return bad("%s: %v", what, err)
			}
			o.Warnings = append(o.Warnings, fmt.Sprintf("%s: %s", what, strictError(err)))
		}
		for _, f := range unsupported(head.Kind, obj) {
			o.Warnings = append(o.Warnings, fmt.Sprintf("%s: %s is not supported by scow: ignored", what, f))
		}
	}
}

// strictError shortens the error of a strict decode to the field.
func strictError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "unknown field "); i >= 0 {
		return "Kubernetes has no field " + msg[i+len("unknown field "):] + ": ignored"
	}
	return msg
}

// supported are the fields scow acts on, as paths with [] for a list's
// items and * for a map's keys; a field under one listed is supported
// when the listed path ends in ".*".
var supported = map[string][]string{
	"common": {"apiVersion", "kind", "metadata.name", "metadata.namespace", "metadata.labels.*", "metadata.annotations.*",
		"metadata.creationTimestamp", "status"},
	"DaemonSet": {"spec.selector.*", "spec.template.metadata.labels.*", "spec.template.metadata.annotations.*", "spec.template.metadata.name", "spec.template.metadata.creationTimestamp"},
	"Deployment": {"spec.replicas", "spec.selector.*", "spec.template.metadata.labels.*", "spec.template.metadata.annotations.*",
		"spec.template.metadata.name", "spec.template.metadata.creationTimestamp"},
	"Job": {"spec.template.metadata.labels.*", "spec.template.metadata.annotations.*", "spec.template.metadata.name",
		"spec.template.metadata.creationTimestamp", "spec.selector.*", "spec.manualSelector"},
	"ConfigMap":             {"data.*", "binaryData.*", "immutable"},
	"Secret":                {"data.*", "stringData.*", "type", "immutable"},
	"PersistentVolumeClaim": {"spec.accessModes", "spec.resources.requests.storage", "spec.volumeMode", "spec.storageClassName"},
	"Service":               {"spec.selector.*", "spec.type", "spec.ports[].name", "spec.ports[].port", "spec.ports[].targetPort", "spec.ports[].nodePort", "spec.ports[].protocol", "spec.clusterIP", "spec.clusterIPs"},
	// The pod spec, wherever it is (PODSPEC).
	"podspec": {"volumes[].name", "volumes[].hostPath.*", "volumes[].emptyDir.*",
		"volumes[].configMap.*", "volumes[].secret.*", "volumes[].persistentVolumeClaim.*", "volumes[].image.*",
		"restartPolicy", "hostNetwork", "hostname", "hostAliases[].ip", "hostAliases[].hostnames", "dnsConfig.nameservers",
		"dnsConfig.searches", "dnsConfig.options[].name", "dnsConfig.options[].value", "dnsPolicy", "terminationGracePeriodSeconds",
		"shareProcessNamespace", "securityContext.runAsUser", "securityContext.runAsGroup", "securityContext.runAsNonRoot",
		"securityContext.sysctls[].name", "securityContext.sysctls[].value", "securityContext.seccompProfile.*", "securityContext.supplementalGroups",
		"enableServiceLinks", "automountServiceAccountToken", "serviceAccountName", "schedulerName", "priority", "tolerations.*"},
	// A container, in containers or initContainers (CTR).
	"container": {"name", "image", "command", "args", "workingDir", "env[].name", "env[].value",
		"env[].valueFrom.configMapKeyRef.*", "env[].valueFrom.secretKeyRef.*", "envFrom[].configMapRef.*", "envFrom[].secretRef.*",
		"envFrom[].prefix", "ports[].containerPort", "ports[].hostPort", "ports[].hostIP", "ports[].protocol", "ports[].name",
		"volumeMounts[].name", "volumeMounts[].mountPath", "volumeMounts[].readOnly", "volumeMounts[].subPath",
		"resources.limits.cpu", "resources.limits.memory", "resources.requests.cpu", "resources.requests.memory",
		"securityContext.runAsUser", "securityContext.runAsGroup", "securityContext.runAsNonRoot", "securityContext.capabilities.*",
		"securityContext.readOnlyRootFilesystem", "securityContext.privileged", "securityContext.allowPrivilegeEscalation",
		"securityContext.seccompProfile.*", "livenessProbe.*", "readinessProbe.*", "startupProbe.*", "imagePullPolicy", "stdin", "tty",
		"terminationMessagePath", "terminationMessagePolicy"},
}

// indexRE finds the list indexes of a path, which supported's lists
// write as [].
var indexRE = regexp.MustCompile(`\[\d+\]`)

// unsupported lists the set fields of obj (of kind) that scow does not
// act on, as paths.
func unsupported(kind string, obj any) []string {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil
	}
	var tree map[string]any
	if json.Unmarshal(data, &tree) != nil {
		return nil
	}
	var out []string
	walk(tree, "", func(path string) bool {
		return allowed(kind, indexRE.ReplaceAllString(path, "[]"))
	}, &out)
	sort.Strings(out)
	return out
}

// walk adds to out every leaf (or empty branch) of v under path that ok
// refuses; a branch that ok accepts whole is not entered.
func walk(v any, path string, ok func(string) bool, out *[]string) {
	if path != "" && ok(path) {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			return // nothing set
		}
		for k, child := range t {
			walk(child, strings.TrimPrefix(path+"."+k, "."), ok, out)
		}
	case []any:
		for i, child := range t {
			walk(child, fmt.Sprintf("%s[%d]", path, i), ok, out)
		}
	case nil:
	default:
		*out = append(*out, path)
	}
}

// allowed tells whether path (indexes as []) is a supported field of
// kind: of its own, or of the pod spec it holds and its containers.
func allowed(kind, path string) bool {
	if match(supported["common"], path) || match(supported[kind], path) {
		return true
	}
	prefix := "spec.template.spec."
	if kind == "Pod" {
		prefix = "spec."
	}
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok || kind == "ConfigMap" || kind == "Secret" || kind == "PersistentVolumeClaim" || kind == "Service" {
		return false
	}
	for _, ctrs := range []string{"containers[].", "initContainers[]."} {
		if c, ok := strings.CutPrefix(rest, ctrs); ok {
			return match(supported["container"], c)
		}
	}
	return match(supported["podspec"], rest)
}

// match tells whether path is one of list's (or an item of a list of
// values listed), or under one that ends in ".*".
func match(list []string, path string) bool {
	for _, s := range list {
		if base, whole := strings.CutSuffix(s, ".*"); whole {
			if path == base || strings.HasPrefix(path, base+".") || strings.HasPrefix(path, base+"[") {
				return true
			}
			continue
		}
		if path == s || path == s+"[]" {
			return true
		}
	}
	return false
}
