package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadChecks(t *testing.T) {
	good, _ := json.Marshal(HostReport{Version: Version, Host: "web1", At: time.Unix(1e9, 0).UTC(), Result: ResultApplied})
	big := append(append([]byte(nil), good[:len(good)-1]...), []byte(`,"reason":"`+strings.Repeat("x", MaxSize)+`"}`)...)
	dir := t.TempDir()
	for _, tt := range []struct {
		name, data, wantErr string
	}{
		{"good", string(good), ""},
		{"not json", "{not json", "does not parse"},
		{"two values", string(good) + string(good), "more than one JSON value"},
		{"no host", `{"version":1}`, "not a berth report"},
		{"other version", `{"version":2,"host":"a"}`, "not a berth report"},
		{"too large", string(big), "larger than"},
	} {
		p := filepath.Join(dir, tt.name+".json")
		if err := os.WriteFile(p, []byte(tt.data), 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := Read(p)
		switch {
		case tt.wantErr == "" && (err != nil || rep.Host != "web1"):
			t.Errorf("%s: got %+v %v, want the report", tt.name, rep, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), p)):
			t.Errorf("%s: got %v, want an error naming %s with %q", tt.name, err, p, tt.wantErr)
		}
	}
	if _, err := Parse(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse of %d bytes: got %v, want ErrTooLarge", len(big), err)
	}
}

// FuzzParse feeds arbitrary bytes to the report reader the admin side
// runs on files hosts upload: it must never panic, and what it accepts
// must be a report of this version naming a host, that survives a round
// trip.
func FuzzParse(f *testing.F) {
	good, _ := json.Marshal(HostReport{Version: Version, Host: "web1", At: time.Unix(1e9, 0).UTC(),
		Applied: &Revision{Revision: "main@sha1:00", Digest: "sha256:00"}, Attempt: &Attempt{FailedUnits: []string{"x.service"}}})
	for _, seed := range []string{string(good), "", "{}", `{"version":1,"host":"a"} {}`, `{"version":1,"host":"a","at":"2099-01-01T00:00:00Z"}`, "[1,2]", `{"attempt":{"diff":{"packages":[{}]}}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Parse(data)
		if err != nil {
			return
		}
		if rep.Version != Version || rep.Host == "" {
			t.Fatalf("accepted version %d host %q", rep.Version, rep.Host)
		}
		again, err := json.Marshal(rep)
		if err != nil {
			t.Fatalf("accepted a report that does not marshal: %v", err)
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("a marshalled report does not parse again: %v\n%s", err, again)
		}
	})
}
