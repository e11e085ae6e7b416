package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/source/tree"
)

// badFile is a report file that could not be used, or a host whose
// wanted configuration could not be computed.
type badFile struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// reportPlaces are where a reports directory keeps a host's report, as
// globs below it: reports POSTed and saved as <host>.json, a directory
// per host, or SFTP chroots with their reports/ directory.
var reportPlaces = []string{"*.json", "*/" + reconciler.ReportFile, "*/reports/" + reconciler.ReportFile}

// collectReports reads every report under dir, keeping the newest per
// host. Files that do not parse, and older duplicates, are listed as bad.
func collectReports(dir string) (map[string]*reconciler.HostReport, map[string]string, []badFile, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil, nil, fmt.Errorf("reports directory %s: not a readable directory", dir)
	}
	reps, files := map[string]*reconciler.HostReport{}, map[string]string{}
	var bad []badFile
	for _, pat := range reportPlaces {
		matches, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range matches {
			rep, err := reconciler.ReadReport(p)
			if err != nil {
				bad = append(bad, badFile{p, err.Error()})
				continue
			}
			if old, ok := reps[rep.Host]; ok {
				if old.At.After(rep.At) {
					bad = append(bad, badFile{p, "older report of " + rep.Host + " than " + files[rep.Host]})
					continue
				}
				bad = append(bad, badFile{files[rep.Host], "older report of " + rep.Host + " than " + p})
			}
			reps[rep.Host], files[rep.Host] = &rep, p
		}
	}
	return reps, files, bad, nil
}

// wantedDigests resolves every host directory of the fleet repository
// repo (hostDir is a template with {hostname}) and returns its digest,
// the one an agent computes for the same tree.
func wantedDigests(repo, hostDir string) (map[string]string, []badFile, error) {
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
	var bad []badFile
	for _, name := range hosts {
		dir := path.Clean(filepath.ToSlash(hostname.Expand(hostDir, name)))
		t, err := tree.Resolve(fsys, dir, tree.Limits{})
		if err != nil {
			bad = append(bad, badFile{filepath.Join(repo, dir), err.Error()})
			wanted[name] = ""
			continue
		}
		wanted[name] = t.Digest()
	}
	return wanted, bad, nil
}

// hostNames is the sorted union of the hosts of both maps.
func hostNames(reps map[string]*reconciler.HostReport, wanted map[string]string) []string {
	seen := map[string]bool{}
	for h := range reps {
		seen[h] = true
	}
	for h := range wanted {
		seen[h] = true
	}
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}
