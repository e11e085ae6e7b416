package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
)

// generationNumbers lists the system profile's generation numbers.
func (f *fleetHost) generationNumbers() []int {
	f.t.Helper()
	out := f.h.Run(f.t, "sh", "-c", "cd /nix/var/nix/profiles && ls -d system-*-link")
	var nums []int
	for _, name := range strings.Fields(out) {
		var n int
		if _, err := fmt.Sscanf(name, "system-%d-link", &n); err == nil {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	return nums
}

// triggered counts the attempts in berth history with the given trigger
// and result. (Attempt ids order history only to the second: two
// reconciles in one second may list in either order.)
func (f *fleetHost) triggered(trigger, result string) int {
	f.t.Helper()
	out, code := f.berth("history", "--json")
	var atts []struct{ Trigger, Result string }
	if code != 0 || json.Unmarshal([]byte(out), &atts) != nil {
		f.t.Fatalf("berth history --json: exit %d\n%s", code, out)
	}
	n := 0
	for _, a := range atts {
		if a.Trigger == trigger && a.Result == result {
			n++
		}
	}
	return n
}

// exists reports whether p exists in the host.
func (f *fleetHost) exists(p string) bool {
	_, err := f.h.Exec(f.t.Context(), "test", "-e", p)
	return err == nil
}

// TestRetention: with retention.generations 2, four deployments leave the
// two newest generations and the booted one, the boot entry on the
// running system, no candidate root, and, with gc_min_free above the free
// space, the dropped systems collected from the store.
func TestRetention(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "retention:\n  generations: 2\n  gc_min_free: 1000000000000000\n")
	var systems []string
	for i := range 4 {
		h := alphaV1()
		h.Units[fmt.Sprintf("v%d.service", i)] = fixture.SleepService(fmt.Sprintf("v%d", i))
		f.push(h, fmt.Sprintf("alpha: v%d", i))
		f.run(0)
		systems = append(systems, f.system().current)
	}
	s := f.system()
	if s.current != systems[3] || s.profile != s.current || s.boot != s.current {
		t.Fatalf("got %+v, want the last system running, in the profile and booted", s)
	}
	// Generation 1 is the installed base system the host booted.
	if got, want := f.generationNumbers(), []int{1, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("generations: got %v, want %v (booted + newest 2)", got, want)
	}
	if f.exists("/nix/var/nix/gcroots/berth/candidate") {
		t.Errorf("the candidate root is still there after the attempt ended")
	}
	if got := f.readlink("/nix/var/nix/gcroots/berth/last-good"); got != s.current {
		t.Errorf("last-good root: got %q, want %q", got, s.current)
	}
	if f.exists(systems[0]) || f.exists(systems[1]) {
		t.Errorf("dropped systems %s, %s still in the store after garbage collection", systems[0], systems[1])
	}
	if !f.exists(systems[2]) || !f.exists(f.base) {
		t.Errorf("kept systems missing from the store")
	}
}

// driftState is the drift part of berth status --json and report.json.
type driftState struct {
	Running, Applied string
}

func (f *fleetHost) drift() (status, report *driftState) {
	f.t.Helper()
	out, _ := f.berth("status", "--json")
	var s struct {
		State  struct{ Drift *driftState }
		Report *struct{ Drift *driftState }
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		f.t.Fatalf("berth status --json: %v\n%s", err, out)
	}
	if s.Report != nil {
		report = s.Report.Drift
	}
	return s.State.Drift, report
}

// TestDrift: after a manual rollback (nix-env --rollback and the older
// system's switch-to-configuration switch, as nixos-rebuild switch
// --rollback does), a poll shows the drift in status and the report and,
// with drift.policy report, leaves the older system running; with
// reapply the next poll applies the branch again.
func TestDrift(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "")
	f.run(0)
	good := f.system()
	f.h.Run(t, "nix-env", "-p", fixture.SystemProfile, "--rollback")
	f.h.Run(t, "sh", "-c", fixture.SystemProfile+"/bin/switch-to-configuration switch")
	if s := f.system(); s.current != f.base || s.boot != f.base {
		t.Fatalf("manual rollback: got %+v, want the base system %s running and booted", s, f.base)
	}
	out := f.run(3)
	st, rep := f.drift()
	if st == nil || st.Running != f.base || st.Applied != good.current {
		t.Fatalf("status drift: got %+v, want running %s, applied %s\n%s", st, f.base, good.current, out)
	}
	if rep == nil || rep.Running != f.base {
		t.Errorf("report drift: got %+v, want running %s", rep, f.base)
	}
	if txt := f.statusText(); !strings.Contains(txt, "drift") || !strings.Contains(txt, f.base) {
		t.Errorf("berth status does not show the drift:\n%s", txt)
	}
	if s := f.system(); s.current != f.base {
		t.Errorf("policy report changed the running system: %+v", s)
	}
	f.extra = "drift:\n  policy: reapply\n"
	f.write("/etc/berth/config.yaml", f.config(), 0o600)
	f.run(0)
	if s := f.system(); s != good {
		t.Errorf("after reapply: got %+v, want %+v", s, good)
	}
	if !f.active("hello.service") {
		t.Errorf("hello.service not running after reapply")
	}
	if st, rep := f.drift(); st != nil || rep != nil {
		t.Errorf("drift still shown after reapply: status %+v, report %+v", st, rep)
	}
}

