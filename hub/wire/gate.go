package wire

import "time"

// GatePath is where an agent asks the hub whether it may apply a
// revision now (staged rollouts, docs/rollouts.md).
const GatePath = "/v1/rollout/gate"

// GateRequest names the revision an agent is about to apply: the commit
// when the source has one, and the revision string.
type GateRequest struct {
	Revision string `json:"revision"`
	Commit   string `json:"commit,omitempty"`
}

// GateAnswer is the hub's answer: Allowed, or why not and, when known,
// until when.
type GateAnswer struct {
	Allowed bool      `json:"allowed"`
	Wave    string    `json:"wave,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Until   time.Time `json:"until,omitzero"`
}
