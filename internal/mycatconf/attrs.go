package mycatconf

import "strings"

// knownAttrs lists the attributes Mycat 1.6's DTDs allow per element. An
// attribute outside the list is most often a typo (datanode for dataNode)
// that Mycat would silently ignore, so it is reported as a warning.
var knownAttrs = map[string]string{
	"schema":     "name checkSQLschema sqlMaxLimit dataNode randomDataNode",
	"table":      "name nameSuffix dataNode rule ruleRequired primaryKey autoIncrement needAddLimit type subTables fetchStoreNodeByJdbc",
	"childTable": "name joinKey parentKey primaryKey autoIncrement needAddLimit subTables",
	"dataNode":   "name dataHost database",
	"dataHost": "name maxCon minCon balance balanceType writeType switchType slaveThreshold dbType dbDriver " +
		"tempReadHostAvailable notSwitch maxRetryCount filters logTime slaveIDs",
	"writeHost":  "host url user password usingDecrypt checkAlive weight",
	"readHost":   "host url user password usingDecrypt weight",
	"user":       "name defaultAccount",
	"function":   "name class",
	"tableRule":  "name",
	"property":   "name",
	"privileges": "check",
	"host":       "host user",
	"blacklist":  "check",
}

// warnUnknownAttrs reports attributes of e that Mycat does not define.
func (l *loader) warnUnknownAttrs(file string, e *element) {
	known, ok := knownAttrs[e.Name]
	if !ok {
		return
	}
	for _, a := range e.Attrs {
		if a.Name.Space != "" {
			continue // xmlns and other prefixed attributes
		}
		if !strings.Contains(" "+known+" ", " "+a.Name.Local+" ") {
			l.warnf(file, e.Line, "<%s>: unknown attribute %s=%q ignored (known: %s)", e.Name, a.Name.Local, a.Value, known)
		}
	}
}
