package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Row is one figure of the report: berth's median beside its baseline's.
type Row struct {
	Item     int     `json:"item"`
	Scenario string  `json:"scenario"`
	Metric   string  `json:"metric"`
	Unit     string  `json:"unit"`
	Berth    float64 `json:"berth"`
	Baseline string  `json:"baseline,omitempty"`
	Base     float64 `json:"baseline_value,omitempty"`
	// Ratio is Berth / Base; 0 when there is no baseline value.
	Ratio float64 `json:"ratio,omitempty"`
	// Better says which direction is good: "lower" or "higher".
	Better string `json:"better"`
	Note   string `json:"note,omitempty"`
}

// Report is the whole run, as written to JSON.
type Report struct {
	Mode    string    `json:"mode"`
	Date    time.Time `json:"date"`
	Cores   int       `json:"cores"`
	Load    string    `json:"load_before"`
	LoadEnd string    `json:"load_after"`
	Kernel  string    `json:"kernel"`
	Rounds  int       `json:"rounds"`
	Rows    []Row     `json:"rows"`
	Skipped []string  `json:"skipped,omitempty"`
}

var (
	reportMu sync.Mutex
	report   = Report{Date: time.Now().UTC(), Cores: runtime.NumCPU()}
)

// add records a row, computing its ratio.
func add(r Row) {
	if r.Better == "" {
		r.Better = "lower"
	}
	if r.Base != 0 {
		r.Ratio = r.Berth / r.Base
	}
	reportMu.Lock()
	defer reportMu.Unlock()
	report.Rows = append(report.Rows, r)
}

// skipped notes a benchmark that could not run, with why.
func skipped(what string) {
	reportMu.Lock()
	defer reportMu.Unlock()
	report.Skipped = append(report.Skipped, what)
}

// writeReport writes report.json and report.md into dir.
func writeReport(dir string) error {
	reportMu.Lock()
	defer reportMu.Unlock()
	report.LoadEnd = loadAvg()
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), data, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(markdown(report)), 0o644)
}

// markdown renders r as the table docs/performance.md carries.
func markdown(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Mode %s, %s, %d cores, kernel %s, %d interleaved rounds (medians).\n",
		r.Mode, r.Date.Format("2006-01-02 15:04 UTC"), r.Cores, r.Kernel, r.Rounds)
	fmt.Fprintf(&b, "Load average before: %s; after: %s.\n\n", r.Load, r.LoadEnd)
	b.WriteString("| # | scenario | metric | berth | baseline | baseline value | berth ÷ baseline |\n")
	b.WriteString("|---|---|---|---:|---|---:|---:|\n")
	for _, row := range r.Rows {
		ratio := ""
		if row.Ratio != 0 {
			ratio = fmt.Sprintf("%.3g (%s is better)", row.Ratio, row.Better)
		}
		base := ""
		if row.Baseline != "" && row.Base != 0 {
			base = num(row.Base) + " " + row.Unit
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s %s | %s | %s | %s |\n", row.Item, row.Scenario, row.Metric,
			num(row.Berth), row.Unit, row.Baseline, base, ratio)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "\nNot measured: %s\n", s)
	}
	return b.String()
}

// num prints v with about three significant digits.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1000 || v == float64(int64(v)):
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:3], " ")
}
