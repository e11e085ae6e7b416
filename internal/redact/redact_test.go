package redact

import "testing"

func TestURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://u:hunter2@h/r", "https://u:xxxxx@h/r"},
		{"https://h/r@x", "https://h/r@x"},
		{"ssh://git@h/r", "ssh://git@h/r"},
		{"https://h/report?token=hunter2", "https://h/report?REDACTED"},
		{"https://u:pw@h/report?token=q#frag", "https://u:xxxxx@h/report?REDACTED"},
		{"https://u:hunter2@h/%zz", "<invalid url>"},
	} {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
