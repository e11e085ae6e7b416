package health

import (
	"context"
	"fmt"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// UnitActive passes when systemd reports Unit as active, or, for a oneshot
// service, when it has run and its last run succeeded. systemd forgets a
// finished unit that nothing references (no target wants it), so such a
// oneshot needs RemainAfterExit=yes to be checked this way.
type UnitActive struct {
	CheckName string
	Conn      *sd.Conn
	Unit      string
}

func (c UnitActive) Name() string {
	if c.CheckName != "" {
		return c.CheckName
	}
	return "unit " + c.Unit
}

func (c UnitActive) Run(ctx context.Context) error {
	if c.Conn == nil {
		return fmt.Errorf("no connection to systemd")
	}
	st, err := c.Conn.ListUnitsByNamesContext(ctx, []string{c.Unit})
	if err != nil {
		return err
	}
	if len(st) == 1 && st[0].ActiveState == "active" {
		return nil
	}
	if len(st) == 1 && st[0].ActiveState == "inactive" && st[0].LoadState == "loaded" {
		ok, why, err := c.oneshotSucceeded(ctx)
		if err != nil || ok {
			return err
		}
		return fmt.Errorf("%s is %s: %s", c.Unit, unitState(st), why)
	}
	return fmt.Errorf("%s is %s", c.Unit, unitState(st))
}

// oneshotSucceeded reports whether Unit is a oneshot service that ran and
// whose last run succeeded: such a unit is inactive once done (a failed
// one is "failed"), unless it has RemainAfterExit. A unit that has left
// the inactive state at some point has been started. Otherwise it says
// why not.
func (c UnitActive) oneshotSucceeded(ctx context.Context) (bool, string, error) {
	typ, err := c.Conn.GetUnitTypePropertyContext(ctx, c.Unit, "Service", "Type")
	if err != nil {
		return false, "not a service", nil
	}
	result, err := c.Conn.GetUnitTypePropertyContext(ctx, c.Unit, "Service", "Result")
	if err != nil {
		return false, "", err
	}
	started, err := c.Conn.GetUnitPropertyContext(ctx, c.Unit, "InactiveExitTimestampMonotonic")
	if err != nil {
		return false, "", err
	}
	ts, _ := started.Value.Value().(uint64)
	kind, res := fmt.Sprint(typ.Value.Value()), fmt.Sprint(result.Value.Value())
	switch {
	case kind != "oneshot":
		return false, "a " + kind + " service", nil
	case ts == 0:
		return false, "a oneshot that has not run (or that systemd forgot: nothing references it)", nil
	case res != "success":
		return false, "a oneshot whose last run ended with " + res, nil
	}
	return true, "", nil
}

func unitState(st []sd.UnitStatus) string {
	if len(st) != 1 {
		return "unknown"
	}
	return fmt.Sprintf("%s (%s, %s)", st[0].ActiveState, st[0].SubState, st[0].LoadState)
}
