package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/router"
	"github.com/shardcat/shardcat/internal/shard"
)

func init() {
	register(&command{
		name:    "explain",
		summary: "show where SQL statements (one per line on stdin) would be routed; never connects",
		run:     runExplain,
	})
}

func runExplain(_ context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(s.err)
	conf := fs.String("conf", "", "Mycat conf directory (server.xml, schema.xml, rule.xml)")
	schema := fs.String("schema", "", "logical schema of the session (default: the first user's defaultSchema, or the only schema)")
	format := fs.String("format", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *conf == "" || fs.NArg() != 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(s.err, "usage: shardcat explain --conf DIR [--schema NAME] [--format text|json] < statements.sql")
		return 2
	}
	// Read-only: explain must not create ruledata/ files; shard.New is
	// named explicitly so explain never depends on a registry being linked.
	cfg, findings, err := mycatconf.LoadWith(*conf, mycatconf.Options{NewFunction: shard.New, ReadOnly: true})
	for _, f := range findings {
		fmt.Fprintln(s.err, f.String())
	}
	if err != nil {
		fmt.Fprintf(s.err, "shardcat explain: %v\n", err)
		return 1
	}
	if *schema == "" {
		*schema = defaultSchema(cfg)
	} else if _, ok := cfg.Schemas[*schema]; !ok {
		fmt.Fprintf(s.err, "shardcat explain: schema %q is not in schema.xml\n", *schema)
		return 2
	}
	r := router.New(cfg)
	in := bufio.NewScanner(s.in)
	in.Buffer(make([]byte, 64*1024), 16<<20)
	for in.Scan() {
		sql := strings.TrimSpace(in.Text())
		if sql == "" {
			continue
		}
		plan, err := r.Route(*schema, sql)
		if *format == "json" {
			err = writeJSONLine(s.out, sql, plan, err)
		} else {
			err = writeText(s.out, sql, plan, err)
		}
		if err != nil {
			fmt.Fprintf(s.err, "shardcat explain: %v\n", err)
			return 1
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(s.err, "shardcat explain: reading statements: %v\n", err)
		return 1
	}
	return 0
}

// defaultSchema is the default schema of the first user declared in
// server.xml, or the only schema; "" when neither exists.
func defaultSchema(cfg *mycatconf.Config) string {
	users := make([]*mycatconf.User, 0, len(cfg.Users))
	for _, u := range cfg.Users {
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool {
		if users[i].Pos.Line != users[j].Pos.Line {
			return users[i].Pos.Line < users[j].Pos.Line
		}
		return users[i].Name < users[j].Name
	})
	for _, u := range users {
		if u.DefaultSchema != "" {
			return u.DefaultSchema
		}
	}
	if len(cfg.Schemas) == 1 {
		for name := range cfg.Schemas {
			return name
		}
	}
	return ""
}

// explainLine is one JSON output line.
type explainLine struct {
	SQL    string         `json:"sql"`
	Routes []router.Route `json:"routes,omitempty"`
	Note   string         `json:"note,omitempty"`
	Error  string         `json:"error,omitempty"`
}

func writeJSONLine(w io.Writer, sql string, plan *router.Plan, routeErr error) error {
	line := explainLine{SQL: sql}
	if routeErr != nil {
		line.Error = routeErr.Error()
	} else {
		if plan.Kind == router.KindExplain && plan.Inner != nil {
			plan = plan.Inner
		}
		line.Routes = plan.Routes
		if line.Routes == nil {
			line.Routes = []router.Route{}
		}
		line.Note = planNote(plan)
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func writeText(w io.Writer, sql string, plan *router.Plan, routeErr error) error {
	fmt.Fprintf(w, "SQL: %s\n", sql)
	if routeErr != nil {
		if e, ok := routeErr.(*router.Error); ok {
			_, err := fmt.Fprintf(w, "  ERROR %d (%s): %s\n\n", e.Code, e.State, e.Msg)
			return err
		}
		_, err := fmt.Fprintf(w, "  ERROR: %v\n\n", routeErr)
		return err
	}
	if plan.Kind == router.KindExplain && plan.Inner != nil {
		plan = plan.Inner
	}
	if len(plan.Routes) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  DATA_NODE\tSQL")
		for _, rt := range plan.Routes {
			fmt.Fprintf(tw, "  %s\t%s\n", rt.DataNode, rt.SQL)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if note := planNote(plan); note != "" {
		fmt.Fprintf(w, "  note: %s\n", note)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// planNote says in words what the proxy does beyond sending the routes.
func planNote(p *router.Plan) string {
	var notes []string
	switch {
	case len(p.Sequences) > 0:
		notes = append(notes, "the proxy first takes values from sequence(s) "+strings.Join(p.Sequences, ", "))
	case p.AutoIncrement != nil:
		notes = append(notes, fmt.Sprintf("the proxy first takes %d value(s) from sequence %s for %s.%s",
			p.AutoIncrement.Rows, p.AutoIncrement.Sequence, p.AutoIncrement.Table, p.AutoIncrement.Column))
	case p.Lookup != nil:
		notes = append(notes, fmt.Sprintf("the proxy runs %q on %s and sends the statement to the node that has the parent row",
			p.Lookup.SQL, strings.Join(p.Lookup.DataNodes, ",")))
	case len(p.Routes) == 0:
		notes = append(notes, "answered by the proxy itself ("+p.Kind.String()+")")
	}
	if p.AnyNode {
		notes = append(notes, "any one of these nodes serves it")
	}
	if p.ForceMaster {
		notes = append(notes, "forced to the master")
	}
	if m := p.Merge; m != nil {
		var parts []string
		if len(m.Aggregates) > 0 {
			parts = append(parts, "aggregates")
		}
		if len(m.GroupBy) > 0 {
			parts = append(parts, "group by")
		}
		if m.Distinct || m.UnionDistinct {
			parts = append(parts, "distinct")
		}
		if m.Having != "" {
			parts = append(parts, "having "+m.Having)
		}
		if len(m.OrderBy) > 0 {
			parts = append(parts, "order by")
		}
		if m.Limit >= 0 {
			parts = append(parts, fmt.Sprintf("limit %d offset %d", m.Limit, m.Offset))
		}
		if len(parts) == 0 {
			parts = append(parts, "concatenated")
		}
		notes = append(notes, "results merged: "+strings.Join(parts, ", "))
	}
	return strings.Join(notes, "; ")
}
