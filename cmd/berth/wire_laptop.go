package main

import (
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/logind"
	"github.com/berth-nix/berth/reconciler/notify"
	"github.com/berth-nix/berth/reconciler/power"
	"github.com/berth-nix/berth/reconciler/reboot"
)

// startLaptop wires what the configuration enables around the agent:
// deferral on battery, desktop notifications and the reboot scheduler,
// which runs until ctx ends.
func startLaptop(ctx context.Context, c *config.Config, a *reconciler.Agent, log *slog.Logger) {
	if c.Power.DeferOnBattery {
		a.Defer = power.Deferral(power.DefaultRoot)
	}
	var n *notify.Notifier
	if c.Notify.Enabled {
		n = &notify.Notifier{Users: notify.GraphicalUsers, Log: log, OnAction: postponeAction(c, a, log)}
		addObserver(a, notify.Observer{Notifier: n})
	}
	if s := newRebootScheduler(c, a, n, log); s != nil {
		addObserver(a, kickObserver{s})
		go s.Run(ctx)
		s.Kick() // a reboot may have been pending when the agent stopped
	}
}

// newRebootScheduler returns nil under policy never.
func newRebootScheduler(c *config.Config, a *reconciler.Agent, n *notify.Notifier, log *slog.Logger) *reboot.Scheduler {
	p := c.Reboot.AutoPolicy()
	if p == nil {
		return nil
	}
	s := &reboot.Scheduler{
		Policy:   *p,
		Needed:   func() (bool, []string) { return rebootNeeded(a.Rec.Store) },
		Sessions: userSessions,
		Held:     func() bool { return a.Paused() != nil },
		TryLock:  func() (func(), error) { return reboot.TryLock(a.Rec.LockPath) },
		Reboot:   rebootMachine(log),
		Plans:    rebootPlans(c),
		Log:      log,
	}
	if n != nil {
		s.Warn = func(at time.Time, why []string) {
			n.Send(context.Background(), notify.RestartAt(at, why, c.Control.PostponeMax))
		}
	}
	return s
}

func rebootPlans(c *config.Config) reboot.PlanStore {
	return reboot.PlanStore{Path: filepath.Join(c.StateDir, "reboot.json")}
}

// rebootNeeded compares the running system with the booted one, and
// looks for a system installed for the next boot only, as berth status
// does; an unknown system needs nothing.
func rebootNeeded(store reconciler.Store) (bool, []string) {
	st, _ := store.Load()
	r := withPendingBoot(rebootStatus("/"), st.PendingBoot, "/")
	if r == nil {
		return false, nil
	}
	return r.Needed, r.Why
}

func userSessions(ctx context.Context) (int, error) {
	all, err := logind.Sessions(ctx)
	return len(logind.Users(all)), err
}

// rebootMachine asks logind, and falls back to systemctl when logind
// cannot be reached or refuses. Going down stops the agent and the bus,
// often before logind's answer arrives: the request is made on a context
// of its own, the bus closing on it counts as accepted (logind.Reboot),
// and an error after the agent was told to stop means the machine is
// going down already.
func rebootMachine(log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		err := logind.Reboot(rctx)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		log.Warn("logind did not take the reboot; trying systemctl", "err", err)
		if out, serr := exec.CommandContext(rctx, "systemctl", "reboot").CombinedOutput(); serr != nil {
			log.Error("systemctl reboot failed", "err", serr, "output", string(out))
			return err
		}
		return nil
	}
}

// kickObserver makes the reboot scheduler decide after every reconcile.
type kickObserver struct{ s *reboot.Scheduler }

func (k kickObserver) Reconciled(reconciler.Report, reconciler.State) { k.s.Kick() }

// observers tells several observers about each reconcile, in order.
type observers []reconciler.Observer

func (o observers) Reconciled(rep reconciler.Report, st reconciler.State) {
	for _, x := range o {
		x.Reconciled(rep, st)
	}
}

// addObserver adds o after the agent's existing observers (metrics).
func addObserver(a *reconciler.Agent, o reconciler.Observer) {
	switch cur := a.Observer.(type) {
	case nil:
		a.Observer = o
	case observers:
		a.Observer = append(cur, o)
	default:
		a.Observer = observers{cur, o}
	}
}
