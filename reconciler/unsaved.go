package reconciler

import (
	"encoding/json"
	"sync"
)

// unsaved keeps the state a reconcile recorded but could not save (a full
// disk, say), so that the process goes on from it, and status reports it,
// instead of the older state file.
type unsaved struct {
	mu   sync.Mutex
	data []byte // the State as JSON, so that no reader shares its maps
	err  error  // why it could not be saved
}

// keep remembers st when saving it failed with err, and forgets what it
// kept when the save succeeded.
func (u *unsaved) keep(st State, err error) {
	var data []byte
	if err != nil {
		data, _ = json.Marshal(st)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.data, u.err = data, err
}

// get returns the kept state and why it is not saved, or ok false.
func (u *unsaved) get() (st State, err error, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.data == nil {
		return State{}, nil, false
	}
	if jerr := json.Unmarshal(u.data, &st); jerr != nil {
		return State{}, nil, false
	}
	return st, u.err, true
}

// load is the state a reconcile starts from: what the last reconcile of
// this process could not save, or else the state file.
func (r *Reconciler) load() (State, error) {
	if st, _, ok := r.unsaved.get(); ok {
		return st, nil
	}
	return r.Store.Load()
}

// CurrentState is the state as this process knows it, with notSaved
// saying why it is newer than the state file (nil when it is the file).
// While saves fail, the agent's status comes from here.
func (r *Reconciler) CurrentState() (st State, notSaved error, err error) {
	if st, why, ok := r.unsaved.get(); ok {
		return st, why, nil
	}
	st, err = r.Store.Load()
	return st, nil, err
}
