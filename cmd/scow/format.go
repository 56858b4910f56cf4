package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/urfave/cli/v2"
)

// funcs are the template functions --format offers, as Podman's do.
var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"join":  strings.Join,
	"truncate": func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	},
}

// printObjects prints inspect's objects: through a --format template over
// their JSON field names, or as a JSON array.
func printObjects(w io.Writer, format string, rows []any) error {
	if format == "" {
		return printJSON(w, rows)
	}
	shaped, err := jsonShaped(rows)
	if err != nil {
		return err
	}
	return printTemplate(w, format, shaped, nil, false)
}

// printOne prints one object (info, version) through a --format
// template, or as a JSON object for "json".
func printOne(w io.Writer, format string, v any) error {
	if format == "json" {
		return printJSON(w, v)
	}
	return printTemplate(w, format, []any{v}, nil, false)
}

// noHeadingFlag is --noheading/-n of the listings.
func noHeadingFlag(aliases ...string) cli.Flag {
	return &cli.BoolFlag{Name: "noheading", Aliases: aliases, Usage: "print no header line"}
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "     ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// printTemplate renders each row with a Go template. A format starting
// with "table" prints a header first (the field names from headers; not
// with noHeading) and aligns columns; "json" prints the rows as a JSON
// array.
func printTemplate(w io.Writer, format string, rows []any, headers map[string]string, noHeading bool) error {
	if format == "json" {
		if rows == nil {
			rows = []any{}
		}
		return printJSON(w, rows)
	}
	table := false
	if rest, ok := strings.CutPrefix(format, "table"); ok {
		table, format = true, strings.TrimSpace(rest)
	}
	format = strings.ReplaceAll(format, `\t`, "\t")
	format = strings.ReplaceAll(format, `\n`, "\n")
	tmpl, err := template.New("format").Funcs(funcs).Parse(format + "\n")
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	// Rows are many and small: one write at the end, not one per cell.
	buf := bufio.NewWriter(w)
	var out io.Writer = buf
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(buf, 0, 8, 2, ' ', 0)
		out = tw
		if !noHeading {
			fmt.Fprintln(out, header(format, headers))
		}
	}
	for _, r := range rows {
		if err := tmpl.Execute(out, r); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return buf.Flush()
}

var fieldRE = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

// header turns each {{.Field}} of a table format into its column title.
func header(format string, headers map[string]string) string {
	return fieldRE.ReplaceAllStringFunc(format, func(m string) string {
		f := fieldRE.FindStringSubmatch(m)[1]
		if t, ok := headers[f]; ok {
			return t
		}
		return strings.ToUpper(f)
	})
}

// jsonShaped turns rows into what their JSON says, so that inspect
// templates use the JSON field names ({{.Id}}, {{.State.Status}}) as
// Docker's do.
func jsonShaped(rows []any) ([]any, error) {
	data, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	var out []any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = numbers(out[i])
	}
	return out, nil
}

// goName is the Go field name of a lower-case JSON name: created_by is
// CreatedBy.
func goName(k string) string {
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		return k
	}
	parts := strings.Split(k, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// numbers turns JSON numbers into Go's: int64, uint64 beyond it, or
// float64, which templates print as numbers (134217728, not
// 1.34217728e+08) and compare with eq.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
		if h, ok := x["History"].([]any); ok {
			// The OCI history's lower-case JSON names (created_by,
			// empty_layer) are also there by their Go names (CreatedBy,
			// EmptyLayer), which Podman's templates use.
			for _, e := range h {
				if m, ok := e.(map[string]any); ok {
					for _, k := range slices.Collect(maps.Keys(m)) {
						m[goName(k)] = m[k]
					}
				}
			}
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}
