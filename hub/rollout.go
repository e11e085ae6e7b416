package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/rollout"
)

// RolloutConfig turns on staged rollouts (docs/rollouts.md).
type RolloutConfig struct {
	// PolicyFile is the fleet repository's rollout.yaml as deployed on
	// the hub; empty means no rollouts: every agent is allowed at once.
	PolicyFile string `yaml:"policy_file"`
	// HaltWebhookURL, when set, receives a JSON POST when a rollout halts.
	HaltWebhookURL string `yaml:"halt_webhook_url"`
	// Interval is how often the hub looks at rollouts for soaks that
	// ended and windows that opened.
	Interval time.Duration `yaml:"interval"`
}

// rolloutHistory is how many rollouts, newest first, the decisions and
// the page look at.
const rolloutHistory = 10

// reportSlack is how long before the oldest of those rollouts began
// reports are read.
const reportSlack = 24 * time.Hour

// rollouts is the hub's memory between evaluations: which host was last
// told which revision it may take, so a host is told to poll once when
// its wave opens.
type rollouts struct {
	// kick asks the loop for an evaluation now (after a report).
	kick chan struct{}
	// eval serialises evaluations, so that a change of state is
	// recorded (and a halt announced) once.
	eval    sync.Mutex
	mu      sync.Mutex
	allowed map[string]string
}

// RolloutView is a rollout as GET /v1/rollouts and the page show it.
type RolloutView struct {
	rollout.Status
	Current bool `json:"current"`
}

// rolloutKey is how the hub names a revision: its commit when the source
// has commits, its revision string otherwise.
func rolloutKey(commit, revision string) string {
	if commit != "" {
		return commit
	}
	return revision
}

func (s *Server) policy() (*rollout.Policy, error) {
	data, err := os.ReadFile(s.cfg.Rollout.PolicyFile)
	if err != nil {
		return nil, err
	}
	return rollout.Parse(s.cfg.Rollout.PolicyFile, data)
}

// rolloutInput gathers what the decisions depend on from the store:
// the reports since the oldest rollout in view, or since the current one
// when only its decisions matter (an agent's question).
func (s *Server) rolloutInput(ctx context.Context, p *rollout.Policy, currentOnly bool) (rollout.Input, error) {
	in := rollout.Input{Policy: p, Hosts: s.knownHosts(ctx), Now: s.Now()}
	rs, err := s.store.Rollouts(ctx, rolloutHistory)
	if err != nil {
		return in, err
	}
	for _, r := range rs {
		in.Timeline = append(in.Timeline, rollout.Revision{ID: r.Revision, Start: r.Started})
		acts, err := s.store.RolloutActions(ctx, r.Revision)
		if err != nil {
			return in, err
		}
		for _, a := range acts {
			in.Actions = append(in.Actions, rollout.Action{Revision: a.Revision, Kind: a.Kind, At: a.At})
		}
	}
	if len(in.Timeline) == 0 {
		return in, nil
	}
	// A host whose directory a commit did not change may report running
	// it before anyone started its rollout.
	from := in.Timeline[0].Start
	if currentOnly {
		from = in.Timeline[len(in.Timeline)-1].Start
	}
	reps, err := s.store.ReportsSince(ctx, from.Add(-reportSlack))
	if err != nil {
		return in, err
	}
	for _, r := range reps {
		if rr, ok := rolloutReport(r); ok {
			in.Reports = append(in.Reports, rr)
		}
	}
	return in, nil
}

// rolloutReport reads what a stored report says about a revision: an
// attempt that failed or reverted, or a revision the host runs.
func rolloutReport(r store.Report) (rollout.Report, bool) {
	rep := r.Report
	if a := rep.Attempt; a != nil && (a.Result == "failed" || a.Result == "reverted") {
		reason := a.Error
		if len(a.FailedUnits) > 0 {
			reason = "failed units " + strings.Join(a.FailedUnits, ", ")
		}
		if a.Phase != "" {
			reason = a.Phase + ": " + reason
		}
		return rollout.Report{Host: r.Host, Revision: rolloutKey(a.Commit, a.Revision), Failed: true, Reason: reason, At: r.Received}, true
	}
	if rep.Applied != nil && (rep.Result == "applied" || rep.Result == "unchanged") {
		return rollout.Report{Host: r.Host, Revision: rolloutKey(rep.Applied.Commit, rep.Applied.Revision), At: r.Received}, true
	}
	return rollout.Report{}, false
}

// startRollout begins the rollout of key unless it has one.
func (s *Server) startRollout(ctx context.Context, key, actor string) error {
	now := s.Now()
	e := store.Entry{At: now, Actor: actor, Action: "rollout.start", Target: key}
	_, err := s.store.StartRollout(ctx, store.Rollout{Revision: key, Started: now, State: rollout.StateRolling}, e)
	return err
}

