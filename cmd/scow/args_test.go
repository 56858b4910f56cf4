package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestIntersperse(t *testing.T) {
	app := newApp(nil, io.Discard, io.Discard)
	for in, want := range map[string]string{
		"scow stop web -t 0":                         "scow stop -t 0 web",
		"scow --root /r rm web other -f":             "scow --root /r rm -f web other",
		"scow save busybox -o out.tar":               "scow save -o out.tar busybox",
		"scow logs web --tail=5 -f":                  "scow logs --tail=5 -f web",
		"scow container export web -o x.tar":         "scow container export -o x.tar web",
		"scow volume rm data -f":                     "scow volume rm -f data",
		"scow run --rm busybox ls -l":                "scow run --rm busybox ls -l",
		"scow container run busybox sh -c x":         "scow container run busybox sh -c x",
		"scow exec web ls -la":                       "scow exec web ls -la",
		"scow unshare ls -l":                         "scow unshare ls -l",
		"scow cp - web:/tmp -a":                      "scow cp -a - web:/tmp",
		"scow rm web -- -f":                          "scow rm web -- -f",
		"scow images":                                "scow images",
		"scow --runroot /x":                          "scow --runroot /x",
		"scow inspect --format {{.Id}} web --type x": "scow inspect --format {{.Id}} --type x web",
		// A one-letter flag's value attached, as Podman's parser reads it.
		"scow rm -f -t0 web":                            "scow rm -f -t 0 web",
		"scow stop web -t3":                             "scow stop -t 3 web",
		"scow stop -t=3 web":                            "scow stop -t=3 web",
		"scow run -d -p8080:80 busybox ls -t0":          "scow run -d -p 8080:80 busybox ls -t0",
		"scow run -it -eA=b busybox env":                "scow run -it -e A=b busybox env",
		"scow exec -w/tmp web ls -t0":                   "scow exec -w /tmp web ls -t0",
		"scow run --name x busybox -t0":                 "scow run --name x busybox -t0",
		"scow run -v /a:/b busybox true":                "scow run -v /a:/b busybox true",
		"scow ps -n3 -a":                                "scow ps -n 3 -a",
		"scow logs -n web":                              "scow logs -n web",
		"scow network create net1 --subnet 10.9.0.0/24": "scow network create --subnet 10.9.0.0/24 net1",
		"scow container create busybox ls -t0":          "scow container create busybox ls -t0",
	} {
		if findCommand(app.Commands, strings.Fields(in)[1]) == nil {
			continue // the light build has not this command: scow-full intersperses
		}
		if got := strings.Join(intersperse(app, strings.Fields(in)), " "); got != want {
			t.Errorf("%s:\n got %s\nwant %s", in, got, want)
		}
	}
	if got := intersperse(app, []string{"scow"}); !slices.Equal(got, []string{"scow"}) {
		t.Errorf("bare: %v", got)
	}
}
