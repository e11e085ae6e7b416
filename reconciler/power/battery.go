package power

import "strings"

// OnBattery judges supplies: the machine runs on battery when one of its
// own batteries is present and either it reports Discharging, or there are
// chargers (Mains or USB) and none of them is online. Batteries of
// peripherals (scope Device) are ignored. The reason names the supply and
// its charge, for status and logs; it is empty when not on battery.
func OnBattery(supplies []Supply) (bool, string) {
	var bats []Supply
	chargers, online := 0, false
	for _, s := range supplies {
		switch {
		case s.Type == "Battery" && s.Present && s.Scope != "Device":
			bats = append(bats, s)
		case s.Type == "Mains" || s.Type == "USB":
			chargers++
			online = online || s.Online == "1"
		}
	}
	if len(bats) == 0 {
		return false, ""
	}
	for _, b := range bats {
		if b.Status == "Discharging" {
			return true, "on battery: " + describe(b) + " discharging"
		}
	}
	if chargers > 0 && !online {
		return true, "on battery: no charger online (" + describe(bats[0]) + ")"
	}
	return false, ""
}

func describe(b Supply) string {
	if b.Capacity == "" {
		return b.Name
	}
	return b.Name + " at " + strings.TrimSuffix(b.Capacity, "%") + "%"
}

// Deferral answers whether reconciles should wait because the machine runs
// on battery, reading the supplies under root each time it is called. An
// unreadable power supply class never defers: a machine whose power
// cannot be judged must still receive its configuration.
func Deferral(root string) func() (bool, string) {
	return func() (bool, string) {
		s, err := Read(root)
		if err != nil {
			return false, ""
		}
		return OnBattery(s)
	}
}
