package main

import (
	"fmt"
	"os"

	"github.com/scow-project/scow/engine"
	"github.com/scow-project/scow/engine/specgen"
	"github.com/urfave/cli/v2"
)

// createFlags are the flags create and run share.
func createFlags() []cli.Flag {
	return append(append(pullFlags("pull"), resourceFlags()...),
		&cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits"},
		&cli.StringFlag{Name: "name", Usage: "name the container"},
		&cli.StringFlag{Name: "pod", Usage: "join pod NAME (new:NAME makes it, with the container's network flags)"},
		&cli.StringFlag{Name: "pod-id-file", Usage: "join the pod whose ID this file holds (pod create --pod-id-file)"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable (KEY=VALUE, or KEY to copy it from here)"},
		&cli.StringSliceFlag{Name: "env-file", Usage: "read environment variables from a file"},
		&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "user to run as: name or UID[:GID]"},
		&cli.StringFlag{Name: "entrypoint", Usage: "replace the image's entrypoint (a program or a JSON array)"},
		&cli.StringFlag{Name: "hostname", Aliases: []string{"h"}, Usage: "container host name"},
		&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Usage: "network: slirp4netns[:OPTIONS] (rootless default), pasta[:OPTIONS], none, host, container:NAME, ns:PATH, or a network's NAME (root's default: scow)"},
		&cli.StringSliceFlag{Name: "network-alias", Usage: "another name the container has on its named network"},
		&cli.StringFlag{Name: "ip", Usage: "the container's address on its named network"},
		&cli.StringFlag{Name: "ip6", Usage: "the container's IPv6 address on its named network (one with --ipv6)"},
		&cli.StringSliceFlag{Name: "publish", Aliases: []string{"p"}, Usage: "publish a container port: [[IP:][HOST-PORT]:]PORT[/udp], ranges too"},
		&cli.BoolFlag{Name: "publish-all", Aliases: []string{"P"}, Usage: "publish every port the image exposes on a free host port"},
		&cli.StringSliceFlag{Name: "dns", Usage: "DNS server for the container"},
		&cli.StringSliceFlag{Name: "dns-search", Usage: "DNS search domain (\".\" for none)"},
		&cli.StringSliceFlag{Name: "dns-option", Usage: "resolv.conf option"},
		&cli.StringSliceFlag{Name: "add-host", Usage: "add HOST:IP to /etc/hosts"},
		&cli.BoolFlag{Name: "no-hosts", Usage: "leave the image's /etc/hosts alone"},
		&cli.StringFlag{Name: "mac-address", Usage: "the container's MAC address (slirp4netns, pasta, named networks)"},
		&cli.StringSliceFlag{Name: "volume", Aliases: []string{"v"}, Usage: "mount [HOST-DIR|VOLUME:]CONTAINER-DIR[:OPTIONS] (ro, U, O, nocopy, propagation)"},
		&cli.StringSliceFlag{Name: "mount", Usage: "mount type=bind|volume|tmpfs,source=...,target=...[,readonly]"},
		&cli.StringSliceFlag{Name: "tmpfs", Usage: "mount a tmpfs at CONTAINER-DIR[:OPTIONS]"},
		&cli.StringSliceFlag{Name: "volumes-from", Usage: "mount the volumes of CONTAINER[:ro|rw]"},
		&cli.BoolFlag{Name: "read-only", Usage: "mount the container's root filesystem read-only"},
		&cli.BoolFlag{Name: "read-only-tmpfs", Value: true, Usage: "with --read-only, mount tmpfs on /tmp, /var/tmp and /run"},
		&cli.StringFlag{Name: "userns", Usage: "user namespace: host, keep-id[:uid=N,gid=N], nomap, auto[:size=N]"},
		&cli.StringFlag{Name: "subuidname", Usage: "map the container's UIDs to NAME's ranges in /etc/subuid (rootless: ranges of your own)"},
		&cli.StringFlag{Name: "subgidname", Usage: "map the container's GIDs to NAME's ranges in /etc/subgid (rootless: ranges of your own)"},
		&cli.StringSliceFlag{Name: "uidmap", Usage: "map CONTAINER-UID:HOST-UID:SIZE in a user namespace of the container's own"},
		&cli.StringSliceFlag{Name: "gidmap", Usage: "map CONTAINER-GID:HOST-GID:SIZE in a user namespace of the container's own"},
		&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "keep standard input open"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
		&cli.BoolFlag{Name: "init", Usage: "run an init as PID 1 that forwards signals and reaps zombies"},
		&cli.StringFlag{Name: "init-path", Usage: "the init binary for --init (default: catatonit)"},
		&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "set a label KEY=VALUE"},
		&cli.StringFlag{Name: "restart", Usage: "restart policy: no, on-failure[:N], always, unless-stopped"},
		&cli.StringSliceFlag{Name: "log-opt", Usage: "log option: max-size=SIZE, max-file=N"},
		&cli.StringFlag{Name: "stop-signal", Usage: "signal that stops the container"},
		&cli.IntFlag{Name: "stop-timeout", Usage: "seconds stop waits before SIGKILL (default 10)"},
		&cli.StringFlag{Name: "health-cmd", Usage: "the healthcheck: a command line for the shell, a JSON array, or none"},
		&cli.StringFlag{Name: "health-interval", Usage: "time between checks, or disable (default 30s)"},
		&cli.StringFlag{Name: "health-timeout", Usage: "time a check may take (default 30s)"},
		&cli.StringFlag{Name: "health-start-period", Usage: "time after start in which failures do not count (default 0s)"},
		&cli.IntFlag{Name: "health-retries", Usage: "failures in a row that make the container unhealthy (default 3)"},
		&cli.StringFlag{Name: "health-on-failure", Usage: "what an unhealthy container gets: none, kill, restart or stop (default none)"},
		&cli.StringFlag{Name: "health-log-destination", Usage: "where results are kept: local (the container's state)"},
		&cli.IntFlag{Name: "health-max-log-count", Usage: "results kept (default 5; 0: all)"},
		&cli.IntFlag{Name: "health-max-log-size", Usage: "bytes of a result's output kept (default 500; 0: all)"},
		&cli.StringFlag{Name: "health-startup-cmd", Usage: "a startup check, run until it passes before the healthcheck"},
		&cli.StringFlag{Name: "health-startup-interval", Usage: "time between startup checks (default 30s)"},
		&cli.StringFlag{Name: "health-startup-timeout", Usage: "time a startup check may take (default 30s)"},
		&cli.IntFlag{Name: "health-startup-retries", Usage: "startup failures in a row that restart the container (default 0: no limit)"},
		&cli.IntFlag{Name: "health-startup-success", Usage: "startup passes in a row needed (default 1)"},
		&cli.BoolFlag{Name: "no-healthcheck", Usage: "no healthcheck, not even the image's"},
		&cli.StringFlag{Name: "systemd", Value: "true", Usage: "run systemd's way (tmpfs on /run, /run/lock, /tmp, /var/log/journal; SIGRTMIN+3 to stop): true when the command is an init, always or false"},
		&cli.StringFlag{Name: "shm-size-systemd", Usage: "size of the tmpfs mounts of --systemd (default: half the memory)"},
		&cli.StringFlag{Name: "sdnotify", Usage: "how a systemd unit (NOTIFY_SOCKET) hears it is ready: conmon (its monitor, once it runs), container, healthy or ignore"},
		&cli.BoolFlag{Name: "replace", Usage: "replace a container of the same name"},
		&cli.StringFlag{Name: "cidfile", Usage: "write the container ID to this file"},
		&cli.StringFlag{Name: "pull", Value: "missing", Usage: "pull the image: missing, always, never, newer"},
		&cli.BoolFlag{Name: "tls-verify", Value: true, Usage: "verify the registry's TLS certificate when pulling"},
		&cli.StringFlag{Name: "creds", Usage: "USER[:PASSWORD] for the pull"},
		&cli.StringFlag{Name: "authfile", Usage: "auth.json to use for the pull"},
		&cli.StringFlag{Name: "cert-dir", Usage: "directory with the registry's ca.crt for the pull"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no pull progress"},
		&cli.StringSliceFlag{Name: "label-file", Usage: "read labels from a file of KEY=VALUE lines"},
		&cli.BoolFlag{Name: "env-host", Usage: "start from this environment's variables"},
		&cli.BoolFlag{Name: "http-proxy", Value: true, Usage: "pass on this environment's proxy variables (http_proxy and kin)"},
		&cli.StringSliceFlag{Name: "env-merge", Usage: "KEY=VALUE where $VAR and ${VAR} expand in the image's environment"},
		&cli.StringSliceFlag{Name: "unsetenv", Usage: "leave out the image's or scow's default variable KEY"},
		&cli.BoolFlag{Name: "unsetenv-all", Usage: "leave out every variable of the image and scow's defaults"},
		&cli.StringSliceFlag{Name: "expose", Usage: "expose PORT[-PORT][/PROTOCOL] besides the image's (what -P publishes)"},
		&cli.StringSliceFlag{Name: "annotation", Usage: "add the annotation KEY=VALUE to the runtime spec"},
		&cli.StringSliceFlag{Name: "attach", Aliases: []string{"a"}, Usage: "attach only these streams, at run or start -a: stdin, stdout, stderr (repeatable)"},
		&cli.StringSliceFlag{Name: "requires", Usage: "containers to start before this one (repeatable, or comma-separated)"},
		&cli.StringFlag{Name: "image-volume", Value: "bind", Usage: "what the image's VOLUMEs get: bind (an anonymous volume), tmpfs or ignore"},
		&cli.StringFlag{Name: "cgroup-parent", Usage: "the cgroup the container's own goes under (default /scow)"},
		&cli.StringFlag{Name: "cgroups", Value: "enabled", Usage: "enabled, disabled (no cgroup: rootless only), no-conmon or split (under the caller's cgroup)"},
		&cli.StringSliceFlag{Name: "cgroup-conf", Usage: "KEY=VALUE: a file of the container's cgroup v2 to write, e.g. memory.high=1G"},
		&cli.StringFlag{Name: "pid", Usage: "PID namespace: private, host or container:NAME"},
		&cli.StringFlag{Name: "ipc", Usage: "IPC namespace: private, shareable, none (no /dev/shm), host or container:NAME"},
		&cli.StringFlag{Name: "uts", Usage: "UTS namespace (hostname): private, host or container:NAME"},
		&cli.StringFlag{Name: "cgroupns", Usage: "cgroup namespace: private (the default on cgroup v2) or host (on v1)"},
		&cli.StringSliceFlag{Name: "secret", Usage: "NAME[,type=mount|env][,target=PATH|VAR][,uid=N,gid=N,mode=OCTAL]: a secret, at /run/secrets/NAME by default"},
		&cli.StringFlag{Name: "seccomp-policy", Value: "default", Usage: "default, or image: the seccomp profile of the image's io.containers.seccomp.profile label"},
		&cli.StringSliceFlag{Name: "gpus", Usage: "GPUs to add (all, or device IDs), as NVIDIA's CDI devices nvidia.com/gpu=ID"},
		&cli.StringFlag{Name: "rdt-class", Usage: "the class of service (a resctrl group) of cache and memory bandwidth allocation"},
		&cli.StringFlag{Name: "personality", Usage: "the execution domain of personality(2): LINUX or LINUX32 (uname -m says i686)"},
		&cli.StringSliceFlag{Name: "group-add", Usage: "a group (name or GID) the process is in besides its user's"},
		&cli.BoolFlag{Name: "privileged", Usage: "every capability and host device, no seccomp, no masked or read-only kernel paths"},
		&cli.StringSliceFlag{Name: "device", Usage: "HOST[:CONTAINER][:PERMS]: a host device in the container (PERMS some of rwm), or a CDI device vendor.com/class=name"},
		&cli.StringSliceFlag{Name: "cap-add", Usage: "add Linux capabilities (ALL, or names with or without CAP_)"},
		&cli.StringSliceFlag{Name: "cap-drop", Usage: "drop Linux capabilities (ALL, or names)"},
		&cli.StringSliceFlag{Name: "security-opt", Usage: "seccomp=unconfined|PROFILE.json, no-new-privileges, mask=PATHS, unmask=PATHS|ALL, label=..., apparmor=unconfined"},
		&cli.StringSliceFlag{Name: "sysctl", Usage: "KEY=VALUE of a namespaced sysctl (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)"},
		&cli.StringSliceFlag{Name: "ulimit", Usage: "NAME=SOFT[:HARD] (nofile=1024:2048), or host"},
		&cli.StringFlag{Name: "shm-size", Usage: "size of /dev/shm (default 64m)"},
		&cli.IntFlag{Name: "oom-score-adj", Usage: "the process's OOM score adjustment, -1000 to 1000"},
		&cli.BoolFlag{Name: "rootfs", Usage: "IMAGE is a directory to run on, not an image; DIR:O keeps the container's changes in an overlay that goes when it stops"},
		&cli.StringSliceFlag{Name: "chrootdirs", Usage: "a directory in the container that gets /etc/hosts, /etc/resolv.conf and the other files scow manages, as the root does"},
		&cli.StringFlag{Name: "hosts-file", Usage: "what /etc/hosts starts with: a host file, none, or image for the image's own"},
		&cli.BoolFlag{Name: "passwd", Value: true, Usage: "add an /etc/passwd and /etc/group entry for a --user the image lacks"},
		&cli.StringFlag{Name: "passwd-entry", Usage: "the /etc/passwd entry added: $USERNAME, $UID, $GID, $NAME and $HOME are filled in"},
		&cli.StringFlag{Name: "group-entry", Usage: "the /etc/group entry added: $GROUPNAME, $GID and $USERLIST are filled in"},
		&cli.StringSliceFlag{Name: "hostuser", Usage: "copy this host account into the container's /etc/passwd"},
		&cli.BoolFlag{Name: "no-hostname", Usage: "leave the image's /etc/hostname alone"},
		&cli.StringFlag{Name: "umask", Usage: "the process's umask, octal (default 0022)"},
		&cli.StringFlag{Name: "tz", Usage: "time zone: Area/City, UTC, or local for this host's"},
		&cli.StringFlag{Name: "log-driver", Value: "k8s-file", Usage: "k8s-file (json-file is its alias) or none"},
		&cli.IntFlag{Name: "timeout", Usage: "kill the container after this many seconds of running (0: never)"},
		&cli.StringFlag{Name: "pidfile", Usage: "write the container's PID to this file at each start"},
		&cli.StringFlag{Name: "conmon-pidfile", Usage: "write the PID of the container's monitor to this file"},
		// -h is --hostname here, as with Podman and Docker: --help
		// has no short form.
		&cli.BoolFlag{Name: "help", Usage: "show help"},
	)
}

