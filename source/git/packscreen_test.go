package gitsource

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source/conformance"
)

// packObject is one entry of a pack written by buildPack: a whole object
// (typ 1-4) or a delta against base (typ 7, REF_DELTA).
type packObject struct {
	typ  int
	base [20]byte
	data []byte // content, or delta instructions
}

// buildPack writes a version 2 pack of objs.
func buildPack(objs ...packObject) []byte {
	var b bytes.Buffer
	b.WriteString("PACK")
	binary.Write(&b, binary.BigEndian, uint32(2))
	binary.Write(&b, binary.BigEndian, uint32(len(objs)))
	for _, o := range objs {
		size := len(o.data)
		c := byte(o.typ<<4) | byte(size&0x0f)
		for size >>= 4; size > 0; size >>= 7 {
			b.WriteByte(c | 0x80)
			c = byte(size & 0x7f)
		}
		b.WriteByte(c)
		if o.typ == 7 {
			b.Write(o.base[:])
		}
		z := zlib.NewWriter(&b)
		z.Write(o.data)
		z.Close()
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

func varint(n int) []byte {
	var out []byte
	for ; n >= 0x80; n >>= 7 {
		out = append(out, byte(n)|0x80)
	}
	return append(out, byte(n))
}

func blobID(content []byte) [20]byte {
	return sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(content))), content...))
}

// bloatingPack is a pack of a few kilobytes holding an 8 MiB blob of
// zeros and a delta against it that declares, and really builds, a
// result of copies*8 MiB.
func bloatingPack(copies int) ([]byte, [20]byte) {
	base := make([]byte, 8<<20)
	delta := append(varint(len(base)), varint(copies*len(base))...)
	for i := 0; i < copies; i++ {
		delta = append(delta, 0x80|0x40, 0x80) // copy 0x80<<16 bytes from offset 0
	}
	id := blobID(base)
	return buildPack(packObject{typ: 3, data: base}, packObject{typ: 7, base: id, data: delta}), id
}

