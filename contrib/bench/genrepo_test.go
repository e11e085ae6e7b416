package bench

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
)

// bigRepo shapes a generated fleet repository.
type bigRepo struct {
	Hosts, Commits, CommitBytes int
	// Refs is how many references the remote has besides main (release
	// tags, as a fleet that tags its deployments has).
	Refs int
}

// generate writes the repository's history into the bare repository at
// bare with `git fast-import`: a first commit with every host (flake.nix,
// host.nix, a small files/ tree), then Commits-1 commits that each rewrite
// one host's host.nix, a text file of about CommitBytes whose lines
// mostly stay the same from one commit to the next: what admins commit to
// a fleet repository.
func (b bigRepo) generate(t testing.TB, bare string) {
	t.Helper()
	b.fastImport(t, bare, func(w *bufio.Writer, rng *rand.Rand) {
		commitHeader(w, "fleet: initial", 0, "")
		for h := range b.Hosts {
			d := "hosts/" + hostName(h)
			inline(w, d+"/flake.nix", []byte(fmt.Sprintf("{ outputs = _: { host = %q; }; }\n", hostName(h))))
			inline(w, d+"/host.nix", []byte(fmt.Sprintf("{ name = %q; }\n", hostName(h))))
			inline(w, d+"/files/etc/motd", []byte("welcome to "+hostName(h)+"\n"))
		}
		for i := 1; i < b.Commits; i++ {
			b.change(w, rng, i, "")
		}
	})
}

// addCommit appends one commit changing one host, on top of main.
func (b bigRepo) addCommit(t testing.TB, bare string, i int) {
	t.Helper()
	b.fastImport(t, bare, func(w *bufio.Writer, rng *rand.Rand) {
		b.change(w, rng, i, "refs/heads/main^0")
	})
}

// change writes commit number i, changing host i mod Hosts's host.nix:
// one setting of its lines takes a new value.
func (b bigRepo) change(w *bufio.Writer, rng *rand.Rand, i int, from string) {
	h := hostName(i % b.Hosts)
	commitHeader(w, "change "+h, i, from)
	changed := rng.IntN(max(b.CommitBytes/32, 1))
	var text []byte
	text = fmt.Appendf(text, "{ name = %q; generation = %d;\n", h, i)
	for n := 0; len(text) < b.CommitBytes; n++ {
		v := n
		if n == changed {
			v = i
		}
		text = fmt.Appendf(text, "  services.app%d.port = %d;\n", n, 8000+v)
	}
	text = append(text, "}\n"...)
	inline(w, "hosts/"+h+"/host.nix", text)
}

func (b bigRepo) fastImport(t testing.TB, bare string, write func(*bufio.Writer, *rand.Rand)) {
	t.Helper()
	cmd := exec.Command("git", "fast-import", "--quiet", "--done")
	cmd.Dir = bare
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	in, err := cmd.StdinPipe()
	must(t, err, "fast-import")
	cmd.Stderr = os.Stderr
	must(t, cmd.Start(), "fast-import")
	w := bufio.NewWriterSize(in, 1<<20)
	write(w, rand.New(rand.NewPCG(uint64(b.Commits), uint64(os.Getpid()))))
	io.WriteString(w, "done\n")
	must(t, w.Flush(), "fast-import input")
	in.Close()
	must(t, cmd.Wait(), "fast-import")
}

func commitHeader(w *bufio.Writer, msg string, i int, from string) {
	fmt.Fprintf(w, "commit refs/heads/main\ncommitter bench <bench@berth.invalid> %d +0000\ndata %d\n%s\n",
		1700000000+i*60, len(msg), msg)
	if from != "" {
		fmt.Fprintf(w, "from %s\n", from)
	}
}

func inline(w *bufio.Writer, path string, data []byte) {
	fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n", path, len(data))
	w.Write(data)
	w.WriteByte('\n')
}
