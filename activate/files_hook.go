package activate

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/internal/fault"
)

// PhaseFiles installs the host's verbatim files tree: after preflight and
// before the test phase, so the services the switch starts see the new
// files. A revert restores what it replaced; a promotion records it.
const PhaseFiles Phase = "files"

// installFiles plans and installs the staged files tree for the attempt,
// so that the running system's files match the tree. Backups left by an
// agent that died mid-install are restored first. With no Files
// installer configured, a tree that has files is refused.
func (a *Activator) installFiles(req Request, r *Result) (bool, error) {
	start := time.Now()
	defer r.timed(PhaseFiles, start)
	if a.Files == nil {
		if _, err := os.Stat(req.FilesDir); req.FilesDir != "" && err == nil {
			return false, fault.Stallingf("the host directory has a files/ tree, but this agent installs no files")
		}
		return false, nil
	}
	if ids, err := a.Files.Recover(); err != nil {
		return false, err
	} else if len(ids) > 0 {
		logf(req.Log, "restored the files of unfinished attempts %v", ids)
	}
	plan, err := a.Files.Plan(req.FilesDir, filepath.Join(req.FlakeDir, files.MetaFile))
	if err != nil {
		return false, err
	}
	logf(req.Log, "files: %s", plan.Summary())
	return plan.Changes() > 0, a.Files.Install(req.ID, plan)
}

// filesOnly handles an attempt whose system is already running: its files
// tree may still have changed, and is installed and committed at once.
func (a *Activator) filesOnly(req Request, r Result) Result {
	changed, err := a.installFiles(req, &r)
	if err != nil {
		return r.fail(Failed, PhaseFiles, err)
	}
	if err := a.commitFiles(req.ID, req.Log); err != nil {
		return r.fail(Failed, PhaseFiles, err)
	}
	if changed {
		r.Outcome, r.Phase = Applied, PhaseFiles
	}
	return r
}

// commitFiles records the attempt's files as installed.
func (a *Activator) commitFiles(id string, log io.Writer) error {
	if a.Files == nil {
		return nil
	}
	err := a.Files.Commit(id)
	if err != nil {
		logf(log, "ERROR: record the installed files: %v", err)
	}
	return err
}

// restoreFiles puts back the files the attempt replaced. A failure is
// logged and added to cause, keeping cause's class.
func (a *Activator) restoreFiles(id string, log io.Writer, cause error) error {
	if a.Files == nil {
		return cause
	}
	if err := a.Files.Restore(id); err != nil {
		logf(log, "ERROR: restore the previous files: %v", err)
		return fmt.Errorf("%w; RESTORING FILES FAILED: %v", cause, err)
	}
	return cause
}
