package hubclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/berth-nix/berth/hub/wire"
)

// Backoff bounds the delay before reconnecting: a random delay up to
// Min·2ⁿ after n failures in a row, capped at Max (full jitter, so that
// a fleet does not reconnect at once after the hub restarts).
type Backoff struct {
	Min, Max time.Duration
}

func (b Backoff) delay(failures int) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = 5 * time.Minute
	}
	d := lo << min(failures, 30)
	if d > hi || d <= 0 {
		d = hi
	}
	return lo/2 + rand.N(d-lo/2+1)
}

// idleLimit is how long a stream may stay silent before it is judged
// dead; the hub sends a comment line every 25 seconds.
const idleLimit = 90 * time.Second

// Run holds the event stream until ctx ends, reconnecting after every
// failure. Each "poll" event triggers the agent; so does every
// reconnection after the first, since a poll may have been missed while
// the stream was down.
func (c *Client) Run(ctx context.Context) {
	failures := 0
	for connected := false; ctx.Err() == nil; {
		hello, err := c.stream(ctx, connected)
		if hello {
			connected, failures = true, 0
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		wait := c.Backoff.delay(failures)
		c.log().Warn("hub event stream lost; reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// stream connects once and reads events until the stream ends; hello
// says whether the hub accepted it.
func (c *Client) stream(ctx context.Context, reconnect bool) (hello bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := c.request(ctx, http.MethodGet, wire.EventsPath, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%s: %s", c.URL+wire.EventsPath, resp.Status)
	}
	idle := time.AfterFunc(idleLimit, cancel)
	defer idle.Stop()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		idle.Reset(idleLimit)
		ev, ok := strings.CutPrefix(sc.Text(), "event: ")
		switch {
		case !ok:
		case ev == wire.EventHello:
			hello = true
			c.log().Info("connected to the hub", "url", c.URL)
			if reconnect {
				c.Trigger("hub reconnected")
			}
		case ev == wire.EventPoll:
			c.log().Info("hub asks to poll now")
			c.Trigger("hub")
		}
	}
	if err := sc.Err(); err != nil {
		return hello, err
	}
	return hello, errors.New("the hub closed the stream")
}
