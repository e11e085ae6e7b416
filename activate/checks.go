package activate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/internal/fault"
)

// Health runs the configurable checks of each attempt: preflight checks
// before anything changes, verify checks after the switch. A verify check
// that fails reverts the attempt like a failed unit does.
//
// Checks come from the agent (Checks) and from the revision itself: the
// file HostFile in the host's directory, so that a commit adding a service
// can add its check too. A host's checks run with the agent's privileges
// and within its limits (MaxDeadline): whoever can commit to the host's
// directory already decides what runs as root on it.
type Health struct {
	// Checks are the agent's own normalized checks, the built-in
	// reachability check among them.
	Checks []health.Spec
	// HostFile is the checks file's path relative to the host's directory;
	// "" ignores such files.
	HostFile string
	// MaxDeadline bounds the deadline of every host check.
	MaxDeadline time.Duration
	Env         health.Env
}

// checkPlan is what the verify phase of an attempt runs. It is saved
// beside the attempt's log, so that an agent resuming the attempt runs the
// same checks the revision declared.
type checkPlan struct {
	Verify []health.Spec `json:"verify"`
	// Baseline names checks that already failed in preflight; under the
	// baseline policy they do not count against the new system.
	Baseline []string `json:"baseline,omitempty"`
	// Resolver fingerprints the resolver files before the switch; a
	// reachability check waits for the resolver's cache only if they
	// changed.
	Resolver string `json:"resolver,omitempty"`
}

// preflightChecks reads the attempt's checks, runs its preflight checks
// and saves the verify plan. A failing preflight check blocks the attempt
// under the strict policy (Transient: the system, not the revision, is
// unhealthy); under baseline it is logged and not held against the new
// system. A bad host checks file is Stalling.
func (a *Activator) preflightChecks(ctx context.Context, req Request, r *Result) error {
	h := a.Health
	if h == nil {
		return nil
	}
	start := time.Now()
	defer r.timed(PhasePreflight, start)
	specs, err := h.specs(req.FlakeDir)
	if err != nil {
		return err
	}
	plan := checkPlan{Verify: inPhase(specs, health.PhaseVerify), Resolver: health.ResolverFingerprint()}
	failed, err := h.run(ctx, inPhase(specs, health.PhasePreflight), "preflight", req.Log)
	if err != nil {
		return err
	}
	if len(failed) > 0 && a.Policy.Strict {
		return fault.Transientf("preflight (strict): checks failed before the switch: %s", health.Describe(failed))
	}
	for _, f := range failed {
		plan.Baseline = append(plan.Baseline, f.Name)
	}
	if len(failed) > 0 {
		logf(req.Log, "checks already failing before the switch (not held against the new system): %s", strings.Join(plan.Baseline, ", "))
	}
	return savePlan(req.LogPath, plan)
}

// specs returns the agent's checks and those of the host file in flakeDir.
func (h *Health) specs(flakeDir string) ([]health.Spec, error) {
	specs := slices.Clone(h.Checks)
	if h.HostFile == "" {
		return specs, nil
	}
	data, err := os.ReadFile(filepath.Join(flakeDir, h.HostFile))
	if errors.Is(err, fs.ErrNotExist) {
		return specs, nil
	}
	if err != nil {
		return nil, fault.Transientf("read the host's checks: %w", err)
	}
	host, err := health.ParseFile(h.HostFile, data)
	if err != nil {
		return nil, fault.AsStalling(err)
	}
	for _, s := range host {
		if s.Deadline > h.MaxDeadline {
			return nil, fault.Stallingf("%s: check %q: deadline %s exceeds the agent's health.max_deadline %s", h.HostFile, s.Name, s.Deadline, h.MaxDeadline)
		}
	}
	if err := health.Unique(append(specs, host...)); err != nil {
		return nil, fault.Stallingf("%s: %w (the agent's configuration has a check of that name)", h.HostFile, err)
	}
	return append(specs, host...), nil
}

func inPhase(specs []health.Spec, phase string) []health.Spec {
	var out []health.Spec
	for _, s := range specs {
		if s.InPhase(phase) {
			out = append(out, s)
		}
	}
	return out
}

// run runs specs concurrently, logs every check's last result and
// duration, and returns the checks that never passed.
func (h *Health) run(ctx context.Context, specs []health.Spec, phase string, log io.Writer) ([]health.Result, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	probes := make([]health.Probe, 0, len(specs))
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		p, err := health.Build(s, h.Env)
		if err != nil {
			return nil, fault.Transientf("%s checks: %w", phase, err)
		}
		probes, names = append(probes, p), append(names, s.Name)
	}
	logf(log, "%s checks: %s", phase, strings.Join(names, ", "))
	results := health.RunAll(ctx, probes)
	for _, res := range results {
		logf(log, "%s check %s", phase, res)
	}
	return health.Failed(results), nil
}

