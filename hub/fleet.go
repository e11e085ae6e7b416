package hub

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/wire"
)

// States of a host on the page, in the API and in metrics.
const (
	StateUpToDate = "up-to-date" // applied what the branch head wants
	StatePending  = "pending"    // has not applied the head yet, and has not failed on it
	StateFailed   = "failed"     // its last attempt or poll failed
	StateReverted = "reverted"   // tried a configuration and went back
	StateStale    = "stale"      // no report for longer than stale_after
	StateNoReport = "no-report"  // configured, but never reported
)

// States lists every state, in the order the page sorts hosts.
var States = []string{StateFailed, StateReverted, StateStale, StatePending, StateNoReport, StateUpToDate}

// headFact is the fleet fact holding the last pushed commit of the branch.
const headFact = "head"

// HostView is one host as the page and GET /v1/hosts show it.
type HostView struct {
	Name  string `json:"name"`
	State string `json:"state"`
	// Wanted is the commit the branch's last push announced ("" when no
	// webhook said); Applied the commit the host runs.
	Wanted          string    `json:"wanted,omitempty"`
	Applied         string    `json:"applied,omitempty"`
	AppliedRevision string    `json:"applied_revision,omitempty"`
	Result          string    `json:"result,omitempty"`
	Error           string    `json:"error,omitempty"`
	Phase           string    `json:"failed_phase,omitempty"`
	FailedUnits     []string  `json:"failed_units,omitempty"`
	LastSeen        time.Time `json:"last_seen,omitzero"`
	AgeSeconds      int64     `json:"age_seconds,omitempty"`
	RebootNeeded    bool      `json:"reboot_needed,omitempty"`
	// Drift is the system the host runs while it is not the one berth
	// applied (a manual switch or rollback), as the host reported it.
	Drift        string `json:"drift,omitempty"`
	Connected    bool   `json:"connected"`
	AgentVersion string `json:"agent_version,omitempty"`
}

// fleet builds one view per host: every configured host and every host
// that ever reported.
func (s *Server) fleet(ctx context.Context) ([]HostView, error) {
	latest, err := s.store.Latest(ctx)
	if err != nil {
		return nil, err
	}
	wanted, err := s.store.Fact(ctx, headFact)
	if err != nil {
		return nil, err
	}
	byHost := map[string]*store.Report{}
	for i := range latest {
		byHost[latest[i].Host] = &latest[i]
	}
	var out []HostView
	for _, h := range s.knownHostsFrom(latest) {
		out = append(out, s.view(h, byHost[h], wanted))
	}
	return out, nil
}

// knownHosts is every configured or reporting host, sorted.
func (s *Server) knownHosts(ctx context.Context) []string {
	reported, err := s.store.Hosts(ctx)
	if err != nil {
		s.log.Error("cannot read the hosts", "err", err)
	}
	return s.withConfigured(reported)
}

func (s *Server) knownHostsFrom(latest []store.Report) []string {
	var hosts []string
	for _, r := range latest {
		hosts = append(hosts, r.Host)
	}
	return s.withConfigured(hosts)
}

// withConfigured adds the configured hosts to hosts, sorted, once each.
func (s *Server) withConfigured(hosts []string) []string {
	for _, h := range s.hostTokens {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}

// view judges one host from its latest report (nil when none).
func (s *Server) view(host string, r *store.Report, wanted string) HostView {
	v := HostView{Name: host, Wanted: wanted, Connected: s.agents.Connected(host), State: StateNoReport}
	if r == nil {
		return v
	}
	rep := r.Report
	v.LastSeen, v.AgeSeconds = r.Received, int64(s.Now().Sub(r.Received).Seconds())
	v.Result, v.Error, v.AgentVersion = rep.Result, rep.Error, rep.AgentVersion
	if rep.Applied != nil {
		v.Applied, v.AppliedRevision = rep.Applied.Commit, rep.Applied.Revision
	}
	if d := rep.Drift; d != nil {
		v.Drift = d.Running
	}
	v.RebootNeeded = rep.PendingBoot != nil
	if a := rep.Attempt; a != nil {
		v.RebootNeeded = v.RebootNeeded || a.Reboot
		if a.Result == wire.ResultFailed || a.Result == wire.ResultReverted || a.Result == wire.ResultRefused {
			v.Phase, v.FailedUnits = a.Phase, a.FailedUnits
			if v.Error == "" {
				v.Error = a.Error
			}
		}
	}
	v.State = s.state(r, wanted)
	return v
}

// state is the host's state from its latest report and the wanted commit.
func (s *Server) state(r *store.Report, wanted string) string {
	rep := r.Report
	if s.Now().Sub(r.Received) > s.cfg.StaleAfter {
		return StateStale
	}
	if a := rep.Attempt; a != nil && (rep.Applied == nil || a.Digest != rep.Applied.Digest) {
		switch a.Result {
		case wire.ResultReverted:
			return StateReverted
		case wire.ResultFailed, wire.ResultRefused:
			return StateFailed
		}
	}
	switch {
	case rep.Result == wire.ResultFailed:
		return StateFailed
	case rep.Applied == nil:
		return StatePending
	case wanted != "" && rep.Applied.Commit != "" && rep.Applied.Commit != wanted:
		return StatePending
	}
	return StateUpToDate
}

func (s *Server) getHosts(w http.ResponseWriter, r *http.Request, _ caller) {
	hosts, err := s.fleet(r.Context())
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"hosts": hosts})
}

// HostDetail is GET /v1/hosts/{host}: the view and the report history.
type HostDetail struct {
	Host    HostView      `json:"host"`
	History []HistoryItem `json:"history"`
	LogTail string        `json:"log_tail,omitempty"`
	Latest  *store.Report `json:"-"`
}

// HistoryItem is one received report.
type HistoryItem struct {
	ID       int64     `json:"id"`
	Received time.Time `json:"received"`
	Result   string    `json:"result"`
	Revision string    `json:"revision,omitempty"`
	Phase    string    `json:"phase,omitempty"`
	Error    string    `json:"error,omitempty"`
}

func (s *Server) hostDetail(ctx context.Context, host string, limit int) (*HostDetail, error) {
	hist, err := s.store.History(ctx, host, limit)
	if err != nil {
		return nil, err
	}
	if len(hist) == 0 && !slices.Contains(s.knownHosts(ctx), host) {
		return nil, store.ErrNotFound
	}
	wanted, err := s.store.Fact(ctx, headFact)
	if err != nil {
		return nil, err
	}
	d := &HostDetail{History: []HistoryItem{}}
	if len(hist) > 0 {
		d.Latest, d.LogTail = &hist[0], hist[0].LogTail
		d.Host = s.view(host, &hist[0], wanted)
	} else {
		d.Host = s.view(host, nil, wanted)
	}
	for _, h := range hist {
		it := HistoryItem{ID: h.ID, Received: h.Received, Result: h.Report.Result, Error: h.Report.Error}
		if a := h.Report.Attempt; a != nil {
			it.Revision, it.Phase = a.Revision, a.Phase
		} else if h.Report.Applied != nil {
			it.Revision = h.Report.Applied.Revision
		}
		d.History = append(d.History, it)
	}
	return d, nil
}

func (s *Server) getHost(w http.ResponseWriter, r *http.Request, _ caller) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	d, err := s.hostDetail(r.Context(), r.PathValue("host"), limit)
	if errors.Is(err, store.ErrNotFound) {
		httpError(w, http.StatusNotFound, "no host "+r.PathValue("host"))
		return
	}
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, d)
}
