package sftpsource

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
)

// reportsDir is the host's reports directory as the admin sees it.
func (s *server) reportsDir() string { return filepath.Join(s.sftp.ChrootDir(sftpUser), ReportDir) }

// writeLog writes a local attempt log of n random bytes.
func writeLog(t *testing.T, name string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// TestUploadReport: the report and the attempt's log land in reports/,
// a second upload replaces the report, a long log is cut to its tail, and
// only the newest KeepLogs logs stay.
func TestUploadReport(t *testing.T) {
	s := newServer(t)
	src := s.source(s.config())
	small, smallData := writeLog(t, "20250102T030405Z-001.log", 1000)
	if err := src.UploadReport(ctx(t), []byte(`{"n":1}`), small); err != nil {
		t.Fatalf("UploadReport: %v", err)
	}
	if err := src.UploadReport(ctx(t), []byte(`{"n":2}`), ""); err != nil {
		t.Fatalf("UploadReport without a log: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(s.reportsDir(), ReportName))
	if string(got) != `{"n":2}` {
		t.Errorf("got report %q, want the second one", got)
	}
	if got, _ := os.ReadFile(filepath.Join(s.reportsDir(), filepath.Base(small))); !bytes.Equal(got, smallData) {
		t.Errorf("got a log of %d bytes, want the %d bytes written", len(got), len(smallData))
	}

	big, bigData := writeLog(t, "20250102T030406Z-002.log", MaxLogBytes+12345)
	if err := src.UploadReport(ctx(t), []byte(`{"n":3}`), big); err != nil {
		t.Fatalf("UploadReport: %v", err)
	}
	got, _ = os.ReadFile(filepath.Join(s.reportsDir(), filepath.Base(big)))
	note, tail, _ := bytes.Cut(got, []byte("\n"))
	if !bytes.Equal(tail, bigData[12345:]) || !strings.Contains(string(note), "first 12345 bytes are left out") {
		t.Errorf("got a log of %d bytes starting %q, want a note and the last %d bytes", len(got), note, MaxLogBytes)
	}
	if names := listDir(t, s.reportsDir()); len(names) != 3 {
		t.Errorf("got %v in reports/, want the report and two logs, no temporary files", names)
	}
}

func TestUploadReportKeepsNewestLogs(t *testing.T) {
	s := newServer(t)
	src := s.source(s.config())
	var want []string
	for i := range KeepLogs + 3 {
		name := fmt.Sprintf("20250102T0304%02dZ-%03d.log", i, i)
		p, _ := writeLog(t, name, 10)
		if err := src.UploadReport(ctx(t), []byte("{}"), p); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	want = append(want[len(want)-KeepLogs:], ReportName)
	sort.Strings(want)
	if got := listDir(t, s.reportsDir()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestUploadReportIsAtomic: an admin reading the report while the host
// replaces it, again and again, always reads one whole version.
func TestUploadReportIsAtomic(t *testing.T) {
	s := newServer(t)
	src := s.source(s.config())
	versions := [][]byte{bytes.Repeat([]byte("a"), 300<<10), bytes.Repeat([]byte("b"), 200<<10)}
	if err := src.UploadReport(ctx(t), versions[0], ""); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads, torn atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			got, err := os.ReadFile(filepath.Join(s.reportsDir(), ReportName))
			if err != nil || (!bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1])) {
				torn.Add(1)
			}
			reads.Add(1)
		}
	}()
	for i := range 20 {
		if err := src.UploadReport(ctx(t), versions[i%2], ""); err != nil {
			t.Error(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if torn.Load() != 0 || reads.Load() < 20 {
		t.Errorf("got %d torn or missing reads out of %d, want none", torn.Load(), reads.Load())
	}
}

// TestUploadReportRefused: a reports/ directory the host may not write to,
// or none at all, is a Transient error naming the file and the server.
func TestUploadReportRefused(t *testing.T) {
	tests := []struct {
		name  string
		setup func(dir string) error
	}{
		{"read-only", func(dir string) error { return os.Chown(dir, 0, 0) }},
		{"missing", os.RemoveAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			if err := tt.setup(s.reportsDir()); err != nil {
				t.Fatal(err)
			}
			err := s.source(s.config()).UploadReport(ctx(t), []byte("{}"), "")
			if err == nil || fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "reports/report.json") ||
				!strings.Contains(err.Error(), sftpUser+"@") {
				t.Errorf("got %v (%v), want a Transient error naming reports/report.json and the account", err, fault.ClassOf(err))
			}
		})
	}
}
