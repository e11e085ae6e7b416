package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/control"
)

// Read commands ask the running agent first and fall back to the files it
// keeps when no agent answers; write commands need the agent, except pause
// and resume, which can set the pause file for the next agent to find.

func agentClient(c *config.Config) *control.Client { return control.NewClient(c.Control.Socket) }

// readStatus asks the agent, or reads the state and pause files.
func readStatus(ctx context.Context, c *config.Config) (control.Status, error) {
	s, err := agentClient(c).Status(ctx)
	if !errors.Is(err, control.ErrUnreachable) {
		return s, err
	}
	st, err := reconciler.Store{Path: filepath.Join(c.StateDir, "state.json")}.Load()
	if err != nil {
		return s, err
	}
	p, err := pauseStore(c).Load()
	if err != nil {
		return s, err
	}
	if !p.ActiveAt(time.Now()) {
		p = nil
	}
	bi := buildinfo.Read()
	return control.Status{Host: c.Hostname, State: st, Paused: p, Build: &bi}, nil
}

// readHistory asks the agent, or reads the history directory.
func readHistory(ctx context.Context, c *config.Config, limit int) ([]reconciler.Attempt, error) {
	atts, err := agentClient(c).History(ctx, limit)
	if !errors.Is(err, control.ErrUnreachable) {
		return atts, err
	}
	atts, err = reconciler.History{Dir: filepath.Join(c.StateDir, "history"), Keep: c.History.Keep}.List()
	if limit > 0 && len(atts) > limit {
		atts = atts[:limit]
	}
	return atts, err
}

// runViaAgent has a running agent do berth run; it returns an error
// wrapping control.ErrUnreachable when there is none.
func runViaAgent(ctx context.Context, c *config.Config, retry bool) (reconciler.Report, error) {
	r, err := agentClient(c).Run(ctx, retry)
	if err != nil {
		return reconciler.Report{}, err
	}
	return r.Report(), nil
}

// printSchedule adds the pause and the next poll to berth status.
func printSchedule(w io.Writer, s control.Status) {
	if p := s.Paused; p != nil {
		until := "berth resume"
		if !p.Until.IsZero() {
			until = p.Until.Local().Format("2006-01-02 15:04:05")
		}
		if p.Revision != "" {
			until += " or the branch moves from " + p.Revision
		}
		label := "paused"
		if p.Postponed != "" {
			label = "postponed"
		}
		fmt.Fprintf(w, "%s\tuntil %s (by %s)\n", label, until, p.By)
	}
	switch {
	case !s.Agent:
		fmt.Fprintf(w, "agent\tnot answering (read from the state files)\n")
	case s.Reconciling:
		fmt.Fprintf(w, "next poll\tchosen when the reconcile running now ends\n")
	case !s.NextPoll.IsZero() && time.Until(s.NextPoll) < time.Second:
		fmt.Fprintf(w, "next poll\tdue now\n")
	case !s.NextPoll.IsZero():
		fmt.Fprintf(w, "next poll\t%s (in %s)\n", s.NextPoll.Local().Format("2006-01-02 15:04:05"), time.Until(s.NextPoll).Round(time.Second))
	}
}
