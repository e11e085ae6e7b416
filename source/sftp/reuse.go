package sftpsource

import (
	"context"
	"sync"
	"time"
)

// parkFor is how long a session stays open after a Poll, Fetch or report
// upload for the next one to reuse. A reconcile polls, maybe fetches, and
// then uploads its report within moments: one SSH connection (key
// exchange and login, the bulk of a no-op reconcile's cost on the server)
// serves all of them.
const parkFor = 5 * time.Second

// parking holds at most one idle session.
type parking struct {
	mu    sync.Mutex
	ss    *session
	timer *time.Timer
}

// take returns the parked session, bound to ctx, or nil.
func (p *parking) take(ctx context.Context) *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	ss := p.ss
	if ss == nil {
		return nil
	}
	p.ss = nil
	p.timer.Stop()
	ss.stop = context.AfterFunc(ctx, func() { ss.conn.Close() })
	return ss
}

// park keeps ss open for parkFor, closing any session parked before.
func (p *parking) park(ss *session) {
	ss.stop() // no longer bound to the finished operation's context
	ss.stop = func() bool { return true }
	p.mu.Lock()
	old := p.ss
	if old != nil {
		p.timer.Stop()
	}
	p.ss = ss
	p.timer = time.AfterFunc(parkFor, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.ss == ss {
			p.ss = nil
			ss.Close()
		}
	})
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// session returns the parked session or a new connection, and whether it
// was parked.
func (s *Source) session(ctx context.Context) (*session, bool, error) {
	if ss := s.parked.take(ctx); ss != nil {
		return ss, true, nil
	}
	ss, err := s.connect(ctx)
	return ss, false, err
}

// withSession runs f on a session within Timeout: the parked one when
// there is one, else a new connection. A parked session the server has
// dropped meanwhile fails f; f is then run once more on a new connection.
// The session is parked afterwards when f succeeded.
func (s *Source) withSession(ctx context.Context, f func(*session) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	ss, reused, err := s.session(ctx)
	if err != nil {
		return err
	}
	err = f(ss)
	if err != nil && reused && ctx.Err() == nil && !ss.alive() {
		ss.Close()
		if ss, err = s.connect(ctx); err != nil {
			return err
		}
		err = f(ss)
	}
	if err != nil {
		ss.Close()
		return err
	}
	s.parked.park(ss)
	return nil
}

// alive says whether the server still answers on ss.
func (ss *session) alive() bool {
	return ss.do(func() error { _, err := ss.sftp.Getwd(); return err }) == nil
}

// Close closes the session kept open for reuse, if any. The Source stays
// usable: the next operation connects afresh.
func (s *Source) Close() error {
	if ss := s.parked.take(context.Background()); ss != nil {
		ss.Close()
	}
	return nil
}
