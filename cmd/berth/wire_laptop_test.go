package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/reconciler"
)

type countObserver struct{ n *int }

func (c countObserver) Reconciled(reconciler.Report, reconciler.State) { *c.n++ }

func TestAddObserverKeepsEveryObserver(t *testing.T) {
	var first, second, third int
	a := &reconciler.Agent{}
	addObserver(a, countObserver{&first})
	addObserver(a, countObserver{&second})
	addObserver(a, countObserver{&third})
	a.Observer.Reconciled(reconciler.Report{}, reconciler.State{})
	if first != 1 || second != 1 || third != 1 {
		t.Errorf("got %d %d %d calls, want 1 each", first, second, third)
	}
}

func TestPrintDeferral(t *testing.T) {
	var out bytes.Buffer
	printDeferral(&out, nil)
	if out.Len() != 0 {
		t.Fatalf("got %q for no deferral, want nothing", out.String())
	}
	printDeferral(&out, &reconciler.Deferral{Since: time.Now(), Checked: time.Now(), Reason: "on battery: BAT0 at 40% discharging"})
	if !strings.Contains(out.String(), "deferred") || !strings.Contains(out.String(), "BAT0 at 40%") {
		t.Errorf("got %q, want the deferral and its reason", out.String())
	}
}
