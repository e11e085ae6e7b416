package hub

import (
	"slices"
	"sync"
)

// Broker fans events out to subscribers by key: a host's agent streams
// subscribe under the host's name, the page under "". Delivery never
// blocks: each subscriber holds at most one pending event, which is all
// "poll now" and "something changed" need.
type Broker struct {
	mu   sync.Mutex
	subs map[string]map[chan string]struct{}
}

// Subscribe returns a channel of events for key and a function that
// ends the subscription.
func (b *Broker) Subscribe(key string) (<-chan string, func()) {
	ch := make(chan string, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[string]map[chan string]struct{}{}
	}
	if b.subs[key] == nil {
		b.subs[key] = map[chan string]struct{}{}
	}
	b.subs[key][ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[key], ch)
		if len(b.subs[key]) == 0 {
			delete(b.subs, key)
		}
	}
}

// Publish sends ev to every subscriber of each key and returns the keys
// that had one.
func (b *Broker) Publish(keys []string, ev string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var reached []string
	for _, k := range keys {
		if len(b.subs[k]) == 0 {
			continue
		}
		reached = append(reached, k)
		for ch := range b.subs[k] {
			select {
			case ch <- ev:
			default:
			}
		}
	}
	return reached
}

// Keys lists the keys with a subscriber, sorted.
func (b *Broker) Keys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for k := range b.subs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Connected reports whether key has a subscriber.
func (b *Broker) Connected(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[key]) > 0
}
