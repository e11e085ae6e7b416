package hub

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/wire"
)

// maxUpload bounds a posted report with its log tail.
const maxUpload = 4 << 20

// heartbeat keeps idle streams alive through proxies and lets both ends
// notice a dead connection.
const heartbeat = 25 * time.Second

// postReport stores a host's report. A host may only report for itself.
func (s *Server) postReport(w http.ResponseWriter, r *http.Request, host string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpload))
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "report too large or unreadable")
		return
	}
	var up wire.Upload
	var rep wire.Report
	if err := json.Unmarshal(body, &up); err != nil || json.Unmarshal(up.Report, &rep) != nil {
		httpError(w, http.StatusBadRequest, "body is not a report upload")
		return
	}
	if rep.Version != wire.ReportVersion || rep.Host != host {
		s.audit(r.Context(), "host:"+host, "report.refused", rep.Host, fmt.Sprintf("version %d for host %q", rep.Version, rep.Host))
		httpError(w, http.StatusForbidden, fmt.Sprintf("report version %d for host %q; this token is %s's", rep.Version, rep.Host, host))
		return
	}
	if len(up.LogTail) > wire.MaxLogTail {
		up.LogTail = up.LogTail[len(up.LogTail)-wire.MaxLogTail:]
	}
	now := s.Now()
	row := store.Report{Host: host, Received: now, Report: rep, Raw: up.Report, LogTail: up.LogTail}
	e := store.Entry{At: now, Actor: "host:" + host, Action: "report", Target: host, Detail: reportDetail(rep)}
	if _, err := s.store.AddReport(r.Context(), row, e); err != nil {
		s.log.Error("cannot store a report", "host", host, "err", err)
		httpError(w, http.StatusServiceUnavailable, "cannot store the report now")
		return
	}
	s.afterReport(r.Context())
	s.page.Publish([]string{""}, host)
	w.WriteHeader(http.StatusNoContent)
}

// reportDetail is a report's audit line: result and revision.
func reportDetail(rep wire.Report) string {
	d := rep.Result
	if a := rep.Attempt; a != nil {
		d += fmt.Sprintf("; attempt %s %s", a.Result, a.Revision)
	} else if rep.Applied != nil {
		d += "; applied " + rep.Applied.Revision
	}
	return d
}

// events is a host's stream: "hello" at once, then "poll" whenever the
// hub wants the agent to look at its source, and a comment line every
// heartbeat.
func (s *Server) events(w http.ResponseWriter, r *http.Request, host string) {
	ch, stop := s.agents.Subscribe(host)
	defer stop()
	sse(w, r, wire.EventHello, ch, func(ev string) (string, string) { return ev, "{}" })
}

// live is the page's stream: the name of each host whose report changed.
func (s *Server) live(w http.ResponseWriter, r *http.Request, _ caller) {
	ch, stop := s.page.Subscribe("")
	defer stop()
	sse(w, r, "hello", ch, func(host string) (string, string) { return "report", host })
}

// sse writes a Server-Sent Events stream until the client goes away:
// first, then one event per value from ch as format renders it.
func sse(w http.ResponseWriter, r *http.Request, first string, ch <-chan string, format func(string) (string, string)) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		httpError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	fmt.Fprintf(w, "event: %s\ndata: {}\n\n", first)
	flusher.Flush()
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			fmt.Fprint(w, ": ping\n\n")
		case v := <-ch:
			ev, data := format(v)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev, data)
		}
		flusher.Flush()
	}
}

// triggerRequest is the body of POST /v1/trigger.
type triggerRequest struct {
	Hosts []string `json:"hosts"`
	All   bool     `json:"all"`
}

// TriggerResult says which hosts were told to poll and which were not
// connected (they poll on their own schedule).
type TriggerResult struct {
	Notified []string `json:"notified"`
	Offline  []string `json:"offline,omitempty"`
}

func (s *Server) postTrigger(w http.ResponseWriter, r *http.Request, c caller) {
	var req triggerRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || (len(req.Hosts) == 0) == !req.All {
		httpError(w, http.StatusBadRequest, `body must be {"hosts": [...]} or {"all": true}`)
		return
	}
	hosts := req.Hosts
	if req.All {
		hosts = s.knownHosts(r.Context())
	}
	res := s.notify(hosts)
	target := "all"
	if !req.All {
		target = fmt.Sprint(req.Hosts)
	}
	s.audit(r.Context(), c.name, "trigger", target, fmt.Sprintf("notified %v; offline %v", res.Notified, res.Offline))
	writeJSON(w, http.StatusOK, res)
}

// notify sends "poll" to hosts.
func (s *Server) notify(hosts []string) TriggerResult {
	res := TriggerResult{Notified: s.agents.Publish(hosts, wire.EventPoll)}
	for _, h := range hosts {
		if !s.agents.Connected(h) {
			res.Offline = append(res.Offline, h)
		}
	}
	if res.Notified == nil {
		res.Notified = []string{}
	}
	s.metrics.notified(len(res.Notified))
	return res
}
