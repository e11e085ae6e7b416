package metrics

import "github.com/berth-nix/berth/internal/buildinfo"

// registerBuild adds berth_build_info, always 1, whose labels say which
// berth the agent is, so that a dashboard can tell hosts' versions apart.
func (m *Metrics) registerBuild(bi buildinfo.Info) {
	g := m.gaugeVec("berth_build_info", "1, labelled with the agent's version, VCS revision and Go version.",
		"version", "revision", "goversion")
	g.WithLabelValues(bi.String(), bi.Revision, bi.GoVersion).Set(1)
}
