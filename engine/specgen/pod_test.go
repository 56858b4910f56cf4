package specgen

import (
	"slices"
	"strings"
	"testing"

	"github.com/scow-project/scow/engine/record"
	"github.com/scow-project/scow/netns"
)

func TestParseShare(t *testing.T) {
	for _, tc := range []struct {
		value string
		set   bool
		want  []string
		err   string
	}{
		{set: false, want: []string{"ipc", "net", "uts"}},
		{value: "net", set: true, want: []string{"net"}},
		{value: "uts,net,net", set: true, want: []string{"net", "uts"}},
		{value: "+pid", set: true, want: []string{"ipc", "net", "pid", "uts"}},
		{value: "none", set: true},
		{value: "", set: true},
		{value: "+", set: true, err: "after +"},
		{value: "net,mnt", set: true, err: `"mnt" is not a namespace`},
	} {
		got, err := ParseShare(tc.value, tc.set)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShare(%q) = %v, %v; want error %q", tc.value, got, err, tc.err)
			}
		case err != nil || !slices.Equal(got, tc.want):
			t.Errorf("ParseShare(%q, %t) = %v, %v; want %v", tc.value, tc.set, got, err, tc.want)
		}
	}
	for in, want := range map[string]string{"": "continue", "continue": "continue", "stop": "stop", "halt": ""} {
		got, err := ParseExitPolicy(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("ParseExitPolicy(%q) = %q, %v", in, got, err)
		}
	}
}

func TestJoinPod(t *testing.T) {
	infra := &record.Config{ID: "infra1"}
	pod := func(share ...string) *record.Pod {
		return &record.Pod{ID: "pod1", Name: "shop", Hostname: "shop-host", Infra: true, Share: share,
			Volumes: []record.Mount{{Source: "data", Destination: "/data"}}, VolumesFrom: []string{"keeper"},
			RestartPolicy: record.RestartPolicy{Name: "always"}}
	}
	slirp := netns.Mode{Kind: netns.ModeSlirp}
	for _, tc := range []struct {
		name  string
		spec  Spec
		pod   *record.Pod
		check func(t *testing.T, s *Spec)
		err   string
	}{
		{name: "default share", spec: Spec{Pod: "shop"}, pod: pod("ipc", "net", "uts"), check: func(t *testing.T, s *Spec) {
			if s.Pod != "pod1" || s.Network.String() != "container:infra1" || s.Namespaces.IPC != "container:infra1" ||
				s.Namespaces.UTS != "container:infra1" || s.Namespaces.PID != "" || !slices.Equal(s.Requires, []string{"infra1"}) {
				t.Errorf("joined: %+v", s)
			}
			if s.Hostname != "" {
				t.Errorf("a member sharing the network takes the host name from it, not %q", s.Hostname)
			}
			if len(s.Mounts) != 1 || s.Mounts[0].Destination != "/data" || !slices.Equal(s.VolumesFrom, []string{"keeper"}) || s.Restart.Name != "always" {
				t.Errorf("the pod's volumes and restart policy: %+v %v %v", s.Mounts, s.VolumesFrom, s.Restart)
			}
		}},
		{name: "uts without net", spec: Spec{Pod: "shop"}, pod: pod("uts"), check: func(t *testing.T, s *Spec) {
			if s.Hostname != "shop-host" || s.Network.Kind != defaultNetworkKind() {
				t.Errorf("joined: host name %q, network %v", s.Hostname, s.Network)
			}
		}},
		{name: "own network when not shared", spec: Spec{Pod: "shop", Network: netns.Mode{Kind: netns.ModeNone}}, pod: pod("ipc"), check: func(t *testing.T, s *Spec) {
			if s.Network.Kind != netns.ModeNone {
				t.Errorf("network %v", s.Network)
			}
		}},
		{name: "rm keeps no restart", spec: Spec{Pod: "shop", Remove: true}, pod: pod("net"), check: func(t *testing.T, s *Spec) {
			if s.Restart.Name != "" {
				t.Errorf("a --rm member got restart policy %v", s.Restart)
			}
		}},
		{name: "own restart", spec: Spec{Pod: "shop", Restart: record.RestartPolicy{Name: "no"}}, pod: pod("net"), check: func(t *testing.T, s *Spec) {
			if s.Restart.Name != "no" {
				t.Errorf("restart %v", s.Restart)
			}
		}},
		{name: "ports", spec: Spec{Pod: "shop", Ports: []netns.PortMapping{{ContainerPort: 80}}}, pod: pod("net"), err: "-p: the containers of pod shop share its network: give -p to pod create"},
		{name: "network", spec: Spec{Pod: "shop", Network: slirp}, pod: pod("net"), err: "--network: the containers of pod shop share its network"},
		{name: "dns", spec: Spec{Pod: "shop", DNS: []string{"1.1.1.1"}}, pod: pod("net"), err: "--dns:"},
		{name: "hostname", spec: Spec{Pod: "shop", Hostname: "h"}, pod: pod("uts"), err: "--hostname: the containers of pod shop share its host name"},
		{name: "pid", spec: Spec{Pod: "shop", Namespaces: record.Namespaces{PID: "host"}}, pod: pod("pid"), err: "--pid: the containers of pod shop share its PID namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			err := s.JoinPod(tc.pod, infra)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("JoinPod: %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, &s)
		})
	}
	// Without an infra container nothing is shared: a member gets the
	// default network.
	s := Spec{Pod: "solo"}
	if err := s.JoinPod(&record.Pod{ID: "pod2", Name: "solo"}, nil); err != nil || s.Network.Kind != defaultNetworkKind() || len(s.Requires) != 0 {
		t.Errorf("a pod without infra: %v %+v", err, s)
	}
}

// defaultNetworkKind is the kind of the default network mode.
func defaultNetworkKind() string {
	m, _ := netns.ParseMode(DefaultNetwork())
	return m.Kind
}
