package reconciler

import (
	"bytes"
	"encoding/json"
	"os"
	"sync"
	"time"

	"github.com/berth-nix/berth/internal/atomicfile"
)

// HeartbeatEvery bounds how old the last-poll time in state.json and
// report.json may grow before it is written. A poll that finds nothing
// new changes only that time (and the time of the no-op it records), so
// the files are left alone until it is this old: a laptop's disk sees no
// write, and no fsync, per poll. The running agent keeps the newer times
// in memory and answers status with them; after a crash only they are
// lost, never a decision (Settled, Applied, Rejected, journal).
const HeartbeatEvery = time.Hour

// pending holds, per file path, the newest content of a file whose write
// was skipped, with the file content it was judged against: it is used
// only while the file still holds exactly that (nothing else wrote it).
var pending sync.Map // path → pendingWrite

type pendingWrite struct{ onDisk, newest []byte }

// saveUnlessHeartbeat writes data to path atomically, unless the file
// already holds the same content but for the fields reset clears, and
// those are younger than HeartbeatEvery (age reports their age). It says
// whether it wrote.
func saveUnlessHeartbeat[T any](path string, data []byte, reset func(old, cur *T) (age time.Duration)) (bool, error) {
	if old, err := os.ReadFile(path); err == nil {
		if bytes.Equal(old, data) || onlyHeartbeat(old, data, reset) {
			pending.Store(path, pendingWrite{onDisk: old, newest: data})
			return false, nil
		}
	}
	pending.Delete(path)
	return true, atomicfile.WriteFile(path, data, 0o600)
}

// onlyHeartbeat says whether old and data differ only in the heartbeat
// fields, and those by less than HeartbeatEvery.
func onlyHeartbeat[T any](old, data []byte, reset func(old, cur *T) time.Duration) bool {
	var o, c T
	if json.Unmarshal(old, &o) != nil || json.Unmarshal(data, &c) != nil {
		return false
	}
	age := reset(&o, &c)
	if age < 0 || age >= HeartbeatEvery {
		return false
	}
	a, err1 := json.Marshal(o)
	b, err2 := json.Marshal(c)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// readNewest reads path, or the newer content whose write was skipped when
// the file still holds what that content was judged against.
func readNewest(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return data, err
	}
	if p, ok := pending.Load(path); ok && bytes.Equal(p.(pendingWrite).onDisk, data) {
		return p.(pendingWrite).newest, nil
	}
	return data, nil
}

// stateHeartbeat makes cur's poll times old's and says how much newer they
// were.
func stateHeartbeat(old, cur *State) time.Duration {
	age := cur.LastPoll.Sub(old.LastPoll)
	old.LastPoll = cur.LastPoll
	if old.Last != nil && cur.Last != nil {
		old.Last.At = cur.Last.At
	}
	return age
}

// reportHeartbeat is stateHeartbeat for the report.
func reportHeartbeat(old, cur *HostReport) time.Duration {
	age := cur.LastPoll.Sub(old.LastPoll)
	old.LastPoll, old.At = cur.LastPoll, cur.At
	return age
}

func indentJSON(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	return append(data, '\n'), err
}
