package manifest

import (
	"regexp"
	"strings"
)

// RevisionName is the small file beside the manifest that holds only the
// manifest's Revision. Agents poll it instead of the manifest, whose size
// grows with the tree; publishers write it right after the manifest.
const RevisionName = "revision"

// MaxRevisionSize bounds what an agent reads of the revision file.
const MaxRevisionSize = 128

var revisionRE = regexp.MustCompile(`^sftp@(sha256:[0-9a-f]{64}|refused:[0-9]{1,19})$`)

// RevisionFile is the content of the revision file for m.
func RevisionFile(m *Manifest) []byte { return []byte(m.Revision() + "\n") }

// ParseRevisionFile returns the revision a revision file holds, and false
// when it holds anything else (the reader then falls back to the
// manifest).
func ParseRevisionFile(data []byte) (string, bool) {
	rev := strings.TrimSuffix(string(data), "\n")
	return rev, revisionRE.MatchString(rev)
}