// rollbackState is the rollback part of berth status --json.
type rollbackState struct {
	State struct {
		RolledBack *struct {
			System     string
			Generation int
		} `json:"rolled_back"`
	}
	Paused *struct{ By, Revision string }
	Report *struct {
		RolledBack *struct{ System string } `json:"rolled_back"`
		Attempt    *struct{ Result, Trigger string }
	}
}

func (f *fleetHost) rollbackState() rollbackState {
	f.t.Helper()
	out, _ := f.berth("status", "--json")
	var s rollbackState
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		f.t.Fatalf("berth status --json: %v\n%s", err, out)
	}
	return s
}

// TestRollback: berth rollback goes back to the previous system, berth
// rollback N to generation N; each becomes the boot default, is recorded
// in history, status and the report, and pauses the agent. The agent
// started afterwards holds while the branch stays, and applies the branch
// once it moves.
func TestRollback(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "")
	f.run(0)
	v1 := f.system()
	v2h := alphaV1()
	v2h.Units["second.service"] = fixture.SleepService("second")
	f.push(v2h, "alpha: v2")
	f.run(0)
	if got := f.generationNumbers(); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("generations before the rollback: got %v, want [1 2 3]", got)
	}

	out, code := f.berth("rollback")
	if code != 0 || !strings.Contains(out, "rolled back to "+v1.current) {
		t.Fatalf("berth rollback: exit %d\n%s", code, out)
	}
	if s := f.system(); s != v1 {
		t.Errorf("after berth rollback: got %+v, want %+v running, in the profile and booted", s, v1)
	}
	if f.active("second.service") {
		t.Errorf("second.service still runs after the rollback")
	}
	rs := f.rollbackState()
	if rb := rs.State.RolledBack; rb == nil || rb.System != v1.current || rb.Generation != 2 {
		t.Errorf("status rolled_back: got %+v, want %s, generation 2", rb, v1.current)
	}
	if rs.Paused == nil || rs.Paused.By != "berth rollback" || rs.Paused.Revision == "" {
		t.Errorf("status paused: got %+v, want a pause by berth rollback until the branch moves", rs.Paused)
	}
	if r := rs.Report; r == nil || r.RolledBack == nil || r.Attempt == nil || r.Attempt.Result != "rolled-back" || r.Attempt.Trigger != "rollback" {
		t.Errorf("report: got %+v, want the rollback", r)
	}
	if n := f.triggered("rollback", "rolled-back"); n != 1 {
		t.Errorf("history has %d rolled-back attempts triggered by rollback, want 1", n)
	}

	out, code = f.berth("rollback", "1")
	if code != 0 {
		t.Fatalf("berth rollback 1: exit %d\n%s", code, out)
	}
	if s := f.system(); s.current != f.base || s.profile != f.base || s.boot != f.base {
		t.Errorf("after berth rollback 1: got %+v, want the base system %s", s, f.base)
	}
	if out, err := f.h.Exec(t.Context(), "berth", "rollback", "99"); err == nil || !strings.Contains(err.Error(), "generation 99 of /nix/var/nix/profiles/system does not exist") {
		t.Errorf("berth rollback 99: got %v, want a refusal naming the generation\n%s", err, out)
	}
	if s := f.system(); s.current != f.base {
		t.Errorf("a refused rollback changed the running system to %s", s.current)
	}

	f.h.InstallBerth(t, berthBinary(t), []byte(f.config()))
	time.Sleep(5 * time.Second)
	if out, code := f.berth("trigger"); code == 0 {
		t.Errorf("berth trigger while the branch stays: exit 0, want the pause to refuse\n%s", out)
	}
	if s := f.system(); s.current != f.base {
		t.Fatalf("the agent left the rollback's pause with the branch unchanged: running %s", s.current)
	}
	v3h := alphaV1()
	v3h.Units["third.service"] = fixture.SleepService("third")
	c3 := f.push(v3h, "alpha: v3")
	if out, code := f.berth("trigger"); code != 0 {
		t.Fatalf("berth trigger after the branch moved: exit %d\n%s", code, out)
	}
	f.waitFor("the moved branch applied", 2*time.Minute, func() bool { return f.appliedCommit() == c3 && f.status().State.InProgress == nil })
	if s := f.system(); s.current != s.profile || !f.active("third.service") {
		t.Errorf("after the branch moved: got %+v, want v3 running and promoted", s)
	}
	if rs := f.rollbackState(); rs.State.RolledBack != nil || rs.Paused != nil {
		t.Errorf("after the branch moved: rolled_back %+v, paused %+v; want both gone", rs.State.RolledBack, rs.Paused)
	}
}

