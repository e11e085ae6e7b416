package nixos

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
)

// systemOutputs build a NixOS-looking system and a plain path, both input
// addressed (content-addressed paths need no signature, so they would not
// test one).
const systemOutputs = `    system = drv "nixos-system-realise-1" "mkdir -p $out/bin && printf '#!/bin/sh\n' > $out/bin/switch-to-configuration && chmod +x $out/bin/switch-to-configuration && printf %s \"$nonce\" > $out/nixos-version";
    plain = drv "berth-plain-1" "mkdir $out && echo plain > $out/f";
`

// nixCmd runs a nix command line on this machine.
func nixCmd(t *testing.T, args ...string) string {
	t.Helper()
	if args[0] == "nix" {
		args = append([]string{"nix", "--extra-experimental-features", Features}, args[1:]...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// writeSystemFlake writes systemFlake with a nonce unique to this call.
func writeSystemFlake(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	nonce := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(dir, "flake.nix"), []byte(flakeOf(nonce, systemOutputs)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildFresh builds attr of a flake unique to this call and returns it.
func buildFresh(t *testing.T, n *Nix, attr string) string {
	t.Helper()
	p, err := n.BuildFlake(context.Background(), writeSystemFlake(t), attr, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newKey makes a signing key pair; it returns the secret key file and the
// public key.
func newKey(t *testing.T, name string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	sk, pk := filepath.Join(dir, "sk"), filepath.Join(dir, "pk")
	nixCmd(t, "nix-store", "--generate-binary-cache-key", name, sk, pk)
	data, err := os.ReadFile(pk)
	if err != nil {
		t.Fatal(err)
	}
	return sk, strings.TrimSpace(string(data))
}

// serveCaches serves root over HTTP on loopback; caches are its
// subdirectories.
func serveCaches(t *testing.T, root string) string {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(root)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// pushAndForget copies path to the file cache dir, then deletes it from
// the local store so that Realise has to fetch it.
func pushAndForget(t *testing.T, path, dir string) {
	t.Helper()
	nixCmd(t, "nix", "copy", "--to", "file://"+dir, path)
	nixCmd(t, "nix", "store", "delete", path)
}

// trust makes the nix commands of this test trust only key.
func trust(t *testing.T, key string) {
	t.Setenv("NIX_CONFIG", "trusted-public-keys = "+key)
}

func TestRealise(t *testing.T) {
	n := requireNix(t)
	sk, pk := newKey(t, "berth-test-1")
	_, otherPK := newKey(t, "berth-test-2")
	root := t.TempDir()
	url := serveCaches(t, root)
	ctx := context.Background()

	signed := buildFresh(t, n, "system")
	nixCmd(t, "nix", "store", "sign", "--key-file", sk, signed)
	pushAndForget(t, signed, filepath.Join(root, "signed"))
	unsigned := buildFresh(t, n, "plain")
	pushAndForget(t, unsigned, filepath.Join(root, "unsigned"))
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	tests := []struct {
		name    string
		trusted string
		path    string
		caches  []string
		want    fault.Class
	}{
		{"wrong key", otherPK, signed, []string{url + "/signed"}, fault.Stalling},
		{"unsigned", pk, unsigned, []string{url + "/unsigned"}, fault.Stalling},
		{"unsigned, other cache down", pk, unsigned, []string{dead.URL, url + "/unsigned"}, fault.Transient},
		{"unreachable", pk, signed, []string{dead.URL}, fault.Transient},
		{"missing", pk, unsigned, []string{url + "/signed"}, fault.Transient},
		{"no cache", pk, signed, nil, fault.Transient},
		{"second cache has it", pk, signed, []string{url + "/unsigned", url + "/signed"}, fault.Unknown},
		{"already valid", pk, signed, nil, fault.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trust(t, tt.trusted)
			err := n.Realise(ctx, tt.path, tt.caches, nil)
			if got := fault.ClassOf(err); got != tt.want {
				t.Fatalf("class: got %v, want %v (err %v)", got, tt.want, err)
			}
			valid, verr := n.IsValid(ctx, tt.path)
			if verr != nil || valid != (err == nil) {
				t.Errorf("valid after Realise: got %v (%v), want %v", valid, verr, err == nil)
			}
		})
	}
}

func TestRealiseRefusesNonStorePath(t *testing.T) {
	err := (&Nix{}).Realise(context.Background(), "/etc/passwd", []string{"http://127.0.0.1:1"}, nil)
	if fault.ClassOf(err) != fault.Stalling {
		t.Errorf("got %v, want a stalling error", err)
	}
}

func TestEvalOutPath(t *testing.T) {
	n := requireNix(t)
	dir := writeSystemFlake(t)
	ctx := context.Background()
	got, err := n.EvalOutPath(ctx, dir, "system", nil)
	if err != nil {
		t.Fatal(err)
	}
	if valid, _ := n.IsValid(ctx, got); valid {
		t.Errorf("EvalOutPath built %s; it must only evaluate", got)
	}
	built, err := n.BuildFlake(ctx, dir, "system", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != built {
		t.Errorf("got %s, want the built path %s", got, built)
	}
	if _, err := n.EvalOutPath(ctx, dir, "missing", nil); fault.ClassOf(err) != fault.Stalling {
		t.Errorf("missing attribute: got %v, want a stalling error", err)
	}
}

// TestRealiseTimeout: a binary cache that accepts the connection and
// never answers stalls `nix copy`; BuildTimeout cancels it, Transient.
func TestRealiseTimeout(t *testing.T) {
	n := requireNix(t)
	path := buildFresh(t, n, "plain")
	nixCmd(t, "nix", "store", "delete", path)
	n.BuildTimeout = 2 * time.Second
	stalled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stalled:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stalled) })
	start := time.Now()
	err := n.Realise(context.Background(), path, []string{srv.URL}, nil)
	if got := fault.ClassOf(err); got != fault.Transient || err == nil || !strings.Contains(err.Error(), "nix.build_timeout") {
		t.Errorf("got %v (class %v), want a transient error naming nix.build_timeout", err, got)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v, want the download stopped soon after the timeout", d)
	}
}
