package health

import (
	"context"
	"fmt"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// UnitActive passes when systemd reports Unit as active, or, for a oneshot
// service, when it has run and its last run succeeded.
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
		if ok, err := c.oneshotSucceeded(ctx); err != nil || ok {
			return err
		}
	}
	return fmt.Errorf("%s is %s", c.Unit, unitState(st))
}

// oneshotSucceeded reports whether Unit is a oneshot service that ran and
// exited successfully: such a unit is inactive once done, unless it has
// RemainAfterExit.
func (c UnitActive) oneshotSucceeded(ctx context.Context) (bool, error) {
	props, err := c.Conn.GetUnitTypePropertiesContext(ctx, c.Unit, "Service")
	if err != nil {
		return false, nil // not a service
	}
	typ, _ := props["Type"].(string)
	result, _ := props["Result"].(string)
	exited, _ := props["ExecMainExitTimestampMonotonic"].(uint64)
	status, _ := props["ExecMainStatus"].(int32)
	return typ == "oneshot" && result == "success" && exited > 0 && status == 0, nil
}

func unitState(st []sd.UnitStatus) string {
	if len(st) != 1 {
		return "unknown"
	}
	return fmt.Sprintf("%s (%s, %s)", st[0].ActiveState, st[0].SubState, st[0].LoadState)
}
