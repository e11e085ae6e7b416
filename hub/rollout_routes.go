package hub

import (
	"context"
	"net/http"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/internal/settings"
	"github.com/berth-nix/berth/rollout"
)

func (s *Server) rolloutRoutes(mux *http.ServeMux) {
	mux.Handle("POST "+wire.GatePath, s.withHost(s.postGate))
	mux.Handle("GET /v1/rollouts", s.withRole(store.RoleRead, s.getRollouts))
	mux.Handle("POST /v1/rollouts/{revision}/resume", s.withRole(store.RoleOperate, s.postRolloutAction(rollout.ActionResume)))
	mux.Handle("POST /v1/rollouts/{revision}/abort", s.withRole(store.RoleOperate, s.postRolloutAction(rollout.ActionAbort)))
	mux.Handle("GET /rollouts", s.withRole(store.RoleRead, s.rolloutPage))
}

func (c *Config) validateRollout() error {
	r := c.Rollout
	if err := settings.OptionalAbs(settings.Path{Key: "rollout.policy_file", Value: r.PolicyFile}); err != nil {
		return err
	}
	if r.HaltWebhookURL != "" {
		if err := settings.HTTPURL("rollout.halt_webhook_url", r.HaltWebhookURL); err != nil {
			return err
		}
	}
	if r.Interval < 1e9 {
		return badKey("rollout.interval", "must be at least 1s, got %s", r.Interval)
	}
	return nil
}

// afterReport asks the rollouts loop to decide again: a report may
// finish a wave or halt the rollout. Many reports at once make one
// evaluation, and the agent does not wait for it.
func (s *Server) afterReport(context.Context) {
	select {
	case s.rolls.kick <- struct{}{}:
	default:
	}
}

type rolloutPageData struct {
	Title    string
	Rollouts []RolloutView
	Error    string
}

func (s *Server) rolloutPage(w http.ResponseWriter, r *http.Request, _ caller) {
	views, _, err := s.evaluateRollouts(r.Context())
	d := rolloutPageData{Title: "Rollouts"}
	for i := len(views) - 1; i >= 0; i-- {
		d.Rollouts = append(d.Rollouts, views[i])
	}
	if err != nil {
		d.Error = err.Error()
	}
	if s.cfg.Rollout.PolicyFile == "" {
		d.Error = "no rollout policy: set rollout.policy_file in the hub's configuration"
	}
	s.render(w, "rollouts", d)
}
