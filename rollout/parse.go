package rollout

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is a problem with one key of the policy, at a line of the file.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
}

// parser walks the YAML nodes, so that every error carries the line of
// the key it is about.
type parser struct {
	file string
	p    *Policy
}

func (ps *parser) errf(n *yaml.Node, key, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: ps.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Parse decodes and validates a policy; name is the file name used in
// errors. Unknown keys, aliases, duplicate keys and references to
// undefined groups or later waves are errors.
func Parse(name string, data []byte) (*Policy, error) {
	ps := &parser{file: name, p: &Policy{Tags: map[string][]string{}, Groups: map[string]*Group{}, Location: time.UTC}}
	if len(data) > MaxSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: name, Msg: "empty policy: it needs at least one wave"}
	}
	if err := ps.mapping(doc.Content[0], "", map[string]func(*yaml.Node, string) error{
		"timezone": ps.timezone,
		"tags":     ps.tags,
		"groups":   ps.groups,
		"waves":    ps.waves,
	}); err != nil {
		return nil, err
	}
	if len(ps.p.Waves) == 0 {
		return nil, ps.errf(doc.Content[0], "waves", "at least one wave is required")
	}
	return ps.p, nil
}

// mapping checks that n is a mapping whose keys are all in fields, each
// once, and calls each field's function with its value.
func (ps *parser) mapping(n *yaml.Node, prefix string, fields map[string]func(*yaml.Node, string) error) error {
	if err := ps.kind(n, prefix, yaml.MappingNode, "a mapping"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := join(prefix, k.Value)
		if k.Kind != yaml.ScalarNode {
			return ps.errf(k, prefix, "keys must be plain strings")
		}
		f, ok := fields[k.Value]
		if !ok {
			return ps.errf(k, key, "unknown key")
		}
		if seen[k.Value] {
			return ps.errf(k, key, "given twice")
		}
		seen[k.Value] = true
		if err := f(v, key); err != nil {
			return err
		}
	}
	return nil
}

func (ps *parser) kind(n *yaml.Node, key string, want yaml.Kind, what string) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return ps.errf(n, key, "anchors and aliases are not allowed")
	}
	if n.Kind != want {
		return ps.errf(n, key, "must be %s", what)
	}
	return nil
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func (ps *parser) scalar(n *yaml.Node, key string) (string, error) {
	if err := ps.kind(n, key, yaml.ScalarNode, "a scalar"); err != nil {
		return "", err
	}
	return n.Value, nil
}

func (ps *parser) name(n *yaml.Node, key string) (string, error) {
	s, err := ps.scalar(n, key)
	if err == nil && !nameRE.MatchString(s) {
		err = ps.errf(n, key, "%q is not a valid name (letters, digits, '.', '_', '-')", s)
	}
	return s, err
}

// list decodes a sequence of scalars, each checked by check.
func (ps *parser) list(n *yaml.Node, key string, check func(*yaml.Node, string) (string, error)) ([]string, error) {
	if err := ps.kind(n, key, yaml.SequenceNode, "a list"); err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for i, item := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		s, err := check(item, k)
		if err != nil {
			return nil, err
		}
		if seen[s] {
			return nil, ps.errf(item, k, "%q is listed twice", s)
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, nil
}

func (ps *parser) duration(n *yaml.Node, key string) (time.Duration, error) {
	s, err := ps.scalar(n, key)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > 365*24*time.Hour {
		return 0, ps.errf(n, key, "must be a duration between 0s and 8760h, got %q", s)
	}
	return d, nil
}

func (ps *parser) timezone(n *yaml.Node, key string) error {
	s, err := ps.scalar(n, key)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(s)
	if err != nil || s == "" || strings.ContainsAny(s, "\\") {
		return ps.errf(n, key, "unknown time zone %q", s)
	}
	ps.p.Location = loc
	return nil
}

func (ps *parser) tags(n *yaml.Node, key string) error {
	if err := ps.kind(n, key, yaml.MappingNode, "a mapping of host names to lists of tags"); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		host, err := ps.name(n.Content[i], key)
		if err != nil {
			return err
		}
		k := join(key, host)
		if _, dup := ps.p.Tags[host]; dup {
			return ps.errf(n.Content[i], k, "given twice")
		}
		tags, err := ps.list(n.Content[i+1], k, ps.name)
		if err != nil {
			return err
		}
		ps.p.Tags[host] = tags
	}
	return nil
}

func (ps *parser) groups(n *yaml.Node, key string) error {
	if err := ps.kind(n, key, yaml.MappingNode, "a mapping of group names to groups"); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, err := ps.name(n.Content[i], key)
		if err != nil {
			return err
		}
		k := join(key, name)
		if ps.p.Groups[name] != nil {
			return ps.errf(n.Content[i], k, "given twice")
		}
		g := &Group{Name: name}
		if err := ps.mapping(n.Content[i+1], k, map[string]func(*yaml.Node, string) error{
			"hosts": func(v *yaml.Node, key string) (err error) { g.Hosts, err = ps.list(v, key, ps.pattern); return },
			"tags":  func(v *yaml.Node, key string) (err error) { g.Tags, err = ps.list(v, key, ps.name); return },
			"delay": func(v *yaml.Node, key string) (err error) { g.Delay, err = ps.duration(v, key); return },
		}); err != nil {
			return err
		}
		if len(g.Hosts) == 0 && len(g.Tags) == 0 {
			return ps.errf(n.Content[i], k, "selects no host: give hosts or tags")
		}
		ps.p.Groups[name] = g
	}
	return nil
}

