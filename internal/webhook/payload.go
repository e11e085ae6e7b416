package webhook

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// event is what a verified request announces.
type event struct {
	// push is false for events that cannot change a branch (GitHub's
	// ping, an issue comment); those never trigger.
	push bool
	// name is the forge's event name, for logs.
	name string
	// branch is the pushed branch, "" when the payload does not say.
	branch string
}

// eventHeaders are the headers forges name their events in, with the
// value each uses for a push.
var eventHeaders = []struct{ header, push string }{
	{"X-GitHub-Event", "push"},
	{"X-Forgejo-Event", "push"},
	{"X-Gitea-Event", "push"},
	{"X-Gitlab-Event", "Push Hook"},
}

// parseEvent reads the event kind from the headers and the pushed branch
// from the body. A body it cannot read gives an unknown branch, which
// still triggers: the poll decides what is new.
func parseEvent(h http.Header, body []byte) event {
	ev := event{push: true, name: "push"}
	for _, eh := range eventHeaders {
		if v := h.Get(eh.header); v != "" {
			ev.name, ev.push = v, v == eh.push
			break
		}
	}
	if ev.push {
		ev.branch = branchOf(h.Get("Content-Type"), body)
	}
	return ev
}

// branchOf reads the "ref" of a push payload (GitHub, Gitea, Forgejo and
// GitLab all send "refs/heads/<branch>"); GitHub may send the JSON form
// encoded as the "payload" field.
func branchOf(contentType string, body []byte) string {
	var p struct {
		Ref string `json:"ref"`
	}
	if json.Unmarshal(jsonPayload(contentType, body), &p) != nil {
		return ""
	}
	b, _ := strings.CutPrefix(p.Ref, "refs/heads/")
	if b == p.Ref {
		return "" // a tag or nothing: not a branch
	}
	return b
}

// jsonPayload is the JSON of a delivery: the body, or its "payload"
// field when the body is form-encoded (GitHub's other content type).
func jsonPayload(contentType string, body []byte) []byte {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil
		}
		return []byte(v.Get("payload"))
	}
	return body
}
