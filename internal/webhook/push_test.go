package webhook

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestParsePush(t *testing.T) {
	head := strings.Repeat("a", 40)
	many := `{"ref":"refs/heads/main","after":"` + head + `","commits":[` + strings.Repeat(`{"modified":["x"]},`, 19) + `{"modified":["x"]}]}`
	tests := []struct {
		name  string
		h     http.Header
		body  string
		want  Push
		paths []string
	}{
		{"github", hdr("X-GitHub-Event", "push"), `{"ref":"refs/heads/main","after":"` + head + `","commits":[{"added":["hosts/a/x"],"modified":["m"],"removed":["r"]}]}`,
			Push{Event: "push", IsPush: true, Branch: "main", Head: head, PathsKnown: true}, []string{"hosts/a/x", "m", "r"}},
		{"gitlab all listed", hdr("X-Gitlab-Event", "Push Hook"), `{"ref":"refs/heads/dev","after":"` + head + `","total_commits_count":1,"commits":[{"modified":["a"]}]}`,
			Push{Event: "Push Hook", IsPush: true, Branch: "dev", Head: head, PathsKnown: true}, []string{"a"}},
		{"gitlab truncated", hdr("X-Gitlab-Event", "Push Hook"), `{"ref":"refs/heads/dev","total_commits_count":30,"commits":[{"modified":["a"]}]}`,
			Push{Event: "Push Hook", IsPush: true, Branch: "dev"}, []string{"a"}},
		{"twenty commits may be a cap", hdr("X-Gitea-Event", "push"), many, Push{Event: "push", IsPush: true, Branch: "main", Head: head}, nil},
		{"no commits", hdr("X-Forgejo-Event", "push"), `{"ref":"refs/heads/main","after":"` + head + `","commits":[]}`,
			Push{Event: "push", IsPush: true, Branch: "main", Head: head}, nil},
		{"branch deleted", hdr(), `{"ref":"refs/heads/main","after":"0000000000000000000000000000000000000000"}`,
			Push{Event: "push", IsPush: true, Branch: "main"}, nil},
		{"ping", hdr("X-GitHub-Event", "ping"), `{"zen":"hi"}`, Push{Event: "ping"}, nil},
		{"form encoded", hdr("Content-Type", "application/x-www-form-urlencoded"),
			"payload=" + url.QueryEscape(`{"ref":"refs/heads/main","commits":[{"added":["f"]}]}`),
			Push{Event: "push", IsPush: true, Branch: "main", PathsKnown: true}, []string{"f"}},
		{"garbage", hdr(), `{not json`, Push{Event: "push", IsPush: true}, nil},
	}
	for _, tt := range tests {
		got := ParsePush(tt.h, []byte(tt.body))
		paths := got.Paths
		got.Paths = nil
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
		if tt.paths != nil && !slices.Equal(paths, tt.paths) {
			t.Errorf("%s: paths %v, want %v", tt.name, paths, tt.paths)
		}
	}
}

// FuzzParsePush: any body parses without panic, and a path list is only
// ever called complete when commits were listed.
func FuzzParsePush(f *testing.F) {
	f.Add(`{"ref":"refs/heads/main","commits":[{"added":["a"]}]}`)
	f.Add(`{"commits":null,"total_commits_count":-1}`)
	f.Fuzz(func(t *testing.T, body string) {
		p := ParsePush(hdr("X-GitHub-Event", "push"), []byte(body))
		if p.PathsKnown && len(p.Paths) == 0 && !strings.Contains(body, "commits") {
			t.Fatalf("paths known without commits: %q", body)
		}
	})
}
