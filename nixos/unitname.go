package nixos

import (
	"fmt"
	"strings"
)

// maxUnitName is systemd's limit on a unit name's length.
const maxUnitName = 255

// CheckUnitName accepts names of service units made of the characters
// systemd allows in unit names, less '@' and '\' (berth's transient units
// are neither template instances nor escaped paths).
func CheckUnitName(name string) error {
	prefix, ok := strings.CutSuffix(name, ".service")
	if !ok || prefix == "" {
		return fmt.Errorf("unit name %q: want <name>.service", name)
	}
	if len(name) > maxUnitName {
		return fmt.Errorf("unit name %q: longer than %d characters", name, maxUnitName)
	}
	for _, c := range prefix {
		if !isAlnum(c) && !strings.ContainsRune(":-_.", c) {
			return fmt.Errorf("unit name %q: character %q not allowed", name, c)
		}
	}
	return nil
}