// verify judges the switched system beyond its units: the verify checks
// must pass, and the dead-man switch must be disarmed before it fires. A
// dead-man switch found fired skips the checks: the system they would
// judge is the previous one again.
func (a *Activator) verify(ctx context.Context, p Progress, log io.Writer, r *Result) error {
	if a.deadManArmed(p) {
		if fired, err := a.deadManFired(ctx, p.ID); err == nil && fired {
			return a.disarmDeadMan(ctx, p, log)
		}
	}
	if err := a.verifyChecks(ctx, p, log, r); err != nil {
		return err
	}
	return a.disarmDeadMan(ctx, p, log)
}

// verifyChecks runs the attempt's verify checks. Failures are Stalling and
// name every failed check with its last output; checks that failed in
// preflight as well are logged and not counted. If ctx ends first, its
// error is returned so that the attempt counts as interrupted.
func (a *Activator) verifyChecks(ctx context.Context, p Progress, log io.Writer, r *Result) error {
	h := a.Health
	if h == nil {
		return nil
	}
	start := time.Now()
	defer r.timed(PhaseVerify, start)
	plan, err := loadPlan(p.LogPath)
	if err != nil {
		logf(log, "warning: %v; running the agent's own verify checks only", err)
		plan = checkPlan{Verify: inPhase(h.Checks, health.PhaseVerify)}
	}
	hv := *h
	if plan.Resolver != "" {
		hv.Env.ResolverChanged = func() bool { return health.ResolverFingerprint() != plan.Resolver }
	}
	failed, err := hv.run(ctx, plan.Verify, "verify", log)
	if err != nil || ctx.Err() != nil {
		return errors.Join(err, ctx.Err())
	}
	cf := &checksFailed{}
	for i, f := range failed {
		if slices.Contains(plan.Baseline, f.Name) {
			logf(log, "check %s still fails as it did before the switch; not counted", f.Name)
			continue
		}
		cf.results, cf.specs = append(cf.results, f), append(cf.specs, specNamed(plan.Verify, failed[i].Name))
	}
	if len(cf.results) > 0 {
		return fault.AsStalling(cf)
	}
	return nil
}

// checksFailed is the cause of an attempt whose verify checks failed.
type checksFailed struct {
	results []health.Result
	specs   []health.Spec
}

func (e *checksFailed) Error() string {
	return "checks failed after the switch: " + health.Describe(e.results)
}

func specNamed(specs []health.Spec, name string) health.Spec {
	for _, s := range specs {
		if s.Name == name {
			return s
		}
	}
	return health.Spec{Name: name}
}

// exonerate looks again at a revert that reachability checks alone
// caused. If the previous system cannot reach the source either, the
// source is down rather than cut off by the switch: the failure becomes
// Transient, so the revision is tried again later instead of rejected.
func (a *Activator) exonerate(ctx context.Context, r Result, log io.Writer) Result {
	var cf *checksFailed
	if r.Outcome != Reverted || a.Health == nil || !errors.As(r.Err, &cf) {
		return r
	}
	for _, s := range cf.specs {
		if s.Kind != health.KindReachability {
			return r
		}
	}
	logf(log, "checking whether the previous system reaches the source")
	still, err := a.Health.run(ctx, cf.specs, "after-revert", log)
	if err == nil && len(still) > 0 {
		r.Err = fault.Transientf("%w; the previous system cannot reach the source either, so the switch is not blamed and will be tried again", r.Err)
	}
	return r
}

func planPath(logPath string) string { return logPath + ".checks" }

func savePlan(logPath string, plan checkPlan) error {
	if logPath == "" {
		return nil
	}
	data, err := json.Marshal(plan)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(planPath(logPath), data, 0o600); err != nil {
		return fault.Transientf("save the attempt's checks: %w", err)
	}
	return nil
}

func loadPlan(logPath string) (checkPlan, error) {
	var plan checkPlan
	if logPath == "" {
		return plan, fmt.Errorf("the attempt has no log to keep its checks beside")
	}
	data, err := os.ReadFile(planPath(logPath))
	if err != nil {
		return plan, fmt.Errorf("read the attempt's checks: %w", err)
	}
	if err := json.Unmarshal(data, &plan); err != nil {
		return plan, fmt.Errorf("read the attempt's checks %s: %w", planPath(logPath), err)
	}
	return plan, nil
}

// removePlan deletes the attempt's saved checks once it has a verdict.
func removePlan(logPath string) {
	if logPath != "" {
		os.Remove(planPath(logPath))
	}
}
