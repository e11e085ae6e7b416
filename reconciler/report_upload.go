package reconciler

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ReportUploader puts a report, as bytes, and an attempt's log where the
// admin collects them; the SFTP source's UploadReport is one, writing
// into the host's reports/ directory with the source's credentials.
type ReportUploader interface {
	UploadReport(ctx context.Context, report []byte, logPath string) error
}

// DefaultReportHeartbeat is UploadReporter.Heartbeat when zero.
const DefaultReportHeartbeat = 30 * time.Minute

// UploadReporter sends reports, as the JSON berth fleet status reads,
// through an uploader, with the attempt's log when there is one. A report
// that says what the last one sent said (only its times differ: a poll
// that found nothing new) is sent again only after Heartbeat, so that an
// idle fleet costs its server one upload per host per Heartbeat; fleet
// status judges a host's freshness by its report's last poll time, so
// Heartbeat should stay below the max_age it is judged against.
type UploadReporter struct {
	Uploader ReportUploader
	// Heartbeat is DefaultReportHeartbeat when zero.
	Heartbeat time.Duration

	mu     sync.Mutex
	sent   []byte // the last report sent, its times cleared
	sentAt time.Time
}

var _ Reporter = (*UploadReporter)(nil)

// Send encodes rep as ReadReport expects it and uploads it with logPath,
// unless it is a repeat within Heartbeat (judged by rep.At).
func (u *UploadReporter) Send(ctx context.Context, rep HostReport, logPath string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	key := reportKey(rep)
	u.mu.Lock()
	repeat := logPath == "" && bytes.Equal(key, u.sent) && rep.At.Sub(u.sentAt) < cmp.Or(u.Heartbeat, DefaultReportHeartbeat)
	u.mu.Unlock()
	if repeat {
		return nil
	}
	if err := u.Uploader.UploadReport(ctx, append(data, '\n'), logPath); err != nil {
		return err
	}
	u.mu.Lock()
	u.sent, u.sentAt = key, rep.At
	u.mu.Unlock()
	return nil
}

// reportKey is what a report says, without the times that advance with
// every poll.
func reportKey(rep HostReport) []byte {
	rep.At, rep.LastPoll = time.Time{}, time.Time{}
	data, _ := json.Marshal(rep)
	return data
}

// Reporters sends each report to every reporter at once, so that one
// that hangs until the deadline does not starve the others; one failing
// does not stop the others, and the error joins every failure, numbered
// by position.
type Reporters []Reporter

var _ Reporter = Reporters{}

func (rs Reporters) Send(ctx context.Context, rep HostReport, logPath string) error {
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() {
			if err := r.Send(ctx, rep, logPath); err != nil {
				errs[i] = fmt.Errorf("reporter %d: %w", i+1, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
