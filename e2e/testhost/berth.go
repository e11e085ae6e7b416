package testhost

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"text/template"
	"time"
)

// UnitTemplate is berth.service as the NixOS module installs it. The agent
// must survive the switches it starts: X-RestartIfChanged=false and
// X-StopOnRemoval=false tell switch-to-configuration to leave it running.
const UnitTemplate = `[Unit]
Description=berth GitOps agent
Wants=network-online.target
After=network-online.target
X-RestartIfChanged=false
X-StopOnRemoval=false

[Service]
Type={{.Type}}
NotifyAccess=main
ExecStart={{.ExecStart}}
Restart=on-failure
RestartSec=2
MemoryMax=3G
StateDirectory=berth
Environment=PATH={{.Path}}
{{- if .WatchdogSec}}
WatchdogSec={{.WatchdogSec}}
{{- end}}

[Install]
WantedBy=multi-user.target
`

// UnitOptions fill UnitTemplate.
type UnitOptions struct {
	// Type is the service type; default "notify".
	Type string
	// Args follow /usr/local/bin/berth on ExecStart; default ["agent"].
	Args []string
	// WatchdogSec enables systemd's watchdog when positive; only set it for
	// a binary that sends WATCHDOG=1.
	WatchdogSec time.Duration
}

// Unit renders berth.service from UnitTemplate.
func Unit(o UnitOptions) string {
	if o.Type == "" {
		o.Type = "notify"
	}
	if len(o.Args) == 0 {
		o.Args = []string{"agent"}
	}
	data := map[string]any{
		"Type":      o.Type,
		"ExecStart": strings.Join(append([]string{"/usr/local/bin/berth"}, o.Args...), " "),
		"Path":      "/usr/local/bin:/run/current-system/sw/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	}
	if o.WatchdogSec > 0 {
		data["WatchdogSec"] = o.WatchdogSec.String()
	}
	var b bytes.Buffer
	template.Must(template.New("unit").Parse(UnitTemplate)).Execute(&b, data)
	return b.String()
}

// InstallBerth installs binary as /usr/local/bin/berth, configYAML as
// /etc/berth/config.yaml and berth.service with default UnitOptions, then
// enables and starts the service, failing t (with the unit's journal) if
// it does not start.
func (h *Host) InstallBerth(t testing.TB, binary string, configYAML []byte) {
	t.Helper()
	h.InstallBerthWith(t, binary, configYAML, UnitOptions{})
}

// InstallBerthWith is InstallBerth with unit options.
func (h *Host) InstallBerthWith(t testing.TB, binary string, configYAML []byte, o UnitOptions) {
	t.Helper()
	if err := h.CopyIn(binary, "/usr/local/bin/berth"); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteFile("/etc/berth/config.yaml", configYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteFile("/etc/systemd/system/berth.service", []byte(Unit(o)), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Run(t, "systemctl", "daemon-reload")
	h.Run(t, "systemctl", "enable", "berth.service")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if _, err := h.Exec(ctx, "systemctl", "start", "berth.service"); err != nil {
		t.Fatalf("%v\njournal:\n%s", err, h.Journal(t, "berth.service"))
	}
}
