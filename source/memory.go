package source

import (
	"os"
	"runtime/debug"
)

// DefaultMemoryLimit is the Go runtime's soft memory limit that
// LimitMemory sets for the agent: well above its steady use (about 10 MB),
// low enough that the garbage collector works harder before the heap of a
// large fetch grows the process further.
const DefaultMemoryLimit = 32 << 20

// LimitMemory sets DefaultMemoryLimit unless GOMEMLIMIT names a limit.
func LimitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
}

// ReturnMemory hands the memory freed by large work (a fetch that
// downloaded objects or files) back to the system at once. The runtime
// would otherwise keep it for minutes, and the agent idles between
// polls: its resident memory would stay at the fetch's peak.
func ReturnMemory() { debug.FreeOSMemory() }
