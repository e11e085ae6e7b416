package nixos

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/berth-nix/berth/internal/fault"
)

// Generation is one numbered generation of a Nix profile: the link
// <profile>-<Number>-link and the store path it points at.
type Generation struct {
	Number int
	Link   string
	System string
}

// Generations lists the generations of profile, oldest first, by reading
// the <profile>-N-link siblings Nix keeps beside it. A link that no longer
// resolves into the store is listed with System "".
func Generations(profile string) ([]Generation, error) {
	dir, base := filepath.Split(profile)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("generations of %s: %w", profile, err)
	}
	var gens []Generation
	for _, e := range entries {
		n, ok := generationNumber(base, e.Name())
		if !ok {
			continue
		}
		link := filepath.Join(dir, e.Name())
		target, _ := filepath.EvalSymlinks(link)
		if !IsStorePath(target) {
			target = ""
		}
		gens = append(gens, Generation{Number: n, Link: link, System: target})
	}
	slices.SortFunc(gens, func(a, b Generation) int { return a.Number - b.Number })
	return gens, nil
}

// generationNumber parses "<base>-<N>-link".
func generationNumber(base, name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, base+"-")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, "-link")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil && n > 0
}

// CurrentGeneration returns the number of the generation profile points
// at, 0 if it points at none.
func CurrentGeneration(profile string) int {
	target, err := os.Readlink(profile)
	if err != nil {
		return 0
	}
	n, _ := generationNumber(filepath.Base(profile), filepath.Base(target))
	return n
}

// Prunable returns the numbers of the generations to delete so that the
// newest keep remain, never deleting current (a generation number) or a
// generation whose system is one of protect. keep < 1 deletes nothing.
func Prunable(gens []Generation, keep, current int, protect []string) []int {
	if keep < 1 || len(gens) <= keep {
		return nil
	}
	var drop []int
	for _, g := range gens[:len(gens)-keep] {
		if g.Number == current || (g.System != "" && slices.Contains(protect, g.System)) {
			continue
		}
		drop = append(drop, g.Number)
	}
	return drop
}

// DeleteGenerations removes the given generations of profile with
// `nix-env -p <profile> --delete-generations N...`, which refuses to
// delete the current one. Their store paths stay until garbage is
// collected.
func (n *Nix) DeleteGenerations(ctx context.Context, profile string, numbers []int, log io.Writer) error {
	if len(numbers) == 0 {
		return nil
	}
	nixEnv, err := n.nixEnv()
	if err != nil {
		return fault.Transientf("delete generations of %s: %w", profile, err)
	}
	args := []string{"-p", profile, "--delete-generations"}
	for _, g := range numbers {
		args = append(args, strconv.Itoa(g))
	}
	if tail, err := n.run(ctx, nixEnv, args, nil, log); err != nil {
		return fault.Transientf("nix-env %s: %v\n%s", strings.Join(args, " "), err, tail)
	}
	return nil
}

// CollectGarbage deletes every store path no root keeps alive, with
// `nix-store --gc`.
func (n *Nix) CollectGarbage(ctx context.Context, log io.Writer) error {
	nixStore, err := n.tool("nix-store")
	if err != nil {
		return fault.Transientf("collect garbage: %w", err)
	}
	if tail, err := n.run(ctx, nixStore, []string{"--gc"}, nil, log); err != nil {
		return fault.Transientf("nix-store --gc: %v\n%s", err, tail)
	}
	return nil
}

// tool finds another Nix command (nix-env, nix-store) beside the
// configured nix binary, then on PATH.
func (n *Nix) tool(name string) (string, error) {
	nix, err := exec.LookPath(n.command())
	if err == nil {
		if real, rerr := filepath.EvalSymlinks(nix); rerr == nil {
			nix = real
		}
		beside := filepath.Join(filepath.Dir(nix), name)
		if isExecutable(beside) {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found beside nix or on PATH", name)
}

// FreeBytes returns the space available to unprivileged users on the
// file system holding path.
func FreeBytes(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", path, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
