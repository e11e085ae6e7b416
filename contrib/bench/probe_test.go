package bench

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds contrib/bench/probe and cmd/berth once per run into a
// temporary directory and returns it. berth is built statically, as for
// the test host.
func binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "berth-bench-bin-")
		for _, b := range [][2]string{{"probe", "./probe"}, {"berth", "../../cmd/berth"}} {
			if buildErr != nil {
				return
			}
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, b[0]), b[1])
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = &cmdErr{cmd.String(), err, string(out)}
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

type cmdErr struct {
	cmd string
	err error
	out string
}

func (e *cmdErr) Error() string { return e.cmd + ": " + e.err.Error() + "\n" + e.out }

// probeConfig mirrors contrib/bench/probe's Config.
type probeConfig struct {
	Git      any    `json:"git,omitempty"`
	SFTP     any    `json:"sftp,omitempty"`
	StateDir string `json:"state_dir,omitempty"`
}

// probeReply mirrors contrib/bench/probe's Reply.
type probeReply struct {
	Wall   time.Duration `json:"wall_ns"`
	CPU    time.Duration `json:"cpu_ns"`
	Out    string        `json:"out"`
	Err    string        `json:"err"`
	Count  int           `json:"count"`
	Errors int           `json:"errors"`
	RSSKB  int64         `json:"rss_kb"`
	HWMKB  int64         `json:"hwm_kb"`
}

// writeProbeConfig writes c to a fresh file and returns its path.
func writeProbeConfig(t testing.TB, c probeConfig) string {
	t.Helper()
	data, err := json.Marshal(c)
	must(t, err, "probe config")
	p := filepath.Join(t.TempDir(), "probe.json")
	must(t, os.WriteFile(p, data, 0o600), "probe config")
	return p
}

// liveProbe is a probe process serving requests, as a long-lived agent
// would make them.
type liveProbe struct {
	t   testing.TB
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startProbe(t testing.TB, configPath string) *liveProbe {
	t.Helper()
	cmd := exec.Command(filepath.Join(binaries(t), "probe"), "-config", configPath)
	in, err := cmd.StdinPipe()
	must(t, err, "probe stdin")
	out, err := cmd.StdoutPipe()
	must(t, err, "probe stdout")
	cmd.Stderr = os.Stderr
	must(t, cmd.Start(), "start probe")
	p := &liveProbe{t: t, cmd: cmd, in: in, out: bufio.NewScanner(out)}
	p.out.Buffer(make([]byte, 1<<20), 1<<20)
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	return p
}

// do sends one request and returns the reply, failing the test on an
// error unless mayFail.
func (p *liveProbe) do(req map[string]any, mayFail bool) probeReply {
	p.t.Helper()
	data, _ := json.Marshal(req)
	_, err := p.in.Write(append(data, '\n'))
	must(p.t, err, "probe request")
	if !p.out.Scan() {
		p.t.Fatalf("probe exited: %v", p.out.Err())
	}
	var rep probeReply
	must(p.t, json.Unmarshal(p.out.Bytes(), &rep), "probe reply")
	if rep.Err != "" && !mayFail {
		p.t.Fatalf("probe %v: %s", req, rep.Err)
	}
	return rep
}

// op runs one operation and returns its in-process cost.
func (p *liveProbe) op(name string) sample {
	p.t.Helper()
	r := p.do(map[string]any{"op": name}, false)
	return sample{Wall: r.Wall, CPU: r.CPU}
}

// opCold runs one operation started as after 30 s of idling.
func (p *liveProbe) opCold(name string) sample {
	p.t.Helper()
	r := p.do(map[string]any{"op": name, "cold": true}, false)
	return sample{Wall: r.Wall, CPU: r.CPU}
}

// probeOnce runs one operation in a fresh probe process, measured from
// outside like any command, peak RSS included.
func probeOnce(t testing.TB, configPath, op string) sample {
	t.Helper()
	return runMem(t, exec.Command(filepath.Join(binaries(t), "probe"), "-config", configPath, "-once", op))
}
