package wire

import "encoding/json"

// Paths of the hub's API that agents use. Everything is under /v1.
const (
	// ReportsPath takes a POSTed Upload, authenticated by the host's token.
	ReportsPath = "/v1/reports"
	// EventsPath is the host's event stream (text/event-stream).
	EventsPath = "/v1/events"
)

// Upload is the body an agent posts to ReportsPath: its report, verbatim,
// and the tail of the attempt's log when the reconcile made an attempt.
type Upload struct {
	Report  json.RawMessage `json:"report"`
	LogTail string          `json:"log_tail,omitempty"`
}

// MaxLogTail is how much of an attempt's log an agent sends at most.
const MaxLogTail = 32 << 10

// Events the hub sends on a host's stream, as the SSE "event:" field.
const (
	// EventPoll asks the agent to poll its source now.
	EventPoll = "poll"
	// EventHello is the first event of every stream, so the agent knows
	// it is connected and authenticated.
	EventHello = "hello"
)
