package health

import (
	"strings"
	"testing"
	"time"
)

func TestSpecNormalize(t *testing.T) {
	tests := []struct {
		name string
		s    Spec
		want string // "" = valid, else part of the error
	}{
		{"command", Spec{Name: "db", Kind: KindCommand, Command: []string{"/bin/true"}, User: "nobody"}, ""},
		{"http", Spec{Name: "web", Kind: KindHTTP, URL: "https://example.org/health", Status: "200,204"}, ""},
		{"tcp", Spec{Name: "ssh", Kind: KindTCP, Address: "127.0.0.1:22", Phase: PhaseBoth}, ""},
		{"unit", Spec{Name: "nginx", Kind: KindUnit, Unit: "nginx.service", Phase: PhasePreflight}, ""},
		{"reachability", Spec{Name: "source", Kind: KindReachability}, ""},
		{"bad name", Spec{Name: "a b", Kind: KindTCP, Address: "x:1"}, "name"},
		{"no name", Spec{Kind: KindTCP, Address: "x:1"}, "name"},
		{"unknown kind", Spec{Name: "x", Kind: "ping"}, "kind: must be"},
		{"relative command", Spec{Name: "x", Kind: KindCommand, Command: []string{"true"}}, "absolute path"},
		{"no command", Spec{Name: "x", Kind: KindCommand}, "command: is required"},
		{"ftp url", Spec{Name: "x", Kind: KindHTTP, URL: "ftp://h/"}, "url:"},
		{"bad status", Spec{Name: "x", Kind: KindHTTP, URL: "http://h/", Status: "ok"}, "status:"},
		{"no address", Spec{Name: "x", Kind: KindTCP}, "address:"},
		{"no unit", Spec{Name: "x", Kind: KindUnit}, "unit:"},
		{"field of another kind", Spec{Name: "x", Kind: KindTCP, Address: "h:1", URL: "http://h/"}, "url: not used by a tcp check"},
		{"status on tcp", Spec{Name: "x", Kind: KindTCP, Address: "h:1", Status: "200"}, "status: not used"},
		{"bad phase", Spec{Name: "x", Kind: KindTCP, Address: "h:1", Phase: "after"}, "phase:"},
		{"reachability before", Spec{Name: "x", Kind: KindReachability, Phase: PhasePreflight}, "verify only"},
		{"timeout over deadline", Spec{Name: "x", Kind: KindTCP, Address: "h:1", Timeout: time.Minute, Deadline: time.Second}, "longer than the deadline"},
		{"negative interval", Spec{Name: "x", Kind: KindTCP, Address: "h:1", Interval: -time.Second}, "interval:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Normalize()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSpecDefaults(t *testing.T) {
	s := Spec{Name: "web", Kind: KindHTTP, URL: "http://h/"}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	want := Spec{Name: "web", Kind: KindHTTP, URL: "http://h/", Phase: PhaseVerify, Status: DefaultStatus,
		Timeout: DefaultTimeout, Interval: DefaultInterval, Deadline: DefaultDeadline}
	if s.Phase != want.Phase || s.Status != want.Status || s.Timeout != want.Timeout || s.Interval != want.Interval || s.Deadline != want.Deadline {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if !s.InPhase(PhaseVerify) || s.InPhase(PhasePreflight) {
		t.Errorf("InPhase: a verify check runs in verify only")
	}
}

func TestParseFile(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // "" = valid, else part of the error
		n          int
	}{
		{"empty", "", "", 0},
		{"two checks", "checks:\n  - name: web\n    kind: http\n    url: http://127.0.0.1:8080/\n    deadline: 90s\n  - name: db\n    kind: tcp\n    address: 127.0.0.1:5432\n", "", 2},
		{"unknown key", "checks:\n  - name: web\n    kind: http\n    uri: http://x/\n", "line 4: field uri not found", 0},
		{"unknown top key", "check:\n  - name: web\n", "field check not found", 0},
		{"wrong type", "checks:\n  - name: web\n    kind: tcp\n    deadline: soon\n", "line 4", 0},
		{"invalid check names its line", "checks:\n  - name: ok\n    kind: tcp\n    address: h:1\n  - name: bad\n    kind: http\n", `berth-checks.yaml:5: check "bad": url:`, 0},
		{"duplicate", "checks:\n  - {name: a, kind: tcp, address: 'h:1'}\n  - {name: a, kind: tcp, address: 'h:2'}\n", `check "a" is declared twice`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := ParseFile(HostChecksFile, []byte(tt.data))
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if len(specs) != tt.n {
				t.Errorf("got %d checks, want %d", len(specs), tt.n)
			}
			if tt.n > 0 && specs[0].Deadline != 90*time.Second {
				t.Errorf("got deadline %v, want 90s", specs[0].Deadline)
			}
		})
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte("checks:\n  - name: web\n    kind: http\n    url: http://127.0.0.1/\n"))
	f.Add([]byte("checks: [{name: a, kind: tcp, address: 'h:1'}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := ParseFile("f", data)
		if err != nil {
			return
		}
		for _, s := range specs {
			if s.Normalize() != nil || s.Deadline <= 0 {
				t.Errorf("ParseFile returned an invalid spec %+v", s)
			}
		}
	})
}
