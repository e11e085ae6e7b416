package notify

import (
	"context"
	"strings"
	"time"

	"github.com/berth-nix/berth/reconciler"
)

// ForReport is what the users are told about a reconcile: an applied
// configuration, a reverted one, a restart the new system needs. Anything
// else (nothing new, a network failure) is the administrator's business.
func ForReport(rep reconciler.Report) []Message {
	a := rep.Attempt
	if a == nil {
		return nil
	}
	switch rep.Result {
	case reconciler.ResultApplied:
		out := []Message{{Summary: "Configuration updated", Body: "This computer now runs " + a.Revision + ".", Urgency: Low}}
		if a.Reboot {
			out = append(out, RestartNeeded(a.RebootWhy))
		}
		return out
	case reconciler.ResultReverted:
		return []Message{{Summary: "Update failed and was reverted", Body: revertReason(a), Urgency: Normal}}
	}
	return nil
}

func revertReason(a *reconciler.Attempt) string {
	reason, _, _ := strings.Cut(a.Error, "\n")
	if len(a.FailedUnits) > 0 {
		reason = "failed units: " + strings.Join(a.FailedUnits, ", ")
	}
	if reason == "" {
		reason = "it failed in " + a.Phase
	}
	return a.Revision + " was not kept: " + reason + ". The previous configuration runs again."
}

// RestartNeeded says the running system takes full effect after a restart.
func RestartNeeded(why []string) Message {
	return Message{Summary: "Restart needed", Urgency: Normal,
		Body: "The update changed the " + strings.Join(why, ", ") + "; restart this computer to use them."}
}

// RestartAt warns that the machine restarts at at. With postpone
// positive it offers to postpone the restart for that long (berth
// postpone).
func RestartAt(at time.Time, why []string, postpone time.Duration) Message {
	m := Message{Summary: "Restart at " + at.Local().Format("15:04"), Urgency: Critical,
		Body: "This computer restarts at " + at.Local().Format("15:04") + " to finish an update (" + strings.Join(why, ", ") + "). Save your work."}
	if postpone > 0 {
		m.Actions = []Action{{Key: ActionPostpone, Label: "Postpone " + postpone.String()}}
	}
	return m
}

// Observer notifies the users after each reconcile; it implements
// reconciler.Observer. Delivery runs in the background so the agent does
// not wait on desktops.
type Observer struct {
	Notifier *Notifier
}

var _ reconciler.Observer = Observer{}

// Reconciled sends the messages ForReport gives.
func (o Observer) Reconciled(rep reconciler.Report, _ reconciler.State) {
	msgs := ForReport(rep)
	if len(msgs) == 0 {
		return
	}
	go func() {
		for _, m := range msgs {
			o.Notifier.Send(context.Background(), m)
		}
	}()
}