// pattern is a host name or a path.Match pattern over host names.
func (ps *parser) pattern(n *yaml.Node, key string) (string, error) {
	s, err := ps.scalar(n, key)
	if err != nil {
		return "", err
	}
	if _, perr := path.Match(s, ""); perr != nil || s == "" || len(s) > 64 || strings.ContainsAny(s, "/ ") {
		return "", ps.errf(n, key, "%q is neither a host name nor a pattern such as \"laptop*\"", s)
	}
	return s, nil
}

func (ps *parser) waves(n *yaml.Node, key string) error {
	if err := ps.kind(n, key, yaml.SequenceNode, "a list of waves"); err != nil {
		return err
	}
	for i, item := range n.Content {
		w, err := ps.wave(item, fmt.Sprintf("%s[%d]", key, i))
		if err != nil {
			return err
		}
		ps.p.Waves = append(ps.p.Waves, w)
	}
	return nil
}

func (ps *parser) wave(n *yaml.Node, key string) (*Wave, error) {
	w := &Wave{}
	var groupsNode *yaml.Node
	if err := ps.mapping(n, key, map[string]func(*yaml.Node, string) error{
		"name": func(v *yaml.Node, k string) (err error) { w.Name, err = ps.name(v, k); return },
		"groups": func(v *yaml.Node, k string) (err error) {
			groupsNode = v
			w.Groups, err = ps.list(v, k, ps.groupRef)
			return
		},
		"after":          func(v *yaml.Node, k string) (err error) { w.After, err = ps.list(v, k, ps.waveRef); return },
		"soak":           func(v *yaml.Node, k string) (err error) { w.Soak, err = ps.duration(v, k); return },
		"failure_budget": func(v *yaml.Node, k string) (err error) { w.FailureBudget, err = ps.budget(v, k); return },
		"windows":        func(v *yaml.Node, k string) (err error) { w.Windows, err = ps.windows(v, k); return },
	}); err != nil {
		return nil, err
	}
	if w.Name == "" {
		return nil, ps.errf(n, key+".name", "is required")
	}
	for _, prev := range ps.p.Waves {
		if prev.Name == w.Name {
			return nil, ps.errf(n, key+".name", "wave %q is defined twice", w.Name)
		}
	}
	if len(w.Groups) == 0 {
		return nil, ps.errf(or(groupsNode, n), key+".groups", "wave %q needs at least one group", w.Name)
	}
	return w, nil
}

func or(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func (ps *parser) groupRef(n *yaml.Node, key string) (string, error) {
	s, err := ps.scalar(n, key)
	if err == nil && ps.p.Groups[s] == nil {
		err = ps.errf(n, key, "unknown group %q (groups must be defined before the waves)", s)
	}
	return s, err
}

func (ps *parser) waveRef(n *yaml.Node, key string) (string, error) {
	s, err := ps.scalar(n, key)
	if err != nil {
		return "", err
	}
	for _, w := range ps.p.Waves {
		if w.Name == s {
			return s, nil
		}
	}
	return "", ps.errf(n, key, "unknown wave %q: a wave may only follow waves listed before it", s)
}

func (ps *parser) budget(n *yaml.Node, key string) (int, error) {
	s, err := ps.scalar(n, key)
	if err != nil {
		return 0, err
	}
	b, err := strconv.Atoi(s)
	if err != nil || b < 0 || b > 1_000_000 {
		return 0, ps.errf(n, key, "must be a whole number of hosts, 0 or more, got %q", s)
	}
	return b, nil
}

func (ps *parser) windows(n *yaml.Node, key string) ([]Window, error) {
	texts, err := ps.list(n, key, ps.scalar)
	if err != nil {
		return nil, err
	}
	var out []Window
	for i, s := range texts {
		w, err := ParseWindow(s)
		if err != nil {
			return nil, ps.errf(n.Content[i], fmt.Sprintf("%s[%d]", key, i), "%v", err)
		}
		out = append(out, w)
	}
	return out, nil
}

var days = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseWindow reads "Mon-Fri 09:00-17:00", "Sat,Sun 22:00-06:00" or
// "09:00-17:00" (every day).
func ParseWindow(s string) (Window, error) {
	w := Window{Text: s}
	fields := strings.Fields(s)
	var span string
	switch len(fields) {
	case 1:
		w.Days = [7]bool{true, true, true, true, true, true, true}
		span = fields[0]
	case 2:
		if err := parseDays(fields[0], &w.Days); err != nil {
			return w, err
		}
		span = fields[1]
	default:
		return w, fmt.Errorf("window %q is not of the form \"Mon-Fri 09:00-17:00\"", s)
	}
	from, to, ok := strings.Cut(span, "-")
	var err error
	if !ok {
		return w, fmt.Errorf("window %q: time span %q is not of the form 09:00-17:00", s, span)
	}
	if w.Start, err = clock(from); err == nil {
		w.End, err = clock(to)
	}
	if err != nil {
		return w, fmt.Errorf("window %q: %v", s, err)
	}
	if w.Start == w.End {
		return w, fmt.Errorf("window %q is empty", s)
	}
	return w, nil
}

func parseDays(s string, set *[7]bool) error {
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok1 := days[strings.ToLower(from)]
		b, ok2 := a, ok1
		if isRange {
			b, ok2 = days[strings.ToLower(to)]
		}
		if !ok1 || !ok2 {
			return fmt.Errorf("unknown day in %q (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)", s)
		}
		for d := a; ; d = (d + 1) % 7 {
			set[d] = true
			if d == b {
				break
			}
		}
	}
	return nil
}

func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		if s == "24:00" {
			return 24 * 60, nil
		}
		return 0, fmt.Errorf("%q is not a time of day such as 09:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}
