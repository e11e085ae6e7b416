package reconciler

import (
	"os"
	"strings"
)

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o600) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