// withHelp shows the command's help for --help, on commands whose -h
// means something else (HideHelp leaves --help to them).
func withHelp(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Bool("help") {
			return cli.ShowCommandHelp(c, c.Command.Name)
		}
		return action(c)
	}
}

// runOptions reads the create/run flags.
func runOptions(c *cli.Context) specgen.RunOptions {
	o := specgen.RunOptions{
		Image:          c.Args().First(),
		Args:           c.Args().Slice()[1:],
		Name:           c.String("name"),
		Pod:            c.String("pod"),
		PodIDFile:      c.String("pod-id-file"),
		Env:            c.StringSlice("env"),
		EnvFiles:       c.StringSlice("env-file"),
		Workdir:        c.String("workdir"),
		User:           c.String("user"),
		Hostname:       c.String("hostname"),
		Network:        c.String("network"),
		NetworkAliases: c.StringSlice("network-alias"),
		IP:             c.String("ip"), IP6: c.String("ip6"),
		Publish:       c.StringSlice("publish"),
		PublishAll:    c.Bool("publish-all"),
		DNS:           c.StringSlice("dns"),
		DNSSearch:     c.StringSlice("dns-search"),
		DNSOptions:    c.StringSlice("dns-option"),
		AddHosts:      c.StringSlice("add-host"),
		NoHosts:       c.Bool("no-hosts"),
		MacAddress:    c.String("mac-address"),
		Volumes:       c.StringSlice("volume"),
		Mounts:        c.StringSlice("mount"),
		Tmpfs:         c.StringSlice("tmpfs"),
		VolumesFrom:   c.StringSlice("volumes-from"),
		ReadOnly:      c.Bool("read-only"),
		ReadOnlyTmpfs: c.Bool("read-only-tmpfs"),
		UserNS:        c.String("userns"),
		UIDMap:        c.StringSlice("uidmap"),
		SubUIDName:    c.String("subuidname"), SubGIDName: c.String("subgidname"),
		GIDMap:         c.StringSlice("gidmap"),
		Labels:         c.StringSlice("label"),
		LabelFiles:     c.StringSlice("label-file"),
		EnvHost:        c.Bool("env-host"),
		HTTPProxy:      c.Bool("http-proxy"),
		EnvMerge:       c.StringSlice("env-merge"),
		UnsetEnv:       c.StringSlice("unsetenv"),
		UnsetEnvAll:    c.Bool("unsetenv-all"),
		Expose:         c.StringSlice("expose"),
		Annotations:    c.StringSlice("annotation"),
		Interactive:    c.Bool("interactive"),
		Tty:            c.Bool("tty"),
		Init:           c.Bool("init"),
		InitPath:       c.String("init-path"),
		Remove:         c.Bool("rm"),
		Restart:        c.String("restart"),
		LogOpts:        c.StringSlice("log-opt"),
		LogDriver:      c.String("log-driver"),
		NoHostname:     c.Bool("no-hostname"),
		ImageVolume:    c.String("image-volume"),
		HostsFile:      c.String("hosts-file"),
		ChrootDirs:     c.StringSlice("chrootdirs"),
		NoPasswd:       !c.Bool("passwd"),
		PasswdEntry:    c.String("passwd-entry"),
		GroupEntry:     c.String("group-entry"),
		HostUsers:      c.StringSlice("hostuser"),
		Requires:       c.StringSlice("requires"),
		Attach:         c.StringSlice("attach"),
		Umask:          c.String("umask"),
		TZ:             c.String("tz"),
		Timeout:        c.Int("timeout"),
		PidFile:        c.String("pidfile"),
		MonitorPidFile: c.String("conmon-pidfile"),
		StopSignal:     c.String("stop-signal"),
		Replace:        c.Bool("replace"),
		Rootfs:         c.Bool("rootfs"),
		Security: specgen.SecurityOptions{
			CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"), SecurityOpt: c.StringSlice("security-opt"),
			Privileged: c.Bool("privileged"), Devices: c.StringSlice("device"), GroupAdd: c.StringSlice("group-add"),
			SeccompPolicy: c.String("seccomp-policy"), Personality: c.String("personality"), RdtClass: c.String("rdt-class"), GPUs: c.StringSlice("gpus"),
			Sysctl: c.StringSlice("sysctl"), Ulimit: c.StringSlice("ulimit"), ShmSize: c.String("shm-size"),
		},
		Namespaces:   specgen.NamespaceOptions{PID: c.String("pid"), IPC: c.String("ipc"), UTS: c.String("uts"), Cgroup: c.String("cgroupns")},
		Resources:    resourceOptions(c),
		Secrets:      c.StringSlice("secret"),
		CgroupParent: c.String("cgroup-parent"),
		Cgroups:      c.String("cgroups"),
		CIDFile:      c.String("cidfile"),
		Pull:         c.String("pull"),
		Registry:     registryOptions(c),
	}
	o.PullProgress = progress(c)
	if c.IsSet("entrypoint") {
		ep := c.String("entrypoint")
		o.Entrypoint = &ep
	}
	o.SdNotify, o.CreateCommand = c.String("sdnotify"), os.Args
	o.Systemd, o.ShmSizeSystemd = c.String("systemd"), c.String("shm-size-systemd")
	o.Health = specgen.HealthOptions{
		Cmd: c.String("health-cmd"), Interval: c.String("health-interval"), Timeout: c.String("health-timeout"),
		StartPeriod: c.String("health-start-period"), OnFailure: c.String("health-on-failure"),
		LogDestination: c.String("health-log-destination"), Disable: c.Bool("no-healthcheck"),
		StartupCmd: c.String("health-startup-cmd"), StartupInterval: c.String("health-startup-interval"),
		StartupTimeout: c.String("health-startup-timeout"), StartupRetries: c.Int("health-startup-retries"),
		StartupSuccess: c.Int("health-startup-success"),
	}
	for name, to := range map[string]**int{"health-retries": &o.Health.Retries, "health-max-log-count": &o.Health.MaxLogCount, "health-max-log-size": &o.Health.MaxLogSize} {
		if c.IsSet(name) {
			v := c.Int(name)
			*to = &v
		}
	}
	if c.IsSet("stop-timeout") {
		t := c.Int("stop-timeout")
		o.StopTimeout = &t
	}
	if c.IsSet("oom-score-adj") {
		n := c.Int("oom-score-adj")
		o.Security.OOMScoreAdj = &n
	}
	return o
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command in a new container",
		ArgsUsage: "IMAGE [COMMAND [ARG...]]",
		HideHelp:  true,
		Flags: append(append(append(createFlags(), attachFlags()...), preserveFlags()...),
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background and print the container ID"},
			&cli.BoolFlag{Name: "rmi", Usage: "remove the image too when the container ends, unless another uses it (implies --rm)"}),
		Action: withHelp(withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, -1, "run [OPTIONS] IMAGE [COMMAND [ARG...]]"); err != nil {
				return err
			}
			o := runOptions(c)
			if err := pullsFirst(e, o); err != nil {
				return err
			}
			o.Detach, o.RemoveImage = c.Bool("detach"), c.Bool("rmi")
			s, err := streams(c, true)
			if err != nil {
				return err
			}
			if s.Files, err = preservedFiles(c); err != nil {
				return err
			}
			o.Env = append(o.Env, activationEnv()...)
			undo, err := e.Pods().ForContainer(c.Context, &o)
			if err != nil {
				return err
			}
			id, err := e.Containers().Run(c.Context, o, s)
			if err != nil {
				if id == "" {
					undo()
				}
				return err
			}
			if o.Detach {
				fmt.Fprintln(c.App.Writer, id)
			}
			return nil
		})),
	}
}

func createCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create a container without starting it",
		ArgsUsage: "IMAGE [COMMAND [ARG...]]",
		HideHelp:  true,
		Flags:     append(createFlags(), &cli.StringFlag{Name: "init-ctr", Usage: "make it an init container of its pod, run to its end at the pod's start: always (each start) or once"}),
		Action: withHelp(withEngine(func(c *cli.Context, e *engine.Engine) error {
			if err := exactArgs(c, 1, -1, "create [OPTIONS] IMAGE [COMMAND [ARG...]]"); err != nil {
				return err
			}
			o := runOptions(c)
			if err := pullsFirst(e, o); err != nil {
				return err
			}
			o.InitCtr = c.String("init-ctr")
			undo, err := e.Pods().ForContainer(c.Context, &o)
			if err != nil {
				return err
			}
			id, err := e.Containers().Create(c.Context, o)
			if err != nil {
				undo()
				return err
			}
			fmt.Fprintln(c.App.Writer, id)
			return nil
		})),
	}
}

// resourceOptions are the limit flags of run, create and update.
func resourceOptions(c *cli.Context) specgen.ResourceOptions {
	o := specgen.ResourceOptions{
		Memory: c.String("memory"), MemorySwap: c.String("memory-swap"), MemoryReservation: c.String("memory-reservation"),
		OOMKillDisable: c.Bool("oom-kill-disable"), CPUs: c.Float64("cpus"), CPUShares: c.Uint64("cpu-shares"),
		CPUPeriod: c.Uint64("cpu-period"), CPUQuota: c.Int64("cpu-quota"), CpusetCPUs: c.String("cpuset-cpus"), CpusetMems: c.String("cpuset-mems"),
		BlkioWeight:       uint16(min(c.Uint("blkio-weight"), 1<<16-1)),
		BlkioWeightDevice: c.StringSlice("blkio-weight-device"), CPURtPeriod: c.Uint64("cpu-rt-period"), CPURtRuntime: c.Int64("cpu-rt-runtime"),
		DeviceCgroupRules: c.StringSlice("device-cgroup-rule"), CgroupConf: c.StringSlice("cgroup-conf"),
		DeviceReadBps: c.StringSlice("device-read-bps"), DeviceWriteBps: c.StringSlice("device-write-bps"),
		DeviceReadIOps: c.StringSlice("device-read-iops"), DeviceWriteIOps: c.StringSlice("device-write-iops"),
	}
	if c.IsSet("memory-swappiness") {
		n := c.Int64("memory-swappiness")
		o.MemorySwappiness = &n
	}
	if c.IsSet("pids-limit") {
		n := c.Int64("pids-limit")
		o.PidsLimit = &n
	}
	return o
}

