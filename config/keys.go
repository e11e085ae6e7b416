package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Key is one leaf of the configuration file: a value an admin can set.
type Key struct {
	// Path is the dotted YAML path, such as "source.git.url". A list of
	// records adds "[]" ("health.checks[].name"), a map of records adds
	// ".<name>".
	Path string
	// Type is "string", "bool", "int", "duration", "list of <type>" or
	// "map of <type>".
	Type string
	// Default is the value Defaults gives the key, formatted as it would
	// be written in the file; empty when Defaults leaves it zero.
	Default string
}

var durationType = reflect.TypeOf(time.Duration(0))

// Keys lists every key of Config, sorted by path. It is derived from the
// yaml tags, so the NixOS module and the documentation can be checked
// against it.
func Keys() []Key {
	var keys []Key
	walkKeys(reflect.ValueOf(Defaults()), "", &keys)
	sort.Slice(keys, func(i, j int) bool { return keys[i].Path < keys[j].Path })
	return keys
}

// walkKeys appends the leaves under the struct v, whose path is prefix.
func walkKeys(v reflect.Value, prefix string, keys *[]Key) {
	t := v.Type()
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		walkValue(v.Field(i), join(prefix, name), keys)
	}
}

// walkValue appends the key at path, or the keys under it for a record.
func walkValue(v reflect.Value, path string, keys *[]Key) {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
		if v.IsNil() {
			v = reflect.New(t)
		}
		v = v.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct:
		walkKeys(v, path, keys)
	case t.Kind() == reflect.Slice && record(t.Elem()):
		walkKeys(reflect.New(deref(t.Elem())).Elem(), path+"[]", keys)
	case t.Kind() == reflect.Map && record(t.Elem()):
		walkKeys(reflect.New(deref(t.Elem())).Elem(), path+".<name>", keys)
	default:
		*keys = append(*keys, Key{Path: path, Type: typeName(t), Default: format(v)})
	}
}

func record(t reflect.Type) bool {
	return deref(t).Kind() == reflect.Struct && deref(t) != durationType
}

func deref(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// yamlName is the field's key in the file; empty for fields the file
// cannot set.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// typeName names t the way the documentation does.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.Slice:
		return "list of " + typeName(t.Elem())
	case t.Kind() == reflect.Map:
		return "map of " + typeName(t.Elem())
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "int"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "number"
	}
	return t.Kind().String()
}

// format writes a non-zero default as it would appear in the file.
func format(v reflect.Value) string {
	if !v.IsValid() || v.IsZero() {
		return ""
	}
	if v.Type() == durationType {
		return FormatDuration(time.Duration(v.Int()))
	}
	return fmt.Sprint(v.Interface())
}

// FormatDuration writes d without the zero units time.Duration.String
// adds: 15m rather than 15m0s, 1h rather than 1h0m0s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
