package mycatconf

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// FormatCheck prints a readable summary of a loaded conf dir (schemas,
// tables with type, rule and nodes, data nodes and hosts, users) followed by
// the findings, for "shardcat proxy --conf DIR --check". cfg may be nil when
// nothing could be loaded.
func FormatCheck(w io.Writer, cfg *Config, findings []Finding) {
	if cfg != nil {
		formatModel(w, cfg)
	}
	errs, warns := 0, 0
	for _, f := range findings {
		if f.Warning {
			warns++
		} else {
			errs++
		}
	}
	if len(findings) > 0 {
		fmt.Fprintln(w, "findings:")
		for _, f := range sortedFindings(findings) {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	status := "OK"
	if errs > 0 {
		status = "FAILED"
	}
	fmt.Fprintf(w, "%s: %d error(s), %d warning(s)\n", status, errs, warns)
}

func sortedFindings(findings []Finding) []Finding {
	out := append([]Finding(nil), findings...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pos.File != out[j].Pos.File {
			return out[i].Pos.File < out[j].Pos.File
		}
		return out[i].Pos.Line < out[j].Pos.Line
	})
	return out
}

func formatModel(w io.Writer, cfg *Config) {
	s := cfg.System
	fmt.Fprintf(w, "conf dir: %s\n", cfg.Dir)
	fmt.Fprintf(w, "system: bind %s, serverPort %d, managerPort %d, charset %s, idleTimeout %s, maxPacketSize %d, txIsolation %d, sequnceHandlerType %d",
		s.BindIP, s.ServerPort, s.ManagerPort, s.Charset, s.IdleTimeout, s.MaxPacketSize, s.TxIsolation, s.SequenceHandlerType)
	if s.FakeMySQLVersion != "" {
		fmt.Fprintf(w, ", fakeMySQLVersion %s", s.FakeMySQLVersion)
	}
	if s.SSLCert != "" {
		fmt.Fprintf(w, ", TLS on")
	}
	fmt.Fprintln(w)

	for _, name := range sortedKeys(cfg.Schemas) {
		sc := cfg.Schemas[name]
		def := sc.DataNode
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(w, "\nschema %s (checkSQLschema=%t, sqlMaxLimit=%d, default dataNode %s)\n", sc.Name, sc.CheckSQLSchema, sc.SQLMaxLimit, def)
		if len(sc.Tables) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TABLE\tTYPE\tRULE\tCOLUMN\tFUNCTION\tDATANODES")
		for _, tn := range sortedKeys(sc.Tables) {
			t := sc.Tables[tn]
			rule, column, function := "-", "-", "-"
			switch {
			case t.Type == TableChild:
				rule = fmt.Sprintf("child of %s", t.Parent.Name)
				column = fmt.Sprintf("%s=%s.%s", t.JoinKey, t.Parent.Name, t.ParentKey)
			case t.Rule != nil:
				rule, column = t.Rule.Name, t.Rule.Column
				if t.Rule.Function != nil {
					function = t.Rule.Function.Name + " (" + t.Rule.Function.Class + ")"
				}
			}
			nodes := abbreviateNodes(t.DataNodes)
			if t.Distribute {
				nodes = "distribute: " + nodes
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Type, rule, column, function, nodes)
		}
		tw.Flush()
	}

	if len(cfg.DataNodes) > 0 {
		fmt.Fprintln(w, "\ndata nodes:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		names := sortedKeys(cfg.DataNodes)
		sort.SliceStable(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
		for _, name := range names {
			dn := cfg.DataNodes[name]
			fmt.Fprintf(tw, "  %s\t-> %s\t/ %s\n", dn.Name, dn.DataHost, dn.Database)
		}
		tw.Flush()
	}

	if len(cfg.DataHosts) > 0 {
		fmt.Fprintln(w, "\ndata hosts:")
		for _, name := range sortedKeys(cfg.DataHosts) {
			dh := cfg.DataHosts[name]
			fmt.Fprintf(w, "  %s (balance=%d writeType=%d switchType=%d maxCon=%d minCon=%d heartbeat %q)\n",
				dh.Name, dh.Balance, dh.WriteType, dh.SwitchType, dh.MaxCon, dh.MinCon, dh.Heartbeat)
			for _, wh := range dh.WriteHosts {
				fmt.Fprintf(w, "    writeHost %s %s user %s\n", wh.Name, wh.Addr, wh.User)
				for _, rh := range wh.ReadHosts {
					fmt.Fprintf(w, "      readHost %s %s user %s weight %d\n", rh.Name, rh.Addr, rh.User, rh.Weight)
				}
			}
		}
	}

	if len(cfg.Users) > 0 {
		fmt.Fprintln(w, "\nusers:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, name := range sortedKeys(cfg.Users) {
			u := cfg.Users[name]
			var flags []string
			if u.ReadOnly {
				flags = append(flags, "readOnly")
			}
			if u.DefaultAccount {
				flags = append(flags, "defaultAccount")
			}
			if u.Benchmark > 0 {
				flags = append(flags, fmt.Sprintf("benchmark=%d", u.Benchmark))
			}
			if u.Privileges != nil && u.Privileges.Check {
				flags = append(flags, "privileges")
			}
			schemas := strings.Join(u.Schemas, ",")
			if schemas == "" {
				schemas = "-"
			}
			fmt.Fprintf(tw, "  %s\tschemas %s\t%s\n", u.Name, schemas, strings.Join(flags, " "))
		}
		tw.Flush()
	}
	formatSequences(w, cfg)
	if len(cfg.Firewall.WhiteHosts) > 0 || cfg.Firewall.Blacklist.Check {
		fmt.Fprintln(w, "\nfirewall:")
		for _, wh := range cfg.Firewall.WhiteHosts {
			fmt.Fprintf(w, "  whitehost %s: %s\n", wh.Host, strings.Join(wh.Users, ","))
		}
		if cfg.Firewall.Blacklist.Check {
			fmt.Fprintf(w, "  blacklist check on (%d properties)\n", len(cfg.Firewall.Blacklist.Props))
		}
	}
	fmt.Fprintln(w)
}

func formatSequences(w io.Writer, cfg *Config) {
	seq := cfg.Sequences
	switch {
	case len(seq.Local) > 0:
		fmt.Fprintln(w, "\nsequences (local file, sequence_conf.properties):")
		for _, name := range sortedKeys(seq.Local) {
			s := seq.Local[name]
			fmt.Fprintf(w, "  MYCATSEQ_%s: %d..%d, current %d\n", name, s.MinID, s.MaxID, s.CurID)
		}
	case len(seq.DB) > 0:
		fmt.Fprintln(w, "\nsequences (MySQL, sequence_db_conf.properties):")
		for _, name := range sortedKeys(seq.DB) {
			fmt.Fprintf(w, "  MYCATSEQ_%s: MYCAT_SEQUENCE on %s\n", name, seq.DB[name])
		}
	case cfg.System.SequenceHandlerType == SequenceLocalTime:
		fmt.Fprintf(w, "\nsequences (snowflake): worker %d, datacenter %d\n", seq.WorkerID, seq.DatacenterID)
	}
}

// abbreviateNodes keeps long node lists on one readable line.
func abbreviateNodes(nodes []string) string {
	if len(nodes) <= 8 {
		return strings.Join(nodes, ",")
	}
	return fmt.Sprintf("%s,...,%s (%d nodes)", strings.Join(nodes[:3], ","), strings.Join(nodes[len(nodes)-2:], ","), len(nodes))
}

// naturalLess orders dn2 before dn10: by the text before a trailing number,
// then by the number.
func naturalLess(a, b string) bool {
	pa, na, oka := splitTrailingNumber(a)
	pb, nb, okb := splitTrailingNumber(b)
	if pa != pb || !oka || !okb {
		return a < b
	}
	if na != nb {
		return na < nb
	}
	return a < b
}

func splitTrailingNumber(s string) (string, int, bool) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' && len(s)-i < 9 {
		i--
	}
	if i == len(s) {
		return s, 0, false
	}
	n := 0
	for _, c := range s[i:] {
		n = n*10 + int(c-'0')
	}
	return s[:i], n, true
}
