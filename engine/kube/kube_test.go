//go:build !scow_light

package kube

import (
	"slices"
	"strings"
	"testing"

	"github.com/scow-project/scow/engine/record"
)

func parse(t *testing.T, y string) *Objects {
	t.Helper()
	o, err := Parse(strings.NewReader(y), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestParseWarnings(t *testing.T) {
	o := parse(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: {a: b}
spec:
  nodeSelector: {disk: ssd}
  affinity:
    nodeAffinity: {}
  containers:
  - name: c
    image: busybox
    lifecycle:
      postStart:
        exec: {command: [echo]}
    resources:
      limits: {cpu: "1", nvidia.com/gpu: "1"}
    bogus: 1
---
apiVersion: v1
kind: Namespace
metadata: {name: ns1}
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: listed}
  data: {k: v}
`)
	want := []string{
		`Pod "p": Kubernetes has no field "bogus": ignored`,
		`Pod "p": spec.containers[0].lifecycle.postStart.exec.command[0] is not supported by scow: ignored`,
		`Pod "p": spec.containers[0].resources.limits.nvidia.com/gpu is not supported by scow: ignored`,
		`Pod "p": spec.nodeSelector.disk is not supported by scow: ignored`,
		`Namespace "ns1" (v1): scow does not run this kind: left out`,
	}
	if !slices.Equal(o.Warnings, want) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(o.Warnings, "\n"), strings.Join(want, "\n"))
	}
	if len(o.Pods) != 1 || len(o.ConfigMaps) != 1 || o.ConfigMaps[0].Name != "listed" {
		t.Errorf("objects: %d pods, %d configmaps", len(o.Pods), len(o.ConfigMaps))
	}
	// Values are read as kubectl reads them: a string field's true is
	// "true".
	if p := parse(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i, command: [true]}]\n"); p.Pods[0].Spec.Containers[0].Command[0] != "true" {
		t.Errorf("command: %q", p.Pods[0].Spec.Containers[0].Command)
	}
	for _, bad := range []string{"a: [b", "a: b\n", "apiVersion: v1\nkind: Pod\nspec: 3\n"} {
		if _, err := Parse(strings.NewReader(bad), "bad.yaml"); err == nil {
			t.Errorf("Parse(%q) took it", bad)
		}
	}
}

func TestPlans(t *testing.T) {
	o := parse(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {A: "1", conf: "x=y"}
---
apiVersion: v1
kind: Secret
metadata: {name: sec}
data: {pw: czNjcmV0}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      hostAliases: [{ip: 10.0.0.9, hostnames: [db]}]
      securityContext: {runAsUser: 1000}
      containers:
      - name: srv
        image: busybox
        command: [httpd]
        args: [-f]
        imagePullPolicy: Always
        ports: [{containerPort: 80, hostPort: 8080}]
        envFrom: [{configMapRef: {name: cm}, prefix: CM_}]
        env:
        - {name: A, value: own}
        - name: PW
          valueFrom: {secretKeyRef: {name: sec, key: pw}}
        volumeMounts:
        - {name: conf, mountPath: /etc/conf, subPath: conf}
        - {name: pw, mountPath: /run/pw}
        - {name: scratch, mountPath: /scratch}
        - {name: claim, mountPath: /data, readOnly: true}
        resources:
          limits: {cpu: 500m, memory: 64Mi}
          requests: {cpu: 250m}
        securityContext:
          capabilities: {add: [NET_ADMIN], drop: [ALL]}
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
        livenessProbe:
          httpGet: {path: /health, port: 80}
          periodSeconds: 5
          failureThreshold: 2
      volumes:
      - {name: conf, configMap: {name: cm}}
      - name: pw
        secret: {secretName: sec, defaultMode: 0400, items: [{key: pw, path: sub/pw, mode: 0440}]}
      - {name: scratch, emptyDir: {medium: Memory}}
      - {name: claim, persistentVolumeClaim: {claimName: data}}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  type: NodePort
  selector: {app: api}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
`)
	plans, err := o.Plans(PlanOptions{Network: "front"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 || plans[0].Pod.Name != "api-pod-0" || plans[1].Pod.Name != "api-pod-1" {
		t.Fatalf("plans: %d", len(plans))
	}
	p := plans[0]
	if !slices.Equal(p.Pod.Infra.Publish, []string{"8080:80/tcp", "30080:80/tcp"}) || plans[1].Pod.Infra.Publish != nil {
		t.Errorf("published: %v, the second replica's %v", p.Pod.Infra.Publish, plans[1].Pod.Infra.Publish)
	}
	if p.Pod.Infra.Network != "front" || !slices.Equal(p.Pod.Infra.AddHosts, []string{"db:10.0.0.9"}) || p.Pod.Restart != "always" ||
		p.Pod.ExitPolicy != record.ExitPolicyStop || !slices.Equal(p.Pod.Labels, []string{"app=api"}) || p.Pod.Hostname != "api-pod-0" {
		t.Errorf("pod: %+v", p.Pod)
	}
	s := p.Containers[0]
	if s.Name != "api-pod-0-srv" || s.Image != "busybox" || s.Pull != "always" || !s.SetEntrypoint ||
		!slices.Equal(s.Entrypoint, []string{"httpd"}) || !slices.Equal(s.Cmd, []string{"-f"}) || s.User != "1000" {
		t.Errorf("container: %+v", s)
	}
	if !slices.Equal(s.Env, []string{"CM_A=1", "CM_conf=x=y", "A=own", "PW=s3cret"}) {
		t.Errorf("env: %q", s.Env)
	}
	wantMounts := []record.Mount{
		{Type: "bind", Source: FilesPrefix + "configmap-conf/conf", Destination: "/etc/conf", ReadOnly: true},
		{Type: "bind", Source: FilesPrefix + "secret-pw", Destination: "/run/pw", ReadOnly: true},
		{Type: "tmpfs", Destination: "/scratch"},
		{Type: "volume", Source: "data", Destination: "/data", ReadOnly: true},
	}
	if !slices.EqualFunc(s.Mounts, wantMounts, func(a, b record.Mount) bool {
		return a.Type == b.Type && a.Source == b.Source && a.Destination == b.Destination && a.ReadOnly == b.ReadOnly
	}) {
		t.Errorf("mounts: %+v", s.Mounts)
	}
	if f := p.Files["secret-pw"]; len(f) != 1 || f[0].Path != "sub/pw" || f[0].Mode != 0o440 || string(f[0].Data) != "s3cret" {
		t.Errorf("secret files: %+v", f)
	}
	if f := p.Files["configmap-conf"]; len(f) != 2 || f[0].Mode != 0o644 {
		t.Errorf("configmap files: %+v", f)
	}
	if !slices.Equal(p.Claims, []string{"data"}) {
		t.Errorf("claims: %v", p.Claims)
	}
	if r := s.Resources; r == nil || *r.CPU.Quota != 50000 || *r.CPU.Period != 100000 || *r.Memory.Limit != 64<<20 || *r.CPU.Shares != 256 {
		t.Errorf("resources: %+v", r)
	}
	if sec := s.Security; !slices.Equal(sec.CapAdd, []string{"CAP_NET_ADMIN"}) || !slices.Equal(sec.CapDrop, []string{"ALL"}) || !sec.NoNewPrivileges || !s.ReadOnly {
		t.Errorf("security: %+v read-only %t", sec, s.ReadOnly)
	}
	if h := s.Health; h.OnFailure != "restart" || h.Interval != "5s" || *h.Retries != 2 ||
		h.Cmd != "wget -q -O /dev/null 'http://127.0.0.1:80/health' || curl -fsS -o /dev/null 'http://127.0.0.1:80/health'" {
		t.Errorf("health: %+v", h)
	}
	if !slices.Equal(o.Warnings, []string{"pod api-pod-1: replica 1 publishes no ports: the first replica has them"}) {
		t.Errorf("warnings: %q", o.Warnings)
	}
}

func TestPlanErrors(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	for _, tc := range []struct {
		yaml, err string
	}{
		{pod + "  containers: []\n", "no containers"},
		{pod + "  containers: [{name: c}]\n", "no image"},
		{pod + "  restartPolicy: Sometimes\n  containers: [{name: c, image: i}]\n", "restartPolicy"},
		{pod + "  containers: [{name: c, image: i, volumeMounts: [{name: v, mountPath: /x}]}]\n", "no volume of that name"},
		{pod + "  containers: [{name: c, image: i, envFrom: [{secretRef: {name: s}}]}]\n", "no Secret s"},
		{pod + "  containers: [{name: c, image: i, env: [{name: X, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}]\n", "configMapKeyRef and secretKeyRef only"},
		{pod + "  containers: [{name: c, image: i, securityContext: {runAsNonRoot: true}}]\n", "runAsNonRoot needs runAsUser"},
		{pod + "  containers: [{name: c, image: i, livenessProbe: {grpc: {port: 1}}}]\n", "exec, httpGet and tcpSocket"},
		{pod + "  containers: [{name: c, image: i}]\n  volumes: [{name: v, hostPath: {path: rel}}]\n", "not absolute"},
		{pod + "  containers: [{name: c, image: i, volumeMounts: [{name: v, mountPath: /x, subPath: ../../etc}]}]\n  volumes: [{name: v, emptyDir: {}}]\n", "leaves the volume"},
		{pod + "  containers: [{name: c, image: i}]\n  volumes: [{name: v, nfs: {server: s, path: /}}]\n", "not this kind"},
	} {
		o := parse(t, tc.yaml)
		if _, err := o.Plans(PlanOptions{}); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.err)
		}
	}
}
