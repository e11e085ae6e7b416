// Package fault classifies errors by what the caller should do next.
//
// Every error that leaves a reconcile step is one of three classes:
// Stalling (the revision itself is bad: do not retry it until it changes),
// Transient (network, a lock held by someone else: back off and retry), or
// NoOp (nothing to do). Classes survive wrapping with %w and are read with
// ClassOf, which uses errors.As.
package fault

import (
	"errors"
	"fmt"
)

// Class says what to do with an error.
type Class int

const (
	// Unknown is the class of an error nobody classified. Callers treat it
	// like Transient: retrying an unknown failure with backoff is safe.
	Unknown Class = iota
	// Transient errors go away on their own: retry with backoff.
	Transient
	// Stalling errors come from the revision itself: retrying the same
	// revision gives the same result, so wait for a new one.
	Stalling
	// NoOp means there was nothing to do; it is not a failure.
	NoOp
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Stalling:
		return "stalling"
	case NoOp:
		return "no-op"
	}
	return "unknown"
}

// ParseClass returns the Class whose String is s; any other s is Unknown.
func ParseClass(s string) Class {
	for _, c := range []Class{Transient, Stalling, NoOp} {
		if c.String() == s {
			return c
		}
	}
	return Unknown
}

// As marks err as c; Unknown leaves err unclassified, and nil stays nil.
func As(c Class, err error) error {
	if c == Unknown {
		return err
	}
	return wrap(c, err)
}

// Error carries a Class alongside the error it classifies.
type Error struct {
	Class Class
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func wrap(c Class, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: c, Err: err}
}

// AsTransient marks err as Transient; nil stays nil.
func AsTransient(err error) error { return wrap(Transient, err) }

// AsStalling marks err as Stalling; nil stays nil.
func AsStalling(err error) error { return wrap(Stalling, err) }

// AsNoOp marks err as NoOp; nil stays nil.
func AsNoOp(err error) error { return wrap(NoOp, err) }

// Transientf formats a Transient error; %w verbs wrap as with fmt.Errorf.
func Transientf(format string, args ...any) error {
	return wrap(Transient, fmt.Errorf(format, args...))
}

// Stallingf formats a Stalling error; %w verbs wrap as with fmt.Errorf.
func Stallingf(format string, args ...any) error {
	return wrap(Stalling, fmt.Errorf(format, args...))
}

// ClassOf returns the class of the outermost classified error in err's
// chain, or Unknown when none is classified.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Unknown
}