// evaluateRollouts decides every rollout, records the states that
// changed (a halt also calls the halt webhook), and tells hosts whose
// wave just opened to poll.
func (s *Server) evaluateRollouts(ctx context.Context) ([]RolloutView, map[string]rollout.Decision, error) {
	if s.cfg.Rollout.PolicyFile == "" {
		return nil, nil, nil
	}
	s.rolls.eval.Lock()
	defer s.rolls.eval.Unlock()
	p, err := s.policy()
	if err != nil {
		return nil, nil, err
	}
	in, err := s.rolloutInput(ctx, p, false)
	if err != nil {
		return nil, nil, err
	}
	sts, ds := rollout.Decide(in)
	stored, err := s.store.Rollouts(ctx, rolloutHistory)
	if err != nil {
		return nil, nil, err
	}
	state := map[string]string{}
	for _, r := range stored {
		state[r.Revision] = r.State
	}
	var views []RolloutView
	for i, st := range sts {
		if was, ok := state[st.Revision]; ok && was != st.State {
			s.rolloutChanged(ctx, st)
		}
		views = append(views, RolloutView{Status: st, Current: i == len(sts)-1})
	}
	s.notifyOpened(ds)
	return views, ds, nil
}

func (s *Server) rolloutChanged(ctx context.Context, st rollout.Status) {
	e := store.Entry{At: s.Now(), Actor: "hub", Action: "rollout." + st.State, Target: st.Revision}
	if st.State == rollout.StateHalted {
		e.Detail = failingDetail(st.Failing)
	}
	if err := s.store.SetRolloutState(ctx, st.Revision, st.State, s.Now(), e); err != nil {
		s.log.Error("cannot record a rollout's state", "revision", st.Revision, "err", err)
		return
	}
	s.log.Info("rollout", "revision", st.Revision, "state", st.State, "detail", e.Detail)
	if st.State == rollout.StateHalted {
		s.metrics.halted()
		go s.postHalt(st)
	}
	s.page.Publish([]string{""}, "")
}

func failingDetail(rs []rollout.Report) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.Host+": "+r.Reason)
	}
	return strings.Join(parts, "; ")
}

// HaltEvent is the JSON body POSTed to rollout.halt_webhook_url.
type HaltEvent struct {
	Event    string         `json:"event"`
	Revision string         `json:"revision"`
	At       time.Time      `json:"at"`
	Text     string         `json:"text"`
	Failing  []FailingHost  `json:"failing"`
	Waves    []WaveProgress `json:"waves"`
}

// FailingHost is one host that made a rollout halt.
type FailingHost struct {
	Host   string `json:"host"`
	Reason string `json:"reason"`
}

// WaveProgress is a wave's state in a HaltEvent.
type WaveProgress struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// postHalt sends the halt to the configured URL; a failure is logged and
// audited, never retried (the page and metrics still say it).
func (s *Server) postHalt(st rollout.Status) {
	if s.cfg.Rollout.HaltWebhookURL == "" {
		return
	}
	ev := HaltEvent{Event: "rollout.halted", Revision: st.Revision, At: st.HaltedAt,
		Text: fmt.Sprintf("berth: rollout of %s halted: %s", short(st.Revision), failingDetail(st.Failing))}
	for _, r := range st.Failing {
		ev.Failing = append(ev.Failing, FailingHost{Host: r.Host, Reason: r.Reason})
	}
	for _, w := range st.Waves {
		ev.Waves = append(ev.Waves, WaveProgress{Name: w.Name, State: w.State})
	}
	body, _ := json.Marshal(ev)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Rollout.HaltWebhookURL, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		if resp, err = http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				err = fmt.Errorf("status %s", resp.Status)
			}
		}
	}
	detail := "delivered"
	if err != nil {
		detail = "not delivered: " + err.Error()
		s.log.Error("cannot deliver the halt webhook", "err", err)
	}
	s.audit(ctx, "hub", "rollout.halt_webhook", st.Revision, detail)
}

// notifyOpened tells hosts allowed a revision they were not allowed
// before to poll now.
func (s *Server) notifyOpened(ds map[string]rollout.Decision) {
	s.rolls.mu.Lock()
	if s.rolls.allowed == nil {
		s.rolls.allowed = map[string]string{}
	}
	var hosts []string
	for h, d := range ds {
		if d.Revision != "" && s.rolls.allowed[h] != d.Revision {
			hosts = append(hosts, h)
		}
		s.rolls.allowed[h] = d.Revision
	}
	s.rolls.mu.Unlock()
	if len(hosts) > 0 {
		s.notify(hosts)
	}
}

