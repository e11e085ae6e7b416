package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// ReportUploader puts a report, as bytes, and an attempt's log where the
// admin collects them; the SFTP source's UploadReport is one, writing
// into the host's reports/ directory with the source's credentials.
type ReportUploader interface {
	UploadReport(ctx context.Context, report []byte, logPath string) error
}

// UploadReporter sends each report, as the JSON berth fleet status
// reads, through an uploader, with the attempt's log when there is one.
type UploadReporter struct{ Uploader ReportUploader }

var _ Reporter = UploadReporter{}

// Send encodes rep as ReadReport expects it and uploads it with logPath.
func (u UploadReporter) Send(ctx context.Context, rep HostReport, logPath string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return u.Uploader.UploadReport(ctx, append(data, '\n'), logPath)
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