// asUser runs berth inside the host as user (with its groups) and returns
// its combined output and whether it succeeded.
func (f *fleetHost) asUser(user string, args ...string) (string, bool) {
	f.t.Helper()
	cmd := append([]string{"setpriv", "--reuid", user, "--regid", user, "--init-groups", "/usr/local/bin/berth"}, args...)
	out, err := f.h.Exec(f.t.Context(), cmd...)
	if err != nil {
		return string(out) + err.Error(), false
	}
	return string(out), true
}

// TestPostpone: a member of the berth group postpones the update through
// the control socket; the agent holds a new commit across a restart; a
// second postpone (by the same or another member) is refused; root's
// resume lets the commit through.
func TestPostpone(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "control:\n  postpone_max: 2h\n")
	f.h.Run(t, "groupadd", "berth")
	f.h.Run(t, "useradd", "-G", "berth", "alice")
	f.h.Run(t, "useradd", "-G", "berth", "bob")
	f.h.Run(t, "useradd", "carol")
	f.startAgent(f.config())
	c1 := f.appliedCommit()

	if out, ok := f.asUser("alice", "postpone", "--for", "3h"); ok || !strings.Contains(out, "longer than this host allows") {
		t.Errorf("postpone beyond control.postpone_max: ok %v\n%s", ok, out)
	}
	if out, ok := f.asUser("carol", "postpone"); ok {
		t.Errorf("a user outside the group postponed:\n%s", out)
	}
	out, ok := f.asUser("alice", "postpone", "--for", "1h")
	if !ok || !strings.Contains(out, "update postponed until") {
		t.Fatalf("alice's postpone: ok %v\n%s", ok, out)
	}
	if txt := f.statusText(); !strings.Contains(txt, "postponed") || !strings.Contains(txt, "alice") {
		t.Errorf("berth status does not show alice's postpone:\n%s", txt)
	}
	v2 := alphaV1()
	v2.Units["second.service"] = fixture.SleepService("second")
	c2 := f.push(v2, "alpha: v2")
	f.h.Run(t, "systemctl", "restart", "berth.service")
	time.Sleep(5 * time.Second)
	if got := f.appliedCommit(); got != c1 || f.active("second.service") {
		t.Fatalf("applied %s during the postpone, want %s still", got, c1)
	}
	for _, who := range []string{"alice", "bob"} {
		if out, ok := f.asUser(who, "postpone", "--for", "1h"); ok || !strings.Contains(out, "already held") {
			t.Errorf("%s's second postpone: ok %v, want a refusal\n%s", who, ok, out)
		}
	}
	if out, code := f.berth("resume"); code != 0 {
		t.Fatalf("berth resume: exit %d\n%s", code, out)
	}
	f.waitFor("the held commit applied after resume", 2*time.Minute, func() bool {
		return f.appliedCommit() == c2 && f.status().State.InProgress == nil
	})
	if !f.active("second.service") {
		t.Errorf("second.service not running after the resume")
	}
}