// resourceFlags are the limits of run, create and update.
func resourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit, such as 512m (root: rootless limits need a delegated cgroup)"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory and swap together, or -1 for unlimited swap"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.Int64Flag{Name: "memory-swappiness", Usage: "0 to 100"},
		&cli.BoolFlag{Name: "oom-kill-disable", Usage: "do not OOM-kill the container's processes (cgroup v1)"},
		&cli.Float64Flag{Name: "cpus", Usage: "CPUs the container may use, such as 0.5"},
		&cli.Uint64Flag{Name: "cpu-shares", Aliases: []string{"c"}, Usage: "relative CPU weight (default 1024)"},
		&cli.Uint64Flag{Name: "cpu-period", Usage: "CFS period in microseconds"},
		&cli.Int64Flag{Name: "cpu-quota", Usage: "CFS quota in microseconds per period"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to run on, such as 0-2,4"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use, such as 0"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "processes the container may have (default 2048; 0 or -1: no limit)"},
		&cli.UintFlag{Name: "blkio-weight", Usage: "relative block I/O weight, 10 to 1000"},
		&cli.StringSliceFlag{Name: "blkio-weight-device", Usage: "DEVICE:WEIGHT, a device's block I/O weight"},
		&cli.Uint64Flag{Name: "cpu-rt-period", Usage: "real-time scheduler period in microseconds"},
		&cli.Int64Flag{Name: "cpu-rt-runtime", Usage: "real-time scheduler runtime in microseconds per period"},
		&cli.StringSliceFlag{Name: "device-cgroup-rule", Usage: "a rule of the devices cgroup: TYPE MAJOR:MINOR ACCESS ('c 1:3 mr')"},
		&cli.StringSliceFlag{Name: "device-read-bps", Usage: "DEVICE:RATE, such as /dev/sda:10mb"},
		&cli.StringSliceFlag{Name: "device-write-bps", Usage: "DEVICE:RATE"},
		&cli.StringSliceFlag{Name: "device-read-iops", Usage: "DEVICE:OPERATIONS-PER-SECOND"},
		&cli.StringSliceFlag{Name: "device-write-iops", Usage: "DEVICE:OPERATIONS-PER-SECOND"},
	}
}

func updateCommand() *cli.Command {
	return &cli.Command{
		Name:      "update",
		Usage:     "change the limits of a container, running or not; they last",
		ArgsUsage: "CONTAINER",
		Flags:     append(resourceFlags(), latestFlag()),
		Action: withEngine(func(c *cli.Context, e *engine.Engine) error {
			return eachContainer(c, e, selection(c, false), func(ref string) (string, error) {
				return ref, e.Containers().Update(c.Context, ref, resourceOptions(c))
			})
		}),
	}
}

// pullsFirst asks, before a run or create reads or makes anything (an
// --env-file on standard input, the pod of --pod new:), whether its
// image must be pulled: the light build leaves that run to the full scow.
func pullsFirst(e *engine.Engine, o specgen.RunOptions) error {
	if o.Rootfs {
		return nil
	}
	return e.Images().Local(o.Image, o.Pull)
}
