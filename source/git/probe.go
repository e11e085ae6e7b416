package gitsource

import (
	"context"
	"net/http"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Probe asks the remote for the branch head, as Poll does, on a
// connection of its own (see source.Prober). Over HTTP, Poll shares
// go-git's client and its idle connections; the probe uses a transport
// that keeps none. SSH opens a new connection for every operation, and a
// file:// remote has none, so for them Probe is Poll.
func (s *Source) Probe(ctx context.Context) error {
	if s.kind != kindHTTP {
		_, err := s.Poll(ctx)
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	auth, err := s.auth()
	if err != nil {
		return err
	}
	ep, err := transport.NewEndpoint(s.cfg.URL)
	if err != nil {
		return s.netErr(ctx, "parsing the URL of", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	sess, err := githttp.NewClient(&http.Client{Transport: tr}).NewUploadPackSession(ep, auth)
	if err != nil {
		return s.netErr(ctx, "listing references of", err)
	}
	defer sess.Close()
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return s.netErr(ctx, "listing references of", err)
	}
	refs, err := adv.AllReferences()
	if err != nil {
		return s.netErr(ctx, "listing references of", err)
	}
	if _, err := refs.Reference(s.branchRef()); err != nil {
		return s.noBranch()
	}
	return nil
}
