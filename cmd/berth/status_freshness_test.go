package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/control"
)

func TestStatusShowsSignerAndStaleness(t *testing.T) {
	st := reconciler.State{
		Applied:  &reconciler.Revision{Revision: "main@sha1:abc", Digest: "sha256:1", Signer: "alice (ssh ED25519 SHA256:x)"},
		LastPoll: time.Now(),
		MadeAt:   time.Now().Add(-48 * time.Hour),
		LastSeen: "main@sha1:abc",
	}
	s := control.Status{Host: "h", State: st}
	fresh := st.Freshness(time.Now(), 24*time.Hour)
	var out bytes.Buffer
	printStatus(&out, s)
	printFreshness(&out, fresh)
	for _, want := range []string{"signed by  alice (ssh ED25519 SHA256:x)", "source stale  the newest revision accepted from the source was made at"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("got\n%s\nwant a line containing %q", out.String(), want)
		}
	}
	var js bytes.Buffer
	if err := writeJSON(&js, statusJSON{Status: s, Freshness: fresh}); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Host      string `json:"host"`
		Freshness struct {
			Stale bool `json:"stale"`
		} `json:"freshness"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Host != "h" || !back.Freshness.Stale {
		t.Errorf("got %+v, %v from\n%s\nwant host h and freshness.stale true", back, err, js.String())
	}
}
