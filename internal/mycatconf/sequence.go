package mycatconf

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/shardcat/shardcat/internal/javaprops"
)

// Mycat's sequence handler types (SystemConfig.SEQUENCEHANDLER_*).
const (
	SequenceLocalFile = 0 // sequence_conf.properties
	SequenceMySQLDB   = 1 // sequence_db_conf.properties, MYCAT_SEQUENCE table
	SequenceLocalTime = 2 // sequence_time_conf.properties, snowflake
)

// loadSequences reads the properties file of the sequence handler in use.
// A missing file is only a warning: Mycat reads it on the first
// "next value for MYCATSEQ_" and a conf dir that never uses one is valid.
func (l *loader) loadSequences() {
	switch t := l.cfg.System.SequenceHandlerType; t {
	case SequenceLocalFile:
		if props := l.readProperties(SequenceFile); props != nil {
			l.loadLocalSequences(props)
		}
	case SequenceMySQLDB:
		if props := l.readProperties(SequenceDBFile); props != nil {
			l.loadDBSequences(props)
		}
	case SequenceLocalTime:
		if props := l.readProperties(SequenceTimeFile); props != nil {
			l.loadTimeSequence(props)
		}
	default:
		l.warnf(ServerFile, 0, "sequnceHandlerType %d (ZooKeeper or custom class) is not supported by shardcat; MYCATSEQ_ sequences will fail", t)
	}
}

func (l *loader) readProperties(file string) []javaprops.Property {
	data, err := os.ReadFile(l.path(file))
	if errors.Is(err, fs.ErrNotExist) {
		l.warnf(file, 0, "file not found; \"next value for MYCATSEQ_...\" will fail (sequnceHandlerType is %d)", l.cfg.System.SequenceHandlerType)
		return nil
	}
	if err != nil {
		l.errorf(file, 0, "%v", err)
		return nil
	}
	props, err := javaprops.Parse(string(data))
	if err != nil {
		l.errorf(file, 0, "%v", err)
		return nil
	}
	if props == nil {
		props = []javaprops.Property{}
	}
	return props
}

// loadLocalSequences reads NAME.HISIDS, NAME.MINID, NAME.MAXID, NAME.CURID.
func (l *loader) loadLocalSequences(props []javaprops.Property) {
	type partial struct {
		seq  LocalSequence
		have map[string]bool
		line int
	}
	byName := map[string]*partial{}
	var order []string
	for _, p := range props {
		dot := strings.LastIndexByte(p.Key, '.')
		if dot <= 0 {
			l.errorf(SequenceFile, p.Line, "key %q: expected NAME.HISIDS, NAME.MINID, NAME.MAXID or NAME.CURID", p.Key)
			continue
		}
		name, field := strings.ToUpper(p.Key[:dot]), strings.ToUpper(p.Key[dot+1:])
		s := byName[name]
		if s == nil {
			s = &partial{have: map[string]bool{}, line: p.Line}
			byName[name] = s
			order = append(order, name)
		}
		if field == "HISIDS" {
			s.seq.HisIDs = p.Value
			s.have[field] = true
			continue
		}
		var dst *int64
		switch field {
		case "MINID":
			dst = &s.seq.MinID
		case "MAXID":
			dst = &s.seq.MaxID
		case "CURID":
			dst = &s.seq.CurID
		default:
			l.warnf(SequenceFile, p.Line, "key %q: unknown field %s ignored", p.Key, field)
			continue
		}
		n, err := parseInt64(p.Value)
		if err != nil {
			l.errorf(SequenceFile, p.Line, "%s: %v", p.Key, err)
			continue
		}
		*dst = n
		s.have[field] = true
	}
	l.cfg.Sequences.Local = map[string]LocalSequence{}
	for _, name := range order {
		s := byName[name]
		ok := true
		for _, f := range []string{"MINID", "MAXID", "CURID"} {
			if !s.have[f] {
				l.errorf(SequenceFile, s.line, "sequence %s: %s.%s is missing", name, name, f)
				ok = false
			}
		}
		if ok && s.seq.MinID > s.seq.MaxID {
			l.errorf(SequenceFile, s.line, "sequence %s: MINID %d is above MAXID %d", name, s.seq.MinID, s.seq.MaxID)
			ok = false
		}
		if ok {
			l.cfg.Sequences.Local[name] = s.seq
		}
	}
}

// loadDBSequences reads NAME=dataNode: the node holding MYCAT_SEQUENCE.
func (l *loader) loadDBSequences(props []javaprops.Property) {
	l.cfg.Sequences.DB = map[string]string{}
	for _, p := range props {
		node := strings.TrimSpace(p.Value)
		if _, ok := l.cfg.DataNodes[node]; !ok && !l.failed[SchemaFile] {
			l.errorf(SequenceDBFile, p.Line, "sequence %s: dataNode %q is not defined in schema.xml", p.Key, node)
			continue
		}
		l.cfg.Sequences.DB[strings.ToUpper(p.Key)] = node
	}
}

// loadTimeSequence reads WORKID and DATAACENTERID (Mycat's spelling), each
// a 5-bit snowflake field.
func (l *loader) loadTimeSequence(props []javaprops.Property) {
	have := map[string]bool{}
	for _, p := range props {
		var dst *int64
		switch p.Key {
		case "WORKID":
			dst = &l.cfg.Sequences.WorkerID
		case "DATAACENTERID":
			dst = &l.cfg.Sequences.DatacenterID
		default:
			l.warnf(SequenceTimeFile, p.Line, "unknown key %s ignored (expected WORKID and DATAACENTERID)", p.Key)
			continue
		}
		n, err := parseInt64(p.Value)
		if err != nil || n < 0 || n > 31 {
			l.errorf(SequenceTimeFile, p.Line, "%s=%q: expected an integer in 0..31", p.Key, p.Value)
			continue
		}
		*dst = n
		have[p.Key] = true
	}
	for _, k := range []string{"WORKID", "DATAACENTERID"} {
		if !have[k] {
			l.errorf(SequenceTimeFile, 0, "%s is missing (expected an integer in 0..31)", k)
		}
	}
}
