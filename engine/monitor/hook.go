package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/scow-project/scow/engine/errdefs"
	"github.com/scow-project/scow/engine/record"
)

// HookArg is argv[1] of scow run by a monitor for a step that needs the
// store, as conmon runs podman's exit command: the monitor itself links
// no store, so that it stays small.
const HookArg = "__monitor-hook"

// The steps a hook does.
const (
	// hookPrepare releases the last run's rootfs and makes the next run
	// ready: a Plan.
	hookPrepare = "prepare"
	// hookCleanup releases the last run's rootfs and applies --rm and
	// the pod's exit policy.
	hookCleanup = "cleanup"
	// hookHealth runs the health check once: a record.HealthResult.
	hookHealth = "health"
	// hookStop stops the container, as a failed check asked.
	hookStop = "stop"
)

// hookRequest is what a hook reads on its stdin.
type hookRequest struct {
	Options json.RawMessage `json:"options"`
	Step    string          `json:"step"`
	ID      string          `json:"id"`
	// Run is the monitor that runs the hook (the owner of its run), and
	// what the run a prepare makes has of it.
	Run RunOptions `json:"run"`
}

// RunOptions are what the prepare of a run needs of its monitor.
type RunOptions struct {
	// Owner is the monitor's process.
	Owner int `json:"owner"`
	// Rows and Cols size the container's terminal.
	Rows uint16 `json:"rows,omitempty"`
	Cols uint16 `json:"cols,omitempty"`
	// Notify says the monitor relays a --sdnotify container's messages
	// to systemd: the container gets the relay's socket.
	Notify bool `json:"notify,omitempty"`
}

// hookReply is what a hook writes on its stdout.
type hookReply struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	// Class is the errdefs name of Error's class.
	Class string `json:"class,omitempty"`
}

// Hooks are what scow does for a monitor's hooks.
type Hooks struct {
	// Prepare releases the rootfs of container id's last run, if it is
	// still held, and makes its next run ready for the monitor o names.
	Prepare func(ctx context.Context, id string, o RunOptions) (Plan, error)
	// Cleanup releases what monitor's last run of id holds, and applies
	// --rm and the pod's exit policy.
	Cleanup func(ctx context.Context, id string, monitor int) error
	// Health runs id's check once and records it.
	Health func(ctx context.Context, id string) (record.HealthResult, error)
	// Stop stops id as stop does.
	Stop func(ctx context.Context, id string) error
	// Close lets go of the store.
	Close func() error
}

// hook runs step for container id in scow and decodes its result into
// out (nil: none); what scow says on stderr goes to the monitor's log.
func (m *Monitor) hook(ctx context.Context, step, id string, out any) error {
	req := hookRequest{Options: m.setup.Options, Step: step, ID: id, Run: RunOptions{Owner: os.Getpid(), Notify: m.notify.socket != ""}}
	if step == hookPrepare {
		req.Run.Rows, req.Run.Cols = m.h.size()
	}
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, m.setup.Scow, HookArg)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, os.Stderr
	runErr := cmd.Run()
	var rep hookReply
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		if runErr != nil {
			return fmt.Errorf("%s of %.12s: %w", step, id, runErr)
		}
		return fmt.Errorf("%s of %.12s: read its answer: %w", step, id, err)
	}
	if rep.Error != "" {
		return errdefs.Rebuild(rep.Class, rep.Error)
	}
	if out != nil {
		return json.Unmarshal(rep.Result, out)
	}
	return nil
}

// HookMain is scow run as a monitor's hook: it reads its request on
// stdin, does its step with the Hooks open makes of the request's
// options, and answers on stdout.
func HookMain(open func(options json.RawMessage) (*Hooks, error)) error {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	var req hookRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return fmt.Errorf("read the hook's request: %w", err)
	}
	result, err := runHook(req, open)
	rep := hookReply{}
	if err == nil && result != nil {
		rep.Result, err = json.Marshal(result)
	}
	if err != nil {
		rep.Error, rep.Class = err.Error(), errdefs.Name(err)
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// runHook does req's step.
func runHook(req hookRequest, open func(options json.RawMessage) (*Hooks, error)) (any, error) {
	h, err := open(req.Options)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	ctx := context.Background()
	switch req.Step {
	case hookPrepare:
		return h.Prepare(ctx, req.ID, req.Run)
	case hookCleanup:
		return nil, h.Cleanup(ctx, req.ID, req.Run.Owner)
	case hookHealth:
		return h.Health(ctx, req.ID)
	case hookStop:
		return nil, h.Stop(ctx, req.ID)
	}
	return nil, errors.New("no such hook step: " + req.Step)
}