// TestQuietBuild: the host's system is built inside a transient scope
// carrying the configured CPU and IO weights, memory cap and nice level,
// as the builder itself saw them.
func TestQuietBuild(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "nix:\n  quiet:\n    cpu_weight: 7\n    io_weight: 9\n    nice: 12\n    memory_max: 2000000000\n")
	h := alphaV1()
	h.BuildProbe = true
	f.push(h, "alpha: probe the build")
	f.run(0)
	env := f.h.Run(t, "cat", f.system().current+"/build-env")
	for _, want := range []string{"nice=12\n", "CPUWeight=7\n", "IOWeight=9\n", "MemoryMax=2000000000\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("build-env lacks %q:\n%s", want, env)
		}
	}
	if !strings.Contains(env, "Id=berth-nix-") || !strings.Contains(env, ".scope") {
		t.Errorf("the build did not run in berth's scope:\n%s", env)
	}
}

// pendingState is the boot-only part of berth status --json.
type pendingState struct {
	State struct {
		PendingBoot *struct{ System, Previous, Why string } `json:"pending_boot"`
		Rejected    *struct{ Reason string }
	}
	Reboot *struct {
		Needed bool
		Why    []string
	}
	Report *struct {
		PendingBoot *struct{ System string } `json:"pending_boot"`
		Attempt     *struct {
			BootOnly string `json:"boot_only"`
		}
	}
}

func (f *fleetHost) pending() pendingState {
	f.t.Helper()
	out, _ := f.berth("status", "--json")
	var s pendingState
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		f.t.Fatalf("berth status --json: %v\n%s", err, out)
	}
	return s
}

func withInhibitors(h fixture.Host, systemd string, unit string) fixture.Host {
	h.Inhibitors = map[string]string{"systemd": systemd, "dbus": "dbus-1"}
	if unit != "" {
		h.Units[unit] = fixture.SleepService(unit)
	}
	return h
}

// TestSwitchInhibitors: a commit that changes the systemd inhibitor is
// refused a live switch by switch-to-configuration, so berth installs it
// for the next boot only: the profile and boot entry point at it, the
// old system keeps running, and status, history and the report say why
// and that a reboot is needed. With activation.inhibitors hold the next
// such commit is rejected with nothing changed.
func TestSwitchInhibitors(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, withInhibitors(alphaV1(), "systemd-255", ""), "")
	f.run(0)
	v1 := f.system()
	f.push(withInhibitors(alphaV1(), "systemd-256", "second.service"), "alpha: new systemd")
	out := f.run(0)
	s := f.system()
	if s.current != v1.current || s.profile == v1.current || s.boot != s.profile {
		t.Fatalf("got %+v, want %s running and the new system in the profile and boot entry\n%s", s, v1.current, out)
	}
	if f.active("second.service") {
		t.Errorf("second.service runs: the inhibited system was switched to live")
	}
	if _, err := f.h.Exec(t.Context(), s.profile+"/bin/switch-to-configuration", "test"); err == nil || !strings.Contains(err.Error(), "There are changes to critical components of the system: systemd") {
		t.Errorf("the fixture's switch-to-configuration test did not refuse the inhibited system: %v", err)
	}
	p := f.pending()
	if pb := p.State.PendingBoot; pb == nil || pb.System != s.profile || pb.Previous != v1.current || !strings.Contains(pb.Why, "switch inhibitors changed: systemd") {
		t.Errorf("status pending_boot: got %+v", pb)
	}
	if p.Reboot == nil || !p.Reboot.Needed || !strings.Contains(strings.Join(p.Reboot.Why, " "), "systemd") {
		t.Errorf("status reboot: got %+v, want needed because of the inhibitor", p.Reboot)
	}
	if r := p.Report; r == nil || r.PendingBoot == nil || r.Attempt == nil || !strings.Contains(r.Attempt.BootOnly, "systemd") {
		t.Errorf("report: got %+v, want the boot-only attempt", r)
	}
	if txt := f.statusText(); !strings.Contains(txt, "boot only") {
		t.Errorf("berth status does not say the system runs after the next reboot:\n%s", txt)
	}
	if st, _ := f.drift(); st != nil {
		t.Errorf("a system waiting for its reboot is reported as drift: %+v", st)
	}

	f.write("/etc/berth/config.yaml", strings.Replace(f.config(), "activation:\n", "activation:\n  inhibitors: hold\n", 1), 0o600)
	f.push(withInhibitors(alphaV1(), "systemd-257", "third.service"), "alpha: newer systemd")
	f.run(1)
	if got := f.system(); got != s {
		t.Errorf("hold changed the machine: got %+v, want %+v", got, s)
	}
	if r := f.pending().State.Rejected; r == nil || !strings.Contains(r.Reason, "activation.inhibitors is hold") {
		t.Errorf("rejected: got %+v, want the hold named", r)
	}
}

