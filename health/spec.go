package health

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"time"
)

// Check kinds a Spec can name.
const (
	KindCommand      = "command"
	KindHTTP         = "http"
	KindTCP          = "tcp"
	KindUnit         = "unit"
	KindReachability = "reachability"
)

// Phases a Spec can run in.
const (
	// PhaseVerify runs after switch-to-configuration test; a failure
	// reverts the attempt.
	PhaseVerify = "verify"
	// PhasePreflight runs before anything changes; the system must be
	// healthy before it is touched.
	PhasePreflight = "preflight"
	// PhaseBoth runs in both phases.
	PhaseBoth = "both"
)

// Defaults of a Spec's limits.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultInterval = 2 * time.Second
	DefaultDeadline = time.Minute
	DefaultStatus   = "200-399"
)

// Spec declares one check, as written in the agent's configuration or in
// a host's checks file. Only the fields of its Kind may be set.
type Spec struct {
	Name  string `yaml:"name" json:"name"`
	Kind  string `yaml:"kind" json:"kind"`
	Phase string `yaml:"phase,omitempty" json:"phase,omitempty"`
	// Command is the argv of a command check; it passes on exit status 0.
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	// User runs a command check as this account instead of the agent's.
	User string `yaml:"user,omitempty" json:"user,omitempty"`
	// URL, Status, Body and Insecure configure an http check: a GET of URL
	// must answer with a status in Status ("200-299,304") and, if Body is
	// set, a body containing it. TLS certificates are verified unless
	// Insecure is set.
	URL      string `yaml:"url,omitempty" json:"url,omitempty"`
	Status   string `yaml:"status,omitempty" json:"status,omitempty"`
	Body     string `yaml:"body,omitempty" json:"body,omitempty"`
	Insecure bool   `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	// Address is host:port for a tcp check.
	Address string `yaml:"address,omitempty" json:"address,omitempty"`
	// Unit is the systemd unit of a unit check.
	Unit string `yaml:"unit,omitempty" json:"unit,omitempty"`
	// Timeout bounds one attempt; Interval separates attempts; Deadline
	// ends the retries, counted from the start of the phase.
	Timeout  time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	Interval time.Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	Deadline time.Duration `yaml:"deadline,omitempty" json:"deadline,omitempty"`
}

var checkName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// InPhase reports whether s runs in phase (PhaseVerify or PhasePreflight).
func (s Spec) InPhase(phase string) bool {
	return s.Phase == phase || s.Phase == PhaseBoth
}

// Normalize fills in the defaults of s and returns an error naming the
// first field that is wrong; the caller adds where s came from.
func (s *Spec) Normalize() error {
	if !checkName.MatchString(s.Name) {
		return fmt.Errorf("name: %q is not a valid check name (letters, digits, _ . : -, up to 64)", s.Name)
	}
	s.defaults()
	if err := s.checkLimits(); err != nil {
		return err
	}
	switch s.Phase {
	case PhaseVerify, PhasePreflight, PhaseBoth:
	default:
		return fmt.Errorf("phase: must be verify, preflight or both, got %q", s.Phase)
	}
	if s.Kind == KindReachability && s.Phase != PhaseVerify {
		return fmt.Errorf("phase: a reachability check runs in verify only")
	}
	if s.Kind == KindReachability && s.Deadline < ResolverCacheAge+s.Timeout {
		return fmt.Errorf("deadline: a reachability check's first poll waits %s for the resolver; the deadline must be at least that plus the timeout (%s)", ResolverCacheAge, ResolverCacheAge+s.Timeout)
	}
	return s.checkKind()
}

func (s *Spec) defaults() {
	if s.Phase == "" {
		s.Phase = PhaseVerify
	}
	if s.Deadline == 0 {
		s.Deadline = DefaultDeadline
	}
	if s.Timeout == 0 {
		s.Timeout = min(DefaultTimeout, s.Deadline)
	}
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.Kind == KindHTTP && s.Status == "" {
		s.Status = DefaultStatus
	}
}

func (s *Spec) checkLimits() error {
	switch {
	case s.Timeout < 0:
		return fmt.Errorf("timeout: must be positive")
	case s.Interval < 0:
		return fmt.Errorf("interval: must be positive")
	case s.Deadline < 0:
		return fmt.Errorf("deadline: must be positive")
	case s.Timeout > s.Deadline:
		return fmt.Errorf("timeout: %s is longer than the deadline %s", s.Timeout, s.Deadline)
	}
	return nil
}

// checkKind checks that the fields of s's kind are set and no others.
func (s *Spec) checkKind() error {
	if err := s.onlyFieldsOf(s.Kind); err != nil {
		return err
	}
	switch s.Kind {
	case KindCommand:
		if len(s.Command) == 0 || s.Command[0] == "" {
			return fmt.Errorf("command: is required for a command check")
		}
		if !filepath.IsAbs(s.Command[0]) {
			return fmt.Errorf("command: %q: the program must be an absolute path", s.Command[0])
		}
	case KindHTTP:
		return s.checkHTTP()
	case KindTCP:
		if s.Address == "" {
			return fmt.Errorf("address: host:port is required for a tcp check")
		}
	case KindUnit:
		if s.Unit == "" {
			return fmt.Errorf("unit: is required for a unit check")
		}
	case KindReachability:
	default:
		return fmt.Errorf("kind: must be command, http, tcp, unit or reachability, got %q", s.Kind)
	}
	return nil
}

func (s *Spec) checkHTTP() error {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url: want an http:// or https:// URL, got %q", s.URL)
	}
	if _, err := parseStatus(s.Status); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return nil
}

// onlyFieldsOf rejects fields that belong to another kind, so that a
// misplaced key is an error rather than silently ignored.
func (s *Spec) onlyFieldsOf(kind string) error {
	set := map[string]bool{
		"command": len(s.Command) > 0, "user": s.User != "",
		"url": s.URL != "", "body": s.Body != "", "insecure_skip_verify": s.Insecure,
		"status":  s.Status != "" && kind != KindHTTP,
		"address": s.Address != "", "unit": s.Unit != "",
	}
	allowed := map[string][]string{
		KindCommand: {"command", "user"},
		KindHTTP:    {"url", "status", "body", "insecure_skip_verify"},
		KindTCP:     {"address"},
		KindUnit:    {"unit"},
	}
	for _, k := range allowed[kind] {
		delete(set, k)
	}
	for _, k := range []string{"command", "user", "url", "status", "body", "insecure_skip_verify", "address", "unit"} {
		if set[k] {
			return fmt.Errorf("%s: not used by a %s check", k, kind)
		}
	}
	return nil
}
