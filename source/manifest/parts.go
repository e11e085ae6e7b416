package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// PartsName is the file beside the manifest that lists the manifest's
// parts, so that an agent holding the previous manifest reads only the
// parts that changed: a publish that changes one file of a 2,000-file tree
// changes one or two parts of about 3 KB, where the whole manifest is
// about 350 KB. Publishers write it after the manifest, before the
// revision file.
const PartsName = "manifest.parts"

// MaxPartsSize bounds what an agent reads of the parts file.
const MaxPartsSize = 4 << 20

// Part is one byte range of an encoded manifest.
type Part struct {
	Offset, Length int64
	SHA256         string // lowercase hex
}

// Parts cuts an encoded manifest into parts. The cuts depend on the
// content only, never on offsets: a part ends after a line holding a file
// hash that starts with "0" (one file in 16), so a change to one entry
// changes the part holding it (and at most its neighbour), and the others
// keep their hashes wherever they now start.
func Parts(data []byte) []Part {
	var parts []Part
	start := 0
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos + 1
		}
		line := bytes.TrimSpace(data[pos:end])
		pos = end
		if bytes.HasPrefix(line, []byte(`"sha256": "0`)) || pos == len(data) {
			sum := sha256.Sum256(data[start:pos])
			parts = append(parts, Part{Offset: int64(start), Length: int64(pos - start), SHA256: hex.EncodeToString(sum[:])})
			start = pos
		}
	}
	return parts
}

// PartsFile is the parts file of an encoded manifest: a line with the
// whole manifest's sha256 and size, then "offset length sha256" per part.
func PartsFile(data []byte) []byte {
	var b bytes.Buffer
	sum := sha256.Sum256(data)
	fmt.Fprintf(&b, "%x %d\n", sum, len(data))
	for _, p := range Parts(data) {
		fmt.Fprintf(&b, "%d %d %s\n", p.Offset, p.Length, p.SHA256)
	}
	return b.Bytes()
}

// ParsePartsFile reads a parts file: the manifest's sha256 and size and
// its parts, which must cover it exactly, in order.
func ParsePartsFile(data []byte) (sum string, size int64, parts []Part, err error) {
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if _, err := fmt.Sscanf(lines[0], "%64s %d", &sum, &size); err != nil || !isHex64(sum) {
		return "", 0, nil, fmt.Errorf("%s: bad first line %q", PartsName, lines[0])
	}
	var next int64
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 3 {
			return "", 0, nil, fmt.Errorf("%s: line %d: want offset, length and sha256", PartsName, i+2)
		}
		off, err1 := strconv.ParseInt(f[0], 10, 64)
		n, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || off != next || n <= 0 || !isHex64(f[2]) {
			return "", 0, nil, fmt.Errorf("%s: line %d: bad part %q", PartsName, i+2, l)
		}
		parts = append(parts, Part{Offset: off, Length: n, SHA256: f[2]})
		next = off + n
	}
	if next != size {
		return "", 0, nil, fmt.Errorf("%s: parts cover %d bytes, the manifest has %d", PartsName, next, size)
	}
	return sum, size, parts, nil
}

func isHex64(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 64 && err == nil && strings.ToLower(s) == s
}
