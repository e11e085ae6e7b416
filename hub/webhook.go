package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/internal/webhook"
)

// forgeWebhook authenticates a forge's delivery with any configured
// secret (the same schemes as the agent's webhook), records it, and
// tells the hosts whose directory the push could have changed to poll.
func (s *Server) forgeWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.Webhook.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		httpError(w, http.StatusRequestEntityTooLarge, "body larger than webhook.max_body")
		return
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, "cannot read body")
		return
	}
	forge, err := s.verify(r, body)
	if err != nil {
		s.audit(r.Context(), "anonymous", "webhook.refused", "", err.Error()+" from "+r.RemoteAddr)
		httpError(w, http.StatusUnauthorized, "not authenticated")
		return
	}
	push := webhook.ParsePush(r.Header, body)
	actor := "forge:" + string(forge)
	switch {
	case !push.IsPush:
		s.audit(r.Context(), actor, "webhook", push.Branch, "ignored: event "+push.Event)
		writeJSON(w, http.StatusOK, map[string]string{"result": "ignored: not a push event"})
	case push.Branch != "" && push.Branch != s.cfg.Branch:
		s.audit(r.Context(), actor, "webhook", push.Branch, "ignored: not branch "+s.cfg.Branch)
		writeJSON(w, http.StatusOK, map[string]string{"result": "ignored: push to another branch"})
	default:
		s.acceptPush(r.Context(), w, actor, push)
	}
}

// verify tries each configured secret.
func (s *Server) verify(r *http.Request, body []byte) (webhook.Forge, error) {
	err := errors.New("no webhook secret configured")
	for _, secret := range s.secrets {
		var forge webhook.Forge
		if forge, err = webhook.Verify(r.Header, body, secret, s.Now()); err == nil {
			return forge, nil
		}
	}
	return "", err
}

func (s *Server) acceptPush(ctx context.Context, w http.ResponseWriter, actor string, push webhook.Push) {
	hosts := s.affected(ctx, push)
	res := s.notify(hosts)
	detail := fmt.Sprintf("push %s; notified %v; offline %v", short(push.Head), res.Notified, res.Offline)
	e := store.Entry{At: s.Now(), Actor: actor, Action: "webhook", Target: s.cfg.Branch, Detail: detail}
	var err error
	if push.Head != "" && s.cfg.Rollout.PolicyFile != "" {
		if err := s.startRollout(ctx, push.Head, actor); err != nil {
			s.log.Error("cannot start a rollout", "revision", push.Head, "err", err)
		}
	}
	if push.Head != "" {
		err = s.store.SetFact(ctx, headFact, push.Head, e)
	} else {
		err = s.store.Record(ctx, e)
	}
	if err != nil {
		s.log.Error("cannot record a webhook delivery", "err", err)
	}
	s.page.Publish([]string{""}, "")
	writeJSON(w, http.StatusAccepted, res)
}

// affected is every known host whose directory the push could have
// changed: when the payload lists its paths and each lies under some
// host's directory, only those hosts; a path elsewhere (a shared module
// any host may link to) or an unknown list concerns every host.
func (s *Server) affected(ctx context.Context, push webhook.Push) []string {
	all := s.knownHosts(ctx)
	if !push.PathsKnown {
		return all
	}
	prefix, suffix, _ := strings.Cut(s.cfg.HostDir, hostname.Placeholder)
	touched := map[string]bool{}
	for _, p := range push.Paths {
		rest, ok := strings.CutPrefix(p, prefix)
		host, tail, _ := strings.Cut(rest, "/")
		if !ok || host == "" || !strings.HasPrefix("/"+tail, suffix) {
			return all
		}
		touched[host] = true
	}
	var out []string
	for _, h := range all {
		if touched[h] {
			out = append(out, h)
		}
	}
	return out
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	if commit == "" {
		return "(head unknown)"
	}
	return commit
}