// bootDefault does what a reboot into the boot entry does to the test
// host's fake NixOS: the entry's system is activated as on a fresh boot
// (no running system to keep, so no inhibitor check) and becomes
// /run/booted-system; units failed before it are forgotten, as a boot
// starts afresh. The container itself is not restarted.
func (f *fleetHost) bootDefault() {
	f.t.Helper()
	f.h.Run(f.t, "systemctl", "reset-failed")
	entry := strings.TrimSpace(f.h.Run(f.t, "cat", fixture.BootEntry))
	f.h.Exec(f.t.Context(), "env", "NIXOS_NO_CHECK=1", entry+"/bin/switch-to-configuration", "test")
	f.h.Run(f.t, "ln", "-sfn", entry, "/run/booted-system")
}

// TestVerifyAfterReboot: a system installed for the next boot only is
// verified by the first reconcile after the machine booted it: a good one
// stays and is recorded; one whose unit fails after the reboot is
// reverted, and the previous system becomes the boot default again.
func TestVerifyAfterReboot(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, withInhibitors(alphaV1(), "systemd-255", ""), "")
	f.run(0)
	f.push(withInhibitors(alphaV1(), "systemd-256", "second.service"), "alpha: new systemd")
	f.run(0)
	v2 := f.system().profile
	f.bootDefault()
	f.run(0)
	s := f.system()
	if s.current != v2 || s.profile != v2 || s.boot != v2 || !f.active("second.service") {
		t.Fatalf("after the reboot into v2: got %+v, want %s running, in the profile and booted", s, v2)
	}
	p := f.pending()
	if p.State.PendingBoot != nil || (p.Reboot != nil && p.Reboot.Needed) {
		t.Errorf("after the verified reboot: pending_boot %+v, reboot %+v; want neither", p.State.PendingBoot, p.Reboot)
	}
	if n := f.triggered("boot", "applied"); n != 1 {
		t.Errorf("history has %d applied attempts triggered by boot, want the verification", n)
	}

	bad := withInhibitors(alphaV1(), "systemd-257", "second.service")
	bad.Units["broken.service"] = fixture.FailingService("broken")
	f.push(bad, "alpha: newer systemd, broken unit")
	f.run(0)
	v3 := f.system().profile
	if v3 == v2 {
		t.Fatalf("the broken system was not installed for the next boot")
	}
	f.bootDefault()
	f.run(4)
	// The way back crosses the systemd inhibitor as well: v2 is the boot
	// default again and runs after the next reboot.
	s = f.system()
	if s.current != v3 || s.profile != v2 || s.boot != v2 {
		t.Errorf("after the failed verification: got %+v, want v3 running until the reboot, %s in the profile and booted", s, v2)
	}
	st := f.status().State
	if st.Applied == nil || st.Applied.Toplevel != v2 {
		t.Errorf("state applied: got %+v, want %s", st.Applied, v2)
	}
	if st.Rejected == nil || !strings.Contains(st.Rejected.Reason, "broken.service") {
		t.Errorf("state rejected: got %+v, want broken.service named", st.Rejected)
	}
	p = f.pending()
	if pb := p.State.PendingBoot; pb == nil || pb.System != v2 || !strings.Contains(pb.Why, "reverted for the next boot") {
		t.Errorf("pending_boot after the failed verification: got %+v, want v2 for the next boot", pb)
	}
	if p.Reboot == nil || !p.Reboot.Needed {
		t.Errorf("status reboot: got %+v, want needed", p.Reboot)
	}
	if n := f.triggered("boot", "reverted"); n != 1 {
		t.Errorf("history has %d reverted attempts triggered by boot, want the failed verification", n)
	}
	f.bootDefault()
	f.run(0)
	if s := f.system(); s.current != v2 || s.profile != v2 || s.boot != v2 {
		t.Errorf("after the reboot back: got %+v, want %s", s, v2)
	}
	if st := f.status().State; st.Rejected == nil || st.Applied == nil || st.Applied.Toplevel != v2 {
		t.Errorf("after the reboot back: applied %+v, rejected %+v; want v2 applied and the broken revision still rejected", st.Applied, st.Rejected)
	}
	f.run(3)
	if s := f.system(); s.profile != v2 {
		t.Errorf("the rejected revision was installed again: profile %s", s.profile)
	}
}
