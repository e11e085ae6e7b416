package activate

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/internal/fault"
)

// files installs the staged files tree, so that the running system's
// files match it. Install restores what it did when it fails; a later
// verdict commits or restores the rest.
func (t *attempt) files(context.Context) Phase {
	start := time.Now()
	defer t.r.timed(PhaseFiles, start)
	if t.plan == nil {
		if _, err := t.planFiles(); err != nil {
			return t.stop(Failed, PhaseFiles, err)
		}
	}
	if err := t.installFiles(); err != nil {
		return t.stop(Failed, PhaseFiles, err)
	}
	return PhaseTest
}

// planFiles plans the attempt's files tree and returns how many paths it
// changes. Backups left by an agent that died mid-install are restored
// first. With no Files installer configured, a tree that has files is
// refused.
func (t *attempt) planFiles() (int, error) {
	a, req := t.a, t.req
	if a.Files == nil {
		if _, err := os.Stat(req.FilesDir); req.FilesDir != "" && err == nil {
			return 0, fault.Stallingf("the host directory has a files/ tree, but this agent installs no files")
		}
		return 0, nil
	}
	if ids, err := a.Files.Recover(); err != nil {
		return 0, err
	} else if len(ids) > 0 {
		logf(t.log, "restored the files of unfinished attempts %v", ids)
	}
	plan, err := a.Files.Plan(req.FilesDir, filepath.Join(req.FlakeDir, files.MetaFile))
	if err != nil {
		return 0, err
	}
	logf(t.log, "files: %s", plan.Summary())
	t.plan = plan
	return plan.Changes(), nil
}

// installFiles carries out the plan for the attempt.
func (t *attempt) installFiles() error {
	if t.plan == nil {
		return nil
	}
	return t.a.Files.Install(t.p.ID, t.plan)
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
