// Package docs holds berth's documentation. Its tests check the pages
// against the code: commands and flags they show exist, the error
// messages troubleshooting.md quotes come from the code, and links lead
// somewhere.
package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// pages reads every Markdown page of docs/.
func pages(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob("*.md")
	if err != nil || len(names) == 0 {
		t.Fatalf("no pages: %v", err)
	}
	out := map[string]string{}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(data)
	}
	return out
}

var (
	fence      = regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	inlineCode = regexp.MustCompile("`([^`\n]+)`")
	indented   = regexp.MustCompile(`(?m)^(?:    |\t)(.+)$`)
	// invocation is a command line: berth at the start, after sudo or a
	// shell operator, so that prose quoted in code ("berth never ...") is
	// not taken for one.
	word       = regexp.MustCompile(`^[a-z][a-z-]*$`)
	invocation = regexp.MustCompile(`(?:^\s*|sudo |&& |; |\$ )berth ([a-z][a-z-]*)((?:\s+[^\s#]+)*)`)
)

// codeLines lists the lines of code in a page: fenced and indented blocks
// and inline code spans.
func codeLines(page string) []string {
	var lines []string
	for _, m := range fence.FindAllStringSubmatch(page, -1) {
		lines = append(lines, strings.Split(m[1], "\n")...)
	}
	for _, re := range []*regexp.Regexp{inlineCode, indented} {
		for _, m := range re.FindAllStringSubmatch(page, -1) {
			lines = append(lines, m[1])
		}
	}
	return lines
}

// invocations maps each berth subcommand shown in the docs to the flags
// shown with it.
func invocations(t *testing.T) map[string][]string {
	seen := map[string][]string{}
	for _, page := range pages(t) {
		for _, line := range codeLines(page) {
			line, _, _ = strings.Cut(line, " #")
			for _, m := range invocation.FindAllStringSubmatch(line, -1) {
				cmd := m[1]
				if f := strings.Fields(m[2]); len(f) > 0 && word.MatchString(f[0]) {
					cmd += " " + f[0] // a subcommand, or a plain argument: see commandOf
				}
				seen[cmd] = append(seen[cmd], flagsIn(m[2])...)
			}
		}
	}
	return seen
}

func flagsIn(args string) []string {
	var flags []string
	for _, f := range strings.Fields(args) {
		if strings.HasPrefix(f, "-") {
			f, _, _ = strings.Cut(f, "=")
			flags = append(flags, f)
		}
	}
	return flags
}

// TestCommandsExist runs `berth CMD --help` for every command the pages
// show and looks for each flag shown with it.
func TestCommandsExist(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "berth")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/berth").CombinedOutput(); err != nil {
		t.Fatalf("build berth: %v\n%s", err, out)
	}
	inv := invocations(t)
	if len(inv) < 5 {
		t.Fatalf("found only %d berth commands in the docs: %v", len(inv), inv)
	}
	for shown, flags := range inv {
		cmd := commandOf(bin, shown)
		out, err := exec.Command(bin, append(strings.Fields(cmd), "--help")...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "berth "+cmd) {
			t.Errorf("docs show `berth %s`, which is not a command: %v\n%s", cmd, err, out)
			continue
		}
		for _, f := range flags {
			if !hasFlag(string(out), f) {
				t.Errorf("docs show `berth %s %s`, but %s has no such flag", cmd, f, cmd)
			}
		}
	}
}

// commandOf turns "fleet status" into the command it names when fleet has
// subcommands, and "publish alpha" into "publish" when the word after the
// command is only an argument.
func commandOf(bin, shown string) string {
	cmd, sub, ok := strings.Cut(shown, " ")
	if !ok {
		return shown
	}
	out, _ := exec.Command(bin, cmd, "--help").CombinedOutput()
	if strings.Contains(string(out), "Available Commands:") && strings.Contains(string(out), "\n  "+sub+" ") {
		return shown
	}
	return cmd
}

// hasFlag finds flag in cobra's help output: "--name" or "-n, --name".
func hasFlag(help, flag string) bool {
	if strings.HasPrefix(flag, "--") {
		return strings.Contains(help, "  "+flag+" ") || strings.Contains(help, ", "+flag+" ")
	}
	return strings.Contains(help, "  "+flag+", ")
}

// TestTroubleshootingMessagesComeFromCode checks that each message quoted
// in a troubleshooting.md heading is made of text found in berth's Go
// string literals, so a reworded error cannot leave the page behind.
func TestTroubleshootingMessagesComeFromCode(t *testing.T) {
	pieces := literalPieces(t, "..")
	data, err := os.ReadFile("troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("(?m)^### [0-9]+\\. `([^`]+)`")
	found := heading.FindAllStringSubmatch(string(data), -1)
	if len(found) < 10 {
		t.Fatalf("troubleshooting.md: got %d quoted errors, want at least 10", len(found))
	}
	for _, m := range found {
		for _, frag := range strings.Split(m[1], "...") {
			if len(strings.TrimSpace(frag)) < 20 {
				continue
			}
			if !slices.ContainsFunc(pieces, func(p string) bool { return strings.Contains(frag, p) }) {
				t.Errorf("troubleshooting.md: %q: no part of it is a message in the code", frag)
			}
		}
	}
}

// literalPieces returns the constant parts, 12 characters or longer, of
// the string literals in the non-test Go files under root: the text
// between format verbs.
func literalPieces(t *testing.T, root string) []string {
	t.Helper()
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	var pieces []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				for _, p := range verb.Split(s, -1) {
					if p = strings.Trim(p, " :;,"); len(p) >= 12 {
						pieces = append(pieces, p)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pieces
}

// pending are pages other parts of the project add; until they exist,
// links to them are reported, not failed.
var pending = []string{"sftp.md", "files.md", "webhook.md", "control.md", "metrics.md", "health.md", "hooks.md", "reports.md", "prebuilt.md", "trust.md"}

// TestLinksResolve checks that relative links between pages, and to files
// of the repository, lead to something that exists.
func TestLinksResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	for name, page := range pages(t) {
		for _, m := range link.FindAllStringSubmatch(page, -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			_, err := os.Stat(target)
			switch {
			case err == nil:
			case slices.Contains(pending, target):
				t.Logf("%s: links to %s, which is not written yet", name, target)
			default:
				t.Errorf("%s: link to %s: %v", name, target, err)
			}
		}
	}
}

// TestIndexListsEveryPage keeps docs/README.md an index of all pages.
func TestIndexListsEveryPage(t *testing.T) {
	index := pages(t)["README.md"]
	for name := range pages(t) {
		if name != "README.md" && !strings.Contains(index, "("+name+")") {
			t.Errorf("docs/README.md does not link %s", name)
		}
	}
}
