package sftpsource

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source/publish"
)

// version writes configuration number v of the host: twenty files whose
// content names the version, so a staged tree mixing two publishes would
// show.
func version(s *server, v int) map[string]string {
	want := map[string]string{}
	for i := range 20 {
		rel := fmt.Sprintf("files/f%02d", i)
		content := strings.Repeat(fmt.Sprintf("version %d file %d\n", v, i), 400)
		s.writeFile(hostDir+"/"+rel, content)
		want[rel] = content
	}
	s.writeFile(hostDir+"/flake.nix", fmt.Sprintf("{ v = %d; }\n", v))
	want["flake/flake.nix"] = fmt.Sprintf("{ v = %d; }\n", v)
	return want
}

// TestPublishRacingFetch publishes three configurations in turn while
// fetching: every fetch either fails transiently (the tree it started on
// was pruned) or stages exactly one of the three, never a mix.
func TestPublishRacingFetch(t *testing.T) {
	s := newServer(t)
	contents := map[string]map[string]string{} // digest → staged path → content
	for v := range 3 {
		want := version(s, v)
		res := s.publish()
		contents[strings.TrimPrefix(res[0].Revision, "sftp@")] = want
	}
	src := s.source(s.config())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for v := 0; ; v = (v + 1) % 3 {
			select {
			case <-stop:
				return
			default:
			}
			version(s, v)
			res, err := publish.Run(context.Background(), publish.Options{Fleet: s.fleet, Chroots: s.chroots})
			if err != nil || res[0].Action == publish.Failed {
				t.Errorf("publish: %v %+v", err, res)
				return
			}
			time.Sleep(30 * time.Millisecond)
		}
	})
	var ok, failed int
	for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline); {
		a, err := src.Fetch(ctx(t))
		if err != nil {
			if fault.ClassOf(err) != fault.Transient {
				t.Errorf("got %v (class %v), want success or a transient error", err, fault.ClassOf(err))
			}
			failed++
			continue
		}
		ok++
		want, known := contents[a.Digest]
		if !known {
			t.Fatalf("fetched digest %s, not one of the published ones", a.Digest)
		}
		for rel, content := range want {
			if got := readStaged(t, a, rel); got != content {
				t.Fatalf("%s in %s: got %.30q..., want %.30q...", rel, a.Digest, got, content)
			}
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d fetches staged a published tree, %d failed transiently", ok, failed)
	if ok == 0 {
		t.Errorf("no fetch succeeded while publishing")
	}
}
