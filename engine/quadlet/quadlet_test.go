package quadlet

import (
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	scow := []string{"/usr/bin/scow"}
	tests := []struct {
		name, file, text string
		want             []string // lines the unit must have
		err              string
	}{
		{"a container", "web.container", `[Unit]
Description=The web server
[Container]
Image=busybox
ContainerName=web
Exec=httpd -f -p 8080
Environment=A=1 "B=two words"
PublishPort=8080:8080
Volume=data.volume:/data
Network=net.network
Label=app=web
ReadOnly=true
Notify=true
[Service]
Restart=always
[Install]
WantedBy=default.target
`, []string{
			"Description=The web server", "SourcePath=web.container", "Requires=data-volume.service", "After=net-network.service",
			"Restart=always", "Type=notify", "WantedBy=default.target",
			`ExecStart=/usr/bin/scow run --name web --cidfile=%t/%N.cid --replace --rm -d --sdnotify=container --read-only --env A=1 --env "B=two words" --label app=web --network systemd-net --publish 8080:8080 --volume systemd-data:/data busybox httpd -f -p 8080`,
			"ExecStop=/usr/bin/scow rm -v -f -i --cidfile=%t/%N.cid",
		}, ""},
		{"a named volume", "v.container", "[Container]\nImage=busybox\nVolume=named.volume:/d\n", []string{"--volume mydata:/d", "Requires=named-volume.service"}, ""},
		{"default name", "app.container", "[Container]\nImage=busybox\n", []string{"ExecStart=/usr/bin/scow run --name systemd-%N"}, ""},
		{"a volume", "data.volume", "[Volume]\nLabel=k=v\n", []string{"ExecStart=/usr/bin/scow volume create --ignore --label k=v systemd-data", "Type=oneshot", "RemainAfterExit=yes"}, ""},
		{"a network", "net.network", "[Network]\nNetworkName=mynet\nSubnet=10.89.1.0/24\nInternal=yes\n", []string{"ExecStart=/usr/bin/scow network create --ignore --subnet 10.89.1.0/24 --internal mynet"}, ""},
		{"an image file", "busybox.image", "[Image]\nImage=docker.io/library/busybox:1\nTLSVerify=no\n", []string{"ExecStart=/usr/bin/scow pull --tls-verify=false docker.io/library/busybox:1", "Type=oneshot"}, ""},
		{"a build file", "app.build", "[Build]\nImageTag=localhost/app:1\nBuildArg=V=2\n", []string{"ExecStart=/usr/bin/scow build --tag localhost/app:1 --build-arg V=2 .", "WorkingDirectory=."}, ""},
		{"a container of a build", "c.container", "[Container]\nImage=app.build\n", []string{"Requires=app-build.service", "After=app-build.service", " localhost/app:1"}, ""},
		{"a container of a missing image file", "c.container", "[Container]\nImage=gone.image\n", nil, "gone.image"},
		{"no image", "x.container", "[Container]\nExec=true\n", nil, "Image="},
		{"an unknown key", "x.container", "[Container]\nImage=a\nAutoUpdate=registry\n", nil, "AutoUpdate"},
		{"no section", "x.container", "[Unit]\nDescription=x\n", nil, "[Container]"},
		{"a pod", "web.pod", "[Pod]\nPublishPort=8080:80\nNetwork=net.network\nLabel=a=b\n", []string{
			"ExecStartPre=/usr/bin/scow pod create --infra-conmon-pidfile=%t/%N.pid --pod-id-file=%t/%N.pod-id --exit-policy=stop --replace --publish 8080:80 --network systemd-net --label a=b --name systemd-web",
			"ExecStart=/usr/bin/scow pod start --pod-id-file=%t/%N.pod-id", "ExecStop=/usr/bin/scow pod stop --pod-id-file=%t/%N.pod-id --ignore --time=10",
			"ExecStopPost=/usr/bin/scow pod rm --pod-id-file=%t/%N.pod-id --ignore --force", "Type=forking", "PIDFile=%t/%N.pid", "Requires=net-network.service"}, ""},
		{"a container of a pod", "c.container", "[Container]\nImage=busybox\nPod=shop.pod\n", []string{"BindsTo=shop-pod.service", "After=shop-pod.service", "--pod myshop busybox"}, ""},
		{"a pod with an unknown key", "p.pod", "[Pod]\nUserNS=auto\n", nil, "UserNS"},
		{"a kube file", "/q/app.kube", "[Kube]\nYaml=app.yaml\nPublishPort=8080:80\nKubeDownForce=yes\n", []string{
			"ExecStart=/usr/bin/scow kube play --replace --publish 8080:80 /q/app.yaml", "ExecStopPost=/usr/bin/scow kube down --force /q/app.yaml", "Type=oneshot"}, ""},
		{"a kube file without yaml", "x.kube", "[Kube]\nNetwork=host\n", nil, "Yaml="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := convert(tt.file, strings.NewReader(tt.text), scow, map[string]string{"app.build": "localhost/app:1", "named.volume": "mydata", "shop.pod": "myshop"})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one about %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(u.Text, w) {
					t.Errorf("no %q in\n%s", w, u.Text)
				}
			}
		})
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"a", "b c", `q"t`}, `a "b c" "q\"t"`},
		{[]string{Escape("echo $HOME"), Escape("100%")}, `"echo $$HOME" 100%%`},
		{[]string{"--cidfile=%t/%n.ctr-id"}, "--cidfile=%t/%n.ctr-id"},
		{[]string{""}, `""`},
	}
	for _, tt := range tests {
		if got := Command(tt.words...); got != tt.want {
			t.Errorf("%q: %s, want %s", tt.words, got, tt.want)
		}
	}
}
