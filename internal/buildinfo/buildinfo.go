// Package buildinfo says which berth a binary is: the version the build
// set, the VCS revision and time Go recorded, and the Go release that
// compiled it. The agent puts it in its status, its reports and its
// metrics, so that an admin can tell which hosts run which berth.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// version is set at link time by builds that know it (the flake passes
// -ldflags "-X github.com/berth-nix/berth/internal/buildinfo.version=…");
// otherwise the module version Go recorded is used.
var version string

// Info describes one build of berth. Its JSON form is part of the status
// and report formats.
type Info struct {
	// Version is the release ("0.1.0"), or "(devel)" for a build from a
	// checkout that did not set one.
	Version string `json:"version"`
	// Revision and Time are the VCS commit the binary was built from and
	// its commit time (RFC 3339), when the build recorded them.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	// Modified is true when the working tree had uncommitted changes.
	Modified bool `json:"modified,omitempty"`
	// GoVersion is the Go release that compiled the binary ("go1.26.0").
	GoVersion string `json:"go_version"`
}

// Read returns this binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return from(nil)
	}
	return from(bi)
}

// from builds an Info from Go's build information (nil when the binary
// carries none) and the link-time version.
func from(bi *debug.BuildInfo) Info {
	info := Info{Version: version, GoVersion: runtime.Version()}
	if bi == nil {
		if info.Version == "" {
			info.Version = "unknown"
		}
		return info
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	if info.Version == "" {
		info.Version = bi.Main.Version
	}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the short form reports carry as agent_version: the version,
// then "+" and the first 12 hex digits of the revision, then "-dirty" for
// a modified tree ("0.1.0+1a2b3c4d5e6f").
func (i Info) String() string {
	v := i.Version
	if len(i.Revision) >= 12 {
		v += "+" + i.Revision[:12]
	}
	if i.Modified {
		v += "-dirty"
	}
	return v
}

// Long is the form `berth version` prints: "berth VERSION", then one
// "key: value" line for each of revision, time and Go version known.
func (i Info) Long() string {
	var b strings.Builder
	b.WriteString("berth " + i.Version + "\n")
	rev := i.Revision
	if rev != "" && i.Modified {
		rev += " (modified)"
	}
	for _, kv := range [][2]string{{"revision", rev}, {"time", i.Time}, {"go", i.GoVersion}} {
		if kv[1] != "" {
			b.WriteString(kv[0] + ": " + kv[1] + "\n")
		}
	}
	return b.String()
}
