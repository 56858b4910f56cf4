package main

import (
	"fmt"
	"log/syslog"
	"sort"
	"strings"
	"time"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/sirupsen/logrus"
	lsyslog "github.com/sirupsen/logrus/hooks/syslog"
	"github.com/urfave/cli/v2"
)

// setLogLevel applies --log-level to scow's and its libraries' messages,
// and their format: Podman's "WARN[0000] message", terminal or not.
func setLogLevel(c *cli.Context) error {
	level := c.String("log-level")
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return errdefs.WithClass(errdefs.ErrInvalid, fmt.Errorf("--log-level %q: use trace, debug, info, warn, error, fatal or panic", level))
	}
	logrus.SetLevel(lvl)
	logrus.SetFormatter(cliFormatter{start: time.Now()})
	if c.Bool("syslog") {
		hook, err := lsyslog.NewSyslogHook("", "", syslog.LOG_INFO, "scow")
		if err != nil {
			return fmt.Errorf("--syslog: %w: is a syslog daemon running?", err)
		}
		logrus.AddHook(hook)
	}
	return nil
}

// cliFormatter writes LEVEL[seconds since start] message key=value...
type cliFormatter struct{ start time.Time }

func (f cliFormatter) Format(e *logrus.Entry) ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%.4s[%04d] %s", strings.ToUpper(e.Level.String()), int(e.Time.Sub(f.start).Seconds()), e.Message)
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, e.Data[k])
	}
	b.WriteByte('\n')
	return []byte(b.String()), nil
}
