// Package fleet is the admin side's view of a whole fleet: it reads the
// reports the hosts sent and the fleet repository, and judges each host.
// It uses the report format and the sources' tree resolution, never the
// agent's loop (the layers test keeps it from importing reconciler or
// activate).
package fleet

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/report"
	"github.com/berth-nix/berth/source/tree"
)

// BadFile is a report file that could not be used, or a host whose
// wanted configuration could not be computed.
type BadFile struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// reportPlaces are where a reports directory keeps a host's report, as
// globs below it: reports POSTed and saved as <host>.json, a directory
// per host, or SFTP chroots with their reports/ directory. The host is
// the first path element (without .json).
var reportPlaces = []string{"*.json", "*/" + report.File, "*/reports/" + report.File}

// MaxClockSkew is how far in the future a report may be dated before it
// is refused: a report from the future would never go stale.
const MaxClockSkew = 5 * time.Minute

// reports are the usable reports of a reports directory, by host.
type reports struct {
	byHost map[string]*report.HostReport
	file   map[string]string
	// refused says, per host, why a report found in its place was not
	// believed.
	refused map[string]string
	bad     []BadFile
}

// collectReports reads every report under dir, keeping the newest per
// host. Files that do not parse, that name another host than the place
// they were found in, that are dated in the future of now, and older
// duplicates, are listed as bad.
func collectReports(dir string, now time.Time) (*reports, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("reports directory %s: not a readable directory", dir)
	}
	r := &reports{byHost: map[string]*report.HostReport{}, file: map[string]string{}, refused: map[string]string{}}
	for _, pat := range reportPlaces {
		matches, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range matches {
			rel, _ := filepath.Rel(dir, p)
			host := strings.TrimSuffix(strings.Split(filepath.ToSlash(rel), "/")[0], ".json")
			rep, err := readReport(p, host, now)
			if err != nil {
				r.bad = append(r.bad, BadFile{p, err.Error()})
				if hostname.Valid(host) {
					r.refused[host] = err.Error()
				}
				continue
			}
			r.add(host, p, rep)
		}
	}
	return r, nil
}

// readReport reads the report at p, found in host's place.
func readReport(p, host string, now time.Time) (report.HostReport, error) {
	if !hostname.Valid(host) {
		return report.HostReport{}, fmt.Errorf("%q is not named after a host: not read", host)
	}
	rep, err := report.Read(p)
	switch {
	case err != nil:
		return rep, err
	case rep.Host != host:
		return rep, fmt.Errorf("report names host %q but was found in the place of host %q: refused", rep.Host, host)
	case rep.At.After(now.Add(MaxClockSkew)):
		return rep, fmt.Errorf("report of %s is dated %s, in the future (now %s): refused; check the host's clock",
			host, rep.At.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return rep, nil
}

// add keeps rep unless a newer report of the host is known already.
func (r *reports) add(host, p string, rep report.HostReport) {
	if old, ok := r.byHost[host]; ok {
		if old.At.After(rep.At) {
			r.bad = append(r.bad, BadFile{p, "older report of " + host + " than " + r.file[host]})
			return
		}
		r.bad = append(r.bad, BadFile{r.file[host], "older report of " + host + " than " + p})
	}
	r.byHost[host], r.file[host] = &rep, p
}

// wantedDigests resolves every host directory of the fleet repository
// repo (hostDir is a template with {hostname}) and returns its digest,
// the one an agent computes for the same tree.
func wantedDigests(repo, hostDir string) (map[string]string, []BadFile, error) {
	if _, _, err := hostname.Split(hostDir); err != nil {
		return nil, nil, fmt.Errorf("--host-dir: %w", err)
	}
	hosts, err := hostname.List(repo, hostDir)
	if err != nil {
		return nil, nil, fmt.Errorf("fleet repository: %w", err)
	}
	fsys, ok := os.DirFS(repo).(fs.ReadLinkFS)
	if !ok {
		return nil, nil, errors.New("this Go runtime cannot read links through os.DirFS")
	}
	wanted := map[string]string{}
	var bad []BadFile
	for _, name := range hosts {
		dir := path.Clean(filepath.ToSlash(hostname.Expand(hostDir, name)))
		t, err := tree.Resolve(fsys, dir, tree.Limits{})
		if err != nil {
			bad = append(bad, BadFile{filepath.Join(repo, dir), err.Error()})
			wanted[name] = ""
			continue
		}
		wanted[name] = t.Digest()
	}
	return wanted, bad, nil
}

// hostNames is the sorted union of the hosts with a report, a refused
// report or a wanted configuration.
func hostNames(r *reports, wanted map[string]string) []string {
	seen := map[string]bool{}
	for h := range r.byHost {
		seen[h] = true
	}
	for h := range r.refused {
		seen[h] = true
	}
	for h := range wanted {
		seen[h] = true
	}
	return slices.Sorted(maps.Keys(seen))
}
