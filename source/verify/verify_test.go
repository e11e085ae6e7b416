package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
)

// fixedSource always fetches the same artifact.
type fixedSource struct{ art source.Artifact }

func (f fixedSource) Poll(context.Context) (string, error) { return f.art.Revision, nil }
func (f fixedSource) Fetch(context.Context) (source.Artifact, error) {
	return f.art, nil
}

// verdict is a Verifier that answers what it was told to.
type verdict struct {
	signer string
	err    error
}

func (v verdict) Verify(context.Context, source.Artifact) (string, error) { return v.signer, v.err }

func TestSourceFetch(t *testing.T) {
	art := source.Artifact{Revision: "main@sha1:abc", Commit: "abc", Digest: "sha256:1", Path: "/stage/1"}
	tests := []struct {
		name   string
		v      verdict
		class  fault.Class
		signer string
	}{
		{"accepted", verdict{signer: "alice"}, fault.Unknown, "alice"},
		{"refused unclassified", verdict{err: errors.New("bad signature")}, fault.Stalling, ""},
		{"refused stalling", verdict{err: fault.Stallingf("not signed")}, fault.Stalling, ""},
		{"trust file missing", verdict{err: fault.Transientf("cannot read keyring")}, fault.Transient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Source{Inner: fixedSource{art}, Verifier: tt.v}
			got, err := s.Fetch(context.Background())
			if tt.v.err != nil {
				if fault.ClassOf(err) != tt.class || got.Path != "" || got.Signer != "" {
					t.Fatalf("got %v (class %v) path %q, want class %v and no path", err, fault.ClassOf(err), got.Path, tt.class)
				}
				return
			}
			if err != nil || got.Signer != tt.signer || got.Path != art.Path {
				t.Fatalf("got %+v, %v, want signer %q", got, err, tt.signer)
			}
		})
	}
}
