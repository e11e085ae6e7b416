package sftpsource

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
)

// Where and how much the host reports back into its chroot.
const (
	// ReportDir is the host's writable directory, beside the
	// configuration directory (Config.Path) in the same chroot.
	ReportDir = "reports"
	// ReportName is the report's name in ReportDir.
	ReportName = "report.json"
	// MaxLogBytes bounds an uploaded log: only its last MaxLogBytes are
	// sent, after a line saying how much was left out.
	MaxLogBytes = 256 << 10
	// KeepLogs is how many attempt logs ReportDir keeps; older ones are
	// removed after each upload.
	KeepLogs = 5
)

// reportDir is ReportDir beside the configuration directory.
func (c Config) reportDir() string { return path.Join(path.Dir(c.Path), ReportDir) }

// UploadReport writes report into the host's ReportDir as ReportName
// and, when logPath is not empty, the tail of that local log as the file
// of the same base name (an attempt's "<id>.log"), keeping the newest
// KeepLogs logs. It uses the source's key and pinned host key, and the
// connection the poll opened when it is still open (reuse.go). Each file
// is written under a temporary name in ReportDir and renamed over its
// target (posix-rename@openssh.com), so the admin reads the previous
// file or the new one, never part of one. Errors are Transient.
func (s *Source) UploadReport(ctx context.Context, report []byte, logPath string) error {
	return s.withSession(ctx, func(ss *session) error { return s.upload(ctx, ss, report, logPath) })
}

func (s *Source) upload(ctx context.Context, ss *session, report []byte, logPath string) error {
	dir := s.cfg.reportDir()
	if err := s.put(ctx, ss, path.Join(dir, ReportName), bytes.NewReader(report)); err != nil {
		return err
	}
	if logPath == "" {
		return nil
	}
	if err := s.putLog(ctx, ss, dir, logPath); err != nil {
		return err
	}
	return s.pruneLogs(ctx, ss, dir)
}

// putLog uploads the last MaxLogBytes of the local file logPath.
func (s *Source) putLog(ctx context.Context, ss *session, dir, logPath string) error {
	name := filepath.Base(logPath)
	if !strings.HasSuffix(name, ".log") || strings.HasPrefix(name, ".") {
		return fault.Transientf("sftp report: log %s: want a file named <attempt>.log", logPath)
	}
	tail, err := logTail(logPath, MaxLogBytes)
	if err != nil {
		return localErr("read the attempt log", err)
	}
	defer tail.Close()
	return s.put(ctx, ss, path.Join(dir, name), tail)
}

// put writes r to target through a temporary file beside it.
func (s *Source) put(ctx context.Context, ss *session, target string, r io.Reader) error {
	tmp := path.Join(path.Dir(target), ".tmp-"+randomHex()+"-"+path.Base(target))
	err := ss.do(func() error {
		f, err := ss.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return ss.sftp.PosixRename(tmp, target)
	})
	if err != nil {
		ss.do(func() error { return ss.sftp.Remove(tmp) })
		return s.netErr(ctx, "upload "+target+" to", err, ss.conn)
	}
	return nil
}

// pruneLogs removes all but the newest KeepLogs attempt logs in dir.
// Attempt ids start with their UTC start time, so names sort by age.
func (s *Source) pruneLogs(ctx context.Context, ss *session, dir string) error {
	var logs []string
	err := ss.do(func() error {
		ents, err := ss.sftp.ReadDir(dir)
		for _, e := range ents {
			if n := e.Name(); strings.HasSuffix(n, ".log") && !strings.HasPrefix(n, ".") && e.Mode().IsRegular() {
				logs = append(logs, n)
			}
		}
		return err
	})
	if err != nil {
		return s.netErr(ctx, "list "+dir+" on", err, ss.conn)
	}
	sort.Strings(logs)
	for len(logs) > KeepLogs {
		p := path.Join(dir, logs[0])
		if err := ss.do(func() error { return ss.sftp.Remove(p) }); err != nil {
			return s.netErr(ctx, "remove "+p+" from", err, ss.conn)
		}
		logs = logs[1:]
	}
	return nil
}

// logTail opens the local log and positions it max bytes before its end,
// prefixed with a note when anything was skipped.
func logTail(p string, max int64) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	skip := fi.Size() - max
	if skip <= 0 {
		return f, nil
	}
	if _, err := f.Seek(skip, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	note := fmt.Sprintf("berth: log truncated, its first %d bytes are left out\n", skip)
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(strings.NewReader(note), io.LimitReader(f, max)), f}, nil
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