// TestHostilePackIsRefusedBeforeUnpacking: the real git server sends a
// pack of a few kilobytes whose delta unpacks to 64 MiB, over a 32 MiB
// object limit. The fetch is refused, Stalling, naming the delta, and the
// agent never builds the result: its heap does not grow by anything like
// the declared size, and nothing of the fetch is kept.
func TestHostilePackIsRefusedBeforeUnpacking(t *testing.T) {
	repo := testserver.NewRepo(t)
	repo.WriteFile(conformance.HostDir+"/flake.nix", "{ }")
	repo.Commit("first")
	repo.Push()
	pack, baseID := bloatingPack(8)
	t.Logf("the pack is %d bytes", len(pack))
	hostileCommit(t, repo.BareDir(), pack, baseID)
	srv := testserver.StartGitHTTP(t, repo, "")

	cfg := baseConfig(t, srv.URL())
	cfg.MaxObjectBytes = 32 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := newSource(t, cfg).Fetch(context.Background())
	runtime.ReadMemStats(&after)
	if fault.ClassOf(err) != fault.Stalling || !strings.Contains(err.Error(), "a delta declares a 8388608-byte base and a 67108864-byte result") {
		t.Errorf("got %v, want a stalling refusal of the delta", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 32<<20 {
		t.Errorf("the fetch allocated %d MiB", grown>>20)
	}
	if n := dirSize(cfg.StateDir); n != 0 {
		t.Errorf("%d bytes of the refused fetch were kept", n)
	}
}

// hostileCommit stores pack in the bare repository (git indexes it and
// keeps the delta as it is, so the server sends it on) and makes main a
// commit whose host directory holds its two blobs.
func hostileCommit(t *testing.T, bare string, pack []byte, baseID [20]byte) {
	t.Helper()
	run := func(stdin string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Stdin = bare, strings.NewReader(stdin)
		cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t.invalid",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t.invalid")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	cmd := exec.Command("git", "index-pack", "--stdin")
	cmd.Dir, cmd.Stdin = bare, bytes.NewReader(pack)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git index-pack: %v\n%s", err, out)
	}
	bigID := deltaID(t, run("", "verify-pack", "-v", "--", packWithDelta(t, bare)))
	flake := run("{ }", "hash-object", "-w", "--stdin")
	host := run(fmt.Sprintf("100644 blob %s\tflake.nix\n100644 blob %x\tbase\n100644 blob %s\tbig\n", flake, baseID, bigID), "mktree")
	hosts := run(fmt.Sprintf("040000 tree %s\t%s\n", host, conformance.HostDir[strings.Index(conformance.HostDir, "/")+1:]), "mktree")
	root := run(fmt.Sprintf("040000 tree %s\t%s\n", hosts, conformance.HostDir[:strings.Index(conformance.HostDir, "/")]), "mktree")
	head := run("", "rev-parse", testserver.Branch)
	c := run("", "commit-tree", root, "-p", head, "-m", "hostile")
	run("", "update-ref", "refs/heads/"+testserver.Branch, c)
}

// packWithDelta returns the index of the pack in bare that holds a delta.
func packWithDelta(t *testing.T, bare string) string {
	t.Helper()
	idx, _ := filepath.Glob(filepath.Join(bare, "objects/pack/*.idx"))
	for _, p := range idx {
		if o, _ := exec.Command("git", "-C", bare, "verify-pack", "-v", p).Output(); strings.Contains(string(o), "chain length = 1") {
			return p
		}
	}
	t.Fatalf("no pack with a delta among %v", idx)
	return ""
}

// deltaID returns the id of the delta in `git verify-pack -v` output,
// whose lines for deltas read "id type size size-in-pack offset depth
// base".
func deltaID(t *testing.T, verifyPack string) string {
	t.Helper()
	for _, l := range strings.Split(verifyPack, "\n") {
		if f := strings.Fields(l); len(f) == 7 && f[1] == "blob" {
			return f[0]
		}
	}
	t.Fatalf("no delta in the indexed pack:\n%s", verifyPack)
	return ""
}

// FuzzScreenPack: the pack screen reads any bytes without panicking or
// growing, and refuses what it cannot read as the remote's fault.
func FuzzScreenPack(f *testing.F) {
	base := []byte("hello, world\n")
	delta := append(append(varint(len(base)), varint(5)...), 0x90, 5) // copy 5 bytes from offset 0
	f.Add(buildPack(packObject{typ: 3, data: base}, packObject{typ: 7, base: blobID(base), data: delta}))
	f.Add(buildPack(packObject{typ: 7, data: append(varint(1), varint(1<<40)...)}))
	f.Add(buildPack(packObject{typ: 1, data: []byte("tree 0000\n")}))
	f.Add([]byte("PACK\x00\x00\x00\x02\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, pack []byte) {
		err := screenPack(bytes.NewReader(pack), packLimits{object: 1 << 10, total: 4 << 10})
		if err != nil && fault.ClassOf(err) == fault.Unknown {
			t.Errorf("an unclassified error: %v", err)
		}
	})
}

// TestScreenPackDeclarations: screenPack accepts small objects and deltas
// and refuses each kind of oversized declaration, naming it; a pack it
// cannot read is Transient.
func TestScreenPackDeclarations(t *testing.T) {
	base := []byte("hello, world\n")
	copy5 := append(append(varint(len(base)), varint(5)...), 0x90, 5)
	cases := []struct {
		name string
		pack []byte
		want string
	}{
		{"small objects", buildPack(packObject{typ: 3, data: base}, packObject{typ: 7, base: blobID(base), data: copy5}), ""},
		{"large blob", buildPack(packObject{typ: 3, data: make([]byte, 2000)}), "declares 2000 bytes, more than the limit of 1024"},
		{"large delta result", buildPack(packObject{typ: 7, data: append(varint(1), varint(1<<32)...)}), "a 1-byte base and a 4294967296-byte result"},
		{"large delta base", buildPack(packObject{typ: 7, data: append(varint(1<<20), varint(1)...)}), "a 1048576-byte base"},
		{"too much in all", buildPack(packObject{typ: 3, data: make([]byte, 1000)}, packObject{typ: 3, data: make([]byte, 1000)}), "add up to more than 1500 bytes"},
	}
	for _, c := range cases {
		err := screenPack(bytes.NewReader(c.pack), packLimits{object: 1 << 10, total: 1500})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || fault.ClassOf(err) != fault.Stalling):
			t.Errorf("%s: got %v, want a stalling refusal with %q", c.name, err, c.want)
		}
	}
	if err := screenPack(strings.NewReader("hello"), packLimits{}); fault.ClassOf(err) != fault.Transient {
		t.Errorf("not a pack: got %v, want a Transient error", err)
	}
}

// TestHostilePackRefusedOverProtocolV2 sends the same pack to a fetch
// that follows a poll, which fetches by protocol version 2: first as the
// repository's first fetch (a complete pack), then as an incremental one
// (a thin pack resolved into loose objects). Both are screened before
// go-git reads them.
func TestHostilePackRefusedOverProtocolV2(t *testing.T) {
	for _, incremental := range []bool{false, true} {
		t.Run(fmt.Sprintf("incremental=%v", incremental), func(t *testing.T) {
			repo := testserver.NewRepo(t)
			repo.WriteFile(conformance.HostDir+"/flake.nix", "{ }")
			repo.Commit("first")
			repo.Push()
			srv := testserver.StartGitHTTP(t, repo, "")
			cfg := baseConfig(t, srv.URL())
			cfg.MaxObjectBytes = 32 << 20
			src := newSource(t, cfg)
			if incremental {
				if _, err := src.Poll(context.Background()); err != nil {
					t.Fatal(err)
				}
				if _, err := src.Fetch(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			pack, baseID := bloatingPack(8)
			hostileCommit(t, repo.BareDir(), pack, baseID)
			if _, err := src.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := src.Fetch(context.Background())
			runtime.ReadMemStats(&after)
			if fault.ClassOf(err) != fault.Stalling || !strings.Contains(err.Error(), "67108864-byte result") {
				t.Errorf("got %v, want a stalling refusal of the delta", err)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 32<<20 {
				t.Errorf("the fetch allocated %d MiB", grown>>20)
			}
		})
	}
}
