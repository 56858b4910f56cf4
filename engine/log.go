package engine

import (
	"fmt"

	"github.com/sirupsen/logrus"
)

// SetLogLevel sets the level of scow's and its libraries' messages.
func SetLogLevel(level string) error {
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return withClass(ErrInvalid, fmt.Errorf("--log-level %q: use debug, info, warn or error", level))
	}
	logrus.SetLevel(lvl)
	return nil
}
