package main

import (
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func TestCLIFormatter(t *testing.T) {
	start := time.Now()
	f := cliFormatter{start: start}
	for _, tc := range []struct {
		entry logrus.Entry
		want  string
	}{
		{logrus.Entry{Level: logrus.WarnLevel, Time: start.Add(1500 * time.Millisecond), Message: "careful"}, "WARN[0001] careful\n"},
		{logrus.Entry{Level: logrus.ErrorLevel, Time: start, Message: "bad", Data: logrus.Fields{"b": 2, "a": "x"}}, "ERRO[0000] bad a=x b=2\n"},
		{logrus.Entry{Level: logrus.DebugLevel, Time: start, Message: "d"}, "DEBU[0000] d\n"},
	} {
		got, err := f.Format(&tc.entry)
		if err != nil || string(got) != tc.want {
			t.Errorf("Format = %q, %v; want %q", got, err, tc.want)
		}
	}
}
