package config

import (
	"strings"
	"testing"
)

func TestFilesReportDefaultsAndValues(t *testing.T) {
	c, err := Parse("c.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Files.Root != "/" || c.Report.HTTPURL != "" {
		t.Errorf("got files %+v report %+v, want root / and no report URL", c.Files, c.Report)
	}
	c, err = Parse("c.yaml", []byte(minimal+"files:\n  root: /srv/root\nreport:\n  http_url: https://reports.example.org/{hostname}\n  token_file: /etc/berth/report-token\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Files.Root != "/srv/root" || c.Expand(c.Report.HTTPURL) != "https://reports.example.org/laptop1" {
		t.Errorf("got files %+v report %+v", c.Files, c.Report)
	}
}

func TestFilesReportErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"relative root", "files:\n  root: srv\n", []string{"c.yaml:8", "files.root", "absolute"}},
		{"negative heartbeat", "report:\n  heartbeat: -1s\n", []string{"c.yaml:8", "report.heartbeat", "must not be negative"}},
		{"token without URL", "report:\n  token_file: /t\n", []string{"c.yaml:8", "report.token_file", "http_url is not"}},
		{"URL without token", "report:\n  http_url: https://r.example.org/\n", []string{"report.token_file", "is required"}},
		{"not http", "report:\n  http_url: ftp://r.example.org/\n  token_file: /t\n", []string{"c.yaml:8", "report.http_url", "http://"}},
		{"credentials", "report:\n  http_url: https://u:p@r.example.org/\n  token_file: /t\n", []string{"report.http_url", "credentials"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(minimal+tt.doc))
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want an error containing %q", err, w)
				}
			}
			if err != nil && strings.Contains(err.Error(), "u:p@") {
				t.Errorf("error leaks credentials: %v", err)
			}
		})
	}
}
