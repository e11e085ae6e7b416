package webhook

import (
	"encoding/json"
	"net/http"
)

// Push is what an authenticated delivery announces, for a server that
// routes it to the hosts it may concern (berth hub).
type Push struct {
	// Event is the forge's event name; IsPush is false for events that
	// cannot move a branch.
	Event  string
	IsPush bool
	// Branch is the pushed branch and Head the commit it now points at;
	// "" when the payload does not say.
	Branch string
	Head   string
	// Paths are the files the pushed commits added, changed or removed.
	// PathsKnown is false when the payload does not list every commit
	// (none listed, or a forge's cap of 20 reached): then any file may
	// have changed.
	Paths      []string
	PathsKnown bool
}

// maxListedCommits is where GitHub and GitLab stop listing a push's
// commits.
const maxListedCommits = 20

// ParsePush reads the event, branch, head and changed paths of a
// delivery that Verify accepted. GitHub, Gitea, Forgejo and GitLab all
// send "after" and commits[].added/modified/removed.
func ParsePush(h http.Header, body []byte) Push {
	ev := parseEvent(h, body)
	p := Push{Event: ev.name, IsPush: ev.push, Branch: ev.branch}
	if !ev.push {
		return p
	}
	var payload struct {
		After   string `json:"after"`
		Commits []struct {
			Added    []string `json:"added"`
			Modified []string `json:"modified"`
			Removed  []string `json:"removed"`
		} `json:"commits"`
		TotalCommits *int `json:"total_commits_count"`
	}
	if json.Unmarshal(jsonPayload(h.Get("Content-Type"), body), &payload) != nil {
		return p
	}
	if len(payload.After) == 40 && payload.After != "0000000000000000000000000000000000000000" {
		p.Head = payload.After
	}
	n := len(payload.Commits)
	p.PathsKnown = n > 0 && n < maxListedCommits && (payload.TotalCommits == nil || *payload.TotalCommits == n)
	for _, c := range payload.Commits {
		p.Paths = append(p.Paths, c.Added...)
		p.Paths = append(p.Paths, c.Modified...)
		p.Paths = append(p.Paths, c.Removed...)
	}
	return p
}