// runRollouts evaluates the rollouts every rollout.interval, and soon
// after each report, until ctx ends: soaks end and windows open without
// a report, and a failure halts within moments of its report.
func (s *Server) runRollouts(ctx context.Context) {
	if s.cfg.Rollout.PolicyFile == "" {
		return
	}
	t := time.NewTicker(s.cfg.Rollout.Interval)
	defer t.Stop()
	for {
		if _, _, err := s.evaluateRollouts(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("cannot evaluate rollouts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.rolls.kick:
		}
	}
}

// postGate answers an agent about to apply a revision. Without a policy
// every revision is allowed; with one, a revision the hub has not seen
// starts its rollout.
func (s *Server) postGate(w http.ResponseWriter, r *http.Request, host string) {
	var req wire.GateRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || req.Revision == "" {
		httpError(w, http.StatusBadRequest, `body must be {"revision": ..., "commit": ...}`)
		return
	}
	if s.cfg.Rollout.PolicyFile == "" {
		writeJSON(w, http.StatusOK, wire.GateAnswer{Allowed: true, Reason: "no rollout policy on the hub"})
		return
	}
	key := rolloutKey(req.Commit, req.Revision)
	if err := s.startAsked(r.Context(), key, host); err != nil {
		s.log.Error("cannot start a rollout", "revision", key, "err", err)
		httpError(w, http.StatusServiceUnavailable, "cannot start the rollout now")
		return
	}
	p, err := s.policy()
	var in rollout.Input
	if err == nil {
		in, err = s.rolloutInput(r.Context(), p, true)
	}
	if err != nil {
		s.log.Error("cannot decide a rollout", "err", err)
		httpError(w, http.StatusServiceUnavailable, "cannot decide now: "+err.Error())
		return
	}
	d := rollout.Allowed(in, host, key)
	writeJSON(w, http.StatusOK, wire.GateAnswer{Allowed: d.Revision == key, Wave: d.Wave, Reason: d.Wait, Until: d.Until})
}

// startAsked starts the rollout of the revision an agent asks about,
// unless the forge announced another branch head whose rollout runs: an
// agent on a lagging mirror must not restart an older commit's rollout.
// (When the agent is ahead of the webhook, the delivery starts it.)
func (s *Server) startAsked(ctx context.Context, key, host string) error {
	head, err := s.store.Fact(ctx, headFact)
	if err != nil {
		return err
	}
	if head != "" && head != key {
		rs, err := s.store.Rollouts(ctx, rolloutHistory)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Revision == head {
				return nil
			}
		}
	}
	return s.startRollout(ctx, key, "host:"+host)
}

func (s *Server) getRollouts(w http.ResponseWriter, r *http.Request, _ caller) {
	views, _, err := s.evaluateRollouts(r.Context())
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "cannot evaluate rollouts: "+err.Error())
		return
	}
	if views == nil {
		views = []RolloutView{}
	}
	writeJSON(w, http.StatusOK, views)
}

// postRolloutAction resumes or aborts a rollout: {revision} is a commit,
// a unique prefix of one, or "current".
func (s *Server) postRolloutAction(kind string) func(http.ResponseWriter, *http.Request, caller) {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		rev, err := s.findRollout(r.Context(), r.PathValue("revision"))
		if err != nil {
			httpError(w, http.StatusNotFound, err.Error())
			return
		}
		now := s.Now()
		a := store.RolloutAction{Revision: rev, Kind: kind, Actor: c.name, At: now}
		e := store.Entry{At: now, Actor: c.name, Action: "rollout." + kind, Target: rev}
		if err := s.store.AddRolloutAction(r.Context(), a, e); err != nil {
			httpError(w, http.StatusServiceUnavailable, "cannot record the "+kind+": "+err.Error())
			return
		}
		views, _, err := s.evaluateRollouts(r.Context())
		if err != nil {
			httpError(w, http.StatusServiceUnavailable, "recorded; cannot evaluate rollouts: "+err.Error())
			return
		}
		for _, v := range views {
			if v.Revision == rev {
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"revision": rev, "result": kind + " recorded"})
	}
}

var errNoRollout = errors.New("no rollout")

func (s *Server) findRollout(ctx context.Context, ref string) (string, error) {
	rs, err := s.store.Rollouts(ctx, rolloutHistory)
	if err != nil {
		return "", err
	}
	if len(rs) == 0 {
		return "", fmt.Errorf("%w has started", errNoRollout)
	}
	if ref == "current" {
		return rs[len(rs)-1].Revision, nil
	}
	var found []string
	for _, r := range rs {
		if strings.HasPrefix(r.Revision, ref) && ref != "" {
			found = append(found, r.Revision)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%w matches %q uniquely among the last %d", errNoRollout, ref, rolloutHistory)
	}
	return found[0], nil
}
