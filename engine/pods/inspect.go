package pods

import (
	"context"
	"time"

	"github.com/scow-project/scow/engine/containers"
	"github.com/scow-project/scow/netns"
)

// Inspect is pod inspect's record of a pod, with Podman's field names.
type Inspect struct {
	ID               string                    `json:"Id"`
	Name             string                    `json:"Name"`
	Created          time.Time                 `json:"Created"`
	CreateCommand    []string                  `json:"CreateCommand,omitempty"`
	ExitPolicy       string                    `json:"ExitPolicy,omitempty"`
	State            string                    `json:"State"`
	Hostname         string                    `json:"Hostname"`
	Labels           map[string]string         `json:"Labels,omitempty"`
	CreateCgroup     bool                      `json:"CreateCgroup"`
	CreateInfra      bool                      `json:"CreateInfra"`
	InfraContainerID string                    `json:"InfraContainerID"`
	InfraConfig      *InfraConfig              `json:"InfraConfig,omitempty"`
	SharedNamespaces []string                  `json:"SharedNamespaces,omitempty"`
	NumContainers    int                       `json:"NumContainers"`
	Containers       []InspectContainer        `json:"Containers,omitempty"`
	RestartPolicy    string                    `json:"RestartPolicy,omitempty"`
	Mounts           []containers.InspectMount `json:"mounts,omitempty"`
}

// InfraConfig is what the pod's infra container was made with.
type InfraConfig struct {
	PortBindings  map[string][]containers.InspectPort `json:"PortBindings"`
	HostNetwork   bool                                `json:"HostNetwork"`
	StaticMAC     string                              `json:"StaticMAC,omitempty"`
	NoManageHosts bool                                `json:"NoManageHosts"`
	DNSServer     []string                            `json:"DNSServer,omitempty"`
	DNSSearch     []string                            `json:"DNSSearch,omitempty"`
	DNSOption     []string                            `json:"DNSOption,omitempty"`
	HostAdd       []string                            `json:"HostAdd,omitempty"`
	Networks      []string                            `json:"Networks,omitempty"`
	NetworkMode   string                              `json:"NetworkMode"`
}

// InspectContainer is one container of the pod.
type InspectContainer struct {
	ID    string `json:"Id"`
	Name  string `json:"Name"`
	State string `json:"State"`
}

// Inspect returns pod ref's record.
func (e *Service) Inspect(ctx context.Context, ref string) (*Inspect, error) {
	p, err := e.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	in := &Inspect{
		ID: p.ID, Name: p.Name, Created: p.Created, CreateCommand: p.CreateCommand, ExitPolicy: p.ExitPolicy,
		State: p.Status, Hostname: p.Hostname, Labels: p.Labels, CreateInfra: p.Infra, InfraContainerID: p.InfraID(),
		SharedNamespaces: p.Share, NumContainers: len(p.Containers), RestartPolicy: p.RestartPolicy.Name,
	}
	for _, m := range p.Volumes {
		in.Mounts = append(in.Mounts, containers.InspectMountOf(m))
	}
	for _, c := range p.Containers {
		in.Containers = append(in.Containers, InspectContainer{ID: c.Config.ID, Name: c.Config.Name, State: ctrStatus(c)})
	}
	if id := p.InfraID(); id != "" {
		cfg := p.Containers[0].Config
		mode, _ := netns.ParseMode(cfg.Network)
		in.InfraConfig = &InfraConfig{
			PortBindings: containers.PortMap(cfg.Ports), HostNetwork: mode.Kind == netns.ModeHost, StaticMAC: cfg.MacAddress,
			NoManageHosts: cfg.NoHosts, DNSServer: cfg.DNS, DNSSearch: cfg.DNSSearch, DNSOption: cfg.DNSOptions, HostAdd: cfg.AddHosts,
			Networks: p.Networks(), NetworkMode: mode.Kind,
		}
	}
	return in, nil
}
