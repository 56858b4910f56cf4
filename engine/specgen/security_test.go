package specgen

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/scow-project/scow/netns"
	"github.com/scow-project/scow/oci"
)

func TestParseSecurity(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "profile.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644)
	private, host := netns.Mode{Kind: netns.ModeSlirp}, netns.Mode{Kind: netns.ModeHost}
	ten := 10
	for _, tc := range []struct {
		name string
		o    SecurityOptions
		net  netns.Mode
		want oci.Security
		err  string
	}{
		{name: "nothing", want: oci.Security{}},
		{name: "caps in any spelling", o: SecurityOptions{CapAdd: []string{"net_admin,CAP_SYS_TIME", "sys_time"}, CapDrop: []string{"all"}},
			want: oci.Security{CapAdd: []string{"CAP_NET_ADMIN", "CAP_SYS_TIME"}, CapDrop: []string{"ALL"}}},
		{name: "a capability that is not", o: SecurityOptions{CapAdd: []string{"flying"}}, err: "flying"},
		{name: "security options", o: SecurityOptions{SecurityOpt: []string{"no-new-privileges", "seccomp=unconfined", "mask=/a:/b", "unmask=ALL", "label=disable", "apparmor=unconfined"}},
			want: oci.Security{NoNewPrivileges: true, Seccomp: "unconfined", Mask: []string{"/a", "/b"}, Unmask: []string{"ALL"}}},
		{name: "no-new-privileges=false, Docker's colon", o: SecurityOptions{SecurityOpt: []string{"no-new-privileges:false"}}, want: oci.Security{}},
		{name: "a seccomp profile", o: SecurityOptions{SecurityOpt: []string{"seccomp=" + profile}}, want: oci.Security{Seccomp: `{"defaultAction":"SCMP_ACT_ALLOW"}`, SeccompPath: profile}},
		{name: "a missing profile", o: SecurityOptions{SecurityOpt: []string{"seccomp=/none.json"}}, err: "/none.json"},
		{name: "an unknown option", o: SecurityOptions{SecurityOpt: []string{"colour=red"}}, err: "colour"},
		{name: "an AppArmor profile", o: SecurityOptions{SecurityOpt: []string{"apparmor=strict"}}, err: "AppArmor"},
		{name: "mask ALL", o: SecurityOptions{SecurityOpt: []string{"mask=ALL"}}, err: "mask"},
		{name: "sysctls", o: SecurityOptions{Sysctl: []string{"net.ipv4.ip_forward=1", "kernel.shmmax=1000", "fs.mqueue.msg_max=20"}}, net: private,
			want: oci.Security{Sysctls: map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "20"}}},
		{name: "a host sysctl", o: SecurityOptions{Sysctl: []string{"kernel.panic=1"}}, err: "kernel.panic"},
		{name: "net.* on the host's network", o: SecurityOptions{Sysctl: []string{"net.ipv4.ip_forward=1"}}, net: host, err: "--network host"},
		{name: "ulimits", o: SecurityOptions{Ulimit: []string{"nofile=100:200", "core=-1", "host"}},
			want: oci.Security{Ulimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 100, Hard: 200}, {Type: "RLIMIT_CORE", Soft: ^uint64(0), Hard: ^uint64(0)}}}},
		{name: "a soft limit over the hard", o: SecurityOptions{Ulimit: []string{"nofile=300:200"}}, err: "nofile"},
		{name: "an unknown limit", o: SecurityOptions{Ulimit: []string{"files=10"}}, err: "files"},
		{name: "shm and OOM score", o: SecurityOptions{ShmSize: "128m", OOMScoreAdj: &ten}, want: oci.Security{ShmSize: 128 << 20, OOMScoreAdj: &ten}},
		{name: "devices", o: SecurityOptions{Devices: []string{"/dev/null:/dev/n:r", "/dev/zero:rw", "/dev/full"}, Privileged: true},
			want: oci.Security{Privileged: true, Devices: []oci.Device{{Host: "/dev/null", Container: "/dev/n", Perms: "r"}, {Host: "/dev/zero", Container: "/dev/zero", Perms: "rw"}, {Host: "/dev/full", Container: "/dev/full", Perms: "rwm"}}}},
		{name: "not a device", o: SecurityOptions{Devices: []string{"/etc/passwd"}}, err: "not a device"},
		{name: "a relative device", o: SecurityOptions{Devices: []string{"/dev/null:dev/n:r"}}, err: "absolute"},
		{name: "a bad size", o: SecurityOptions{ShmSize: "lots"}, err: "--shm-size"},
		{name: "CDI devices and GPUs", o: SecurityOptions{Devices: []string{"example.com/test=a"}, GPUs: []string{"all", "device=0,1"}},
			want: oci.Security{CDIDevices: []string{"nvidia.com/gpu=all", "nvidia.com/gpu=0", "nvidia.com/gpu=1", "example.com/test=a"}}},
		{name: "a bad GPU", o: SecurityOptions{GPUs: []string{"device="}}, err: "--gpus"},
		{name: "proc options", o: SecurityOptions{SecurityOpt: []string{"proc-opts=hidepid=2,subset=pid"}}, want: oci.Security{ProcOpts: []string{"hidepid=2", "subset=pid"}}},
		{name: "a bad proc option", o: SecurityOptions{SecurityOpt: []string{"proc-opts=rw"}}, err: "proc(5)"},
		{name: "the user's groups", o: SecurityOptions{GroupAdd: []string{"keep-groups"}}, want: oci.Security{KeepGroups: true}},
		{name: "the user's groups and more", o: SecurityOptions{GroupAdd: []string{"keep-groups", "wheel"}}, err: "cannot be combined"},
		{name: "a personality", o: SecurityOptions{Personality: "linux32"}, want: oci.Security{Personality: "LINUX32"}},
		{name: "an unknown personality", o: SecurityOptions{Personality: "BSD"}, err: "--personality"},
	} {
		got, err := ParseSecurity(tc.o, tc.net)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestParseNamespaces(t *testing.T) {
	for _, tc := range []struct {
		o   NamespaceOptions
		err bool
	}{
		{o: NamespaceOptions{}},
		{o: NamespaceOptions{PID: "host", IPC: "shareable", UTS: "container:web", Cgroup: "private"}},
		{o: NamespaceOptions{IPC: "none"}},
		{o: NamespaceOptions{PID: "none"}, err: true},
		{o: NamespaceOptions{UTS: "container:"}, err: true},
		{o: NamespaceOptions{Cgroup: "container:web"}, err: true},
	} {
		got, err := parseNamespaces(tc.o)
		if (err != nil) != tc.err {
			t.Errorf("%+v: error %v", tc.o, err)
		}
		if err == nil && (got.PID != tc.o.PID || got.IPC != tc.o.IPC || got.UTS != tc.o.UTS || got.Cgroup != tc.o.Cgroup) {
			t.Errorf("%+v: %+v", tc.o, got)
		}
	}
}

func TestParseResources(t *testing.T) {
	i64 := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		name  string
		o     ResourceOptions
		check func(*specs.LinuxResources) bool
		err   string
	}{
		{"nothing", ResourceOptions{}, func(r *specs.LinuxResources) bool { return r == nil }, ""},
		{"memory", ResourceOptions{Memory: "64m", MemorySwap: "-1", MemoryReservation: "32m"}, func(r *specs.LinuxResources) bool {
			return *r.Memory.Limit == 64<<20 && *r.Memory.Swap == -1 && *r.Memory.Reservation == 32<<20
		}, ""},
		{"cpus", ResourceOptions{CPUs: 1.5, CPUShares: 512, CpusetCPUs: "0-1"}, func(r *specs.LinuxResources) bool {
			return *r.CPU.Period == 100000 && *r.CPU.Quota == 150000 && *r.CPU.Shares == 512 && r.CPU.Cpus == "0-1"
		}, ""},
		{"pids", ResourceOptions{PidsLimit: i64(0)}, func(r *specs.LinuxResources) bool { return *r.Pids.Limit == -1 }, ""},
		{"blkio", ResourceOptions{BlkioWeight: 500}, func(r *specs.LinuxResources) bool { return *r.BlockIO.Weight == 500 }, ""},
		{"swap without memory", ResourceOptions{MemorySwap: "1g"}, nil, "needs --memory"},
		{"swap below memory", ResourceOptions{Memory: "1g", MemorySwap: "512m"}, nil, "less than"},
		{"too little memory", ResourceOptions{Memory: "1m"}, nil, "6 MiB"},
		{"cpus and a quota", ResourceOptions{CPUs: 1, CPUQuota: 50000}, nil, "conflict"},
		{"a bad cpuset", ResourceOptions{CpusetCPUs: "all"}, nil, "--cpuset-cpus"},
		{"a bad swappiness", ResourceOptions{MemorySwappiness: i64(101)}, nil, "swappiness"},
		{"a throttle of no device", ResourceOptions{DeviceReadBps: []string{"sda:1mb"}}, nil, "DEVICE:RATE"},
		{"cgroup v2 files", ResourceOptions{CgroupConf: []string{"memory.high=1G", "cpu.weight=50", "memory.swap.max=0"}}, func(r *specs.LinuxResources) bool {
			return len(r.Unified) == 3 && r.Unified["memory.high"] == "1G" && r.Unified["cpu.weight"] == "50" && r.Unified["memory.swap.max"] == "0"
		}, ""},
		{"a cgroup file outside", ResourceOptions{CgroupConf: []string{"../memory.high=1G"}}, nil, "KEY=VALUE"},
		{"a cgroup file without a value", ResourceOptions{CgroupConf: []string{"memory.high"}}, nil, "KEY=VALUE"},
	} {
		r, err := ParseResources(tc.o)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !tc.check(r) {
			t.Errorf("%s: %+v, %v", tc.name, r, err)
		}
	}
}
