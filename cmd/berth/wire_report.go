package main

import (
	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/hubclient"
	sftpsource "github.com/berth-nix/berth/source/sftp"
)

// newReporter is where the agent sends its reports besides its state
// directory: the host's reports/ directory on the SFTP server when that
// is the source (same key and pinned host key), report.http_url when it
// is set, the hub when there is one; all that apply. nil when there is
// nowhere to send them.
func newReporter(c *config.Config, src describedSource, hub *hubclient.Client) reconciler.Reporter {
	var rs reconciler.Reporters
	if s, ok := src.(*sftpsource.Source); ok {
		rs = append(rs, &reconciler.UploadReporter{Uploader: s, Heartbeat: c.Report.Heartbeat})
	}
	if h := c.Report.HTTPReporter(c.Hostname); h != nil {
		rs = append(rs, h)
	}
	if hub != nil {
		rs = append(rs, hub)
	}
	switch len(rs) {
	case 0:
		return nil
	case 1:
		return rs[0]
	}
	return rs
}
