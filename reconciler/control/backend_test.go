package control

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/reconciler"
)

// TestAgentStatusCarriesBuild: the running agent's status says which
// berth it is, over the socket.
func TestAgentStatusCarriesBuild(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	a := &reconciler.Agent{Rec: &reconciler.Reconciler{Host: "h1", Store: reconciler.Store{Path: filepath.Join(dir, "state.json")}},
		Pauses: reconciler.PauseStore{Path: filepath.Join(dir, "pause.json")}}
	st, err := NewClient(serve(t, AgentBackend{Agent: a}, "")).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := buildinfo.Read()
	if !st.Agent || st.Host != "h1" || st.Build == nil || *st.Build != want || st.Build.GoVersion != runtime.Version() {
		t.Errorf("status: got %+v (build %+v), want the agent's build %+v", st, st.Build, want)
	}
}
