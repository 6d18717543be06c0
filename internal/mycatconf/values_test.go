package mycatconf

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpandNames(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"dn1", []string{"dn1"}, ""},
		{" dn1 , dn2 ,,", []string{"dn1", "dn2"}, ""},
		{"dn$0-2", []string{"dn0", "dn1", "dn2"}, ""},
		{"dn$3", []string{"dn3"}, ""},
		{"dn1$0-2,x", []string{"dn10", "dn11", "dn12", "x"}, ""},
		{"a$1-2,b$5-6", []string{"a1", "a2", "b5", "b6"}, ""},
		{"db $ 1 - 2", []string{"db1", "db2"}, ""},
		{"", nil, ""},
		{"$0-2", nil, "nothing before $"},
		{"dn$2-1", nil, "range end 1 is below its start 2"},
		{"dn$a-2", nil, `range bound "a" is not a non-negative integer`},
		{"dn$-1", nil, `range bound "" is not a non-negative integer`},
		{"dn$0-1-2", nil, `range bound "1-2"`},
		{"dn$0-99999999", nil, "expands to more than 65536 names"},
		{"dn$+1-2", nil, `range bound "+1"`},
	}
	for _, tt := range tests {
		got, err := expandNames(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("expandNames(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("expandNames(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestHostAddr(t *testing.T) {
	tests := []struct {
		url, want, wantErr string
	}{
		{"127.0.0.1:3306", "127.0.0.1:3306", ""},
		{"localhost:3306", "localhost:3306", ""},
		{"[::1]:3307", "[::1]:3307", ""},
		{"jdbc:mysql://db.example:3307", "db.example:3307", ""},
		{"jdbc:mysql://127.0.0.1:3308/shop?useSSL=false", "127.0.0.1:3308", ""},
		{"jdbc:mysql://127.0.0.1", "127.0.0.1:3306", ""},
		{"jdbc:mariadb://127.0.0.1:3309", "127.0.0.1:3309", ""},
		{"127.0.0.1", "", "expected host:port"},
		{":3306", "", "expected host:port"},
		{"127.0.0.1:0", "", "not a number in 1..65535"},
		{"127.0.0.1:70000", "", "not a number in 1..65535"},
		{"127.0.0.1:abc", "", "not a number in 1..65535"},
		{"jdbc:oracle:thin:@h:1521:x", "", "not a MySQL url"},
		{"jdbc:mysql://:3306", "", "no host"},
		{"jdbc:mysql://h:99999", "", "not a number in 1..65535"},
	}
	for _, tt := range tests {
		got, err := hostAddr(tt.url)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("hostAddr(%q) = %q, %v; want error %q", tt.url, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("hostAddr(%q) = %q, %v; want %q", tt.url, got, err, tt.want)
		}
	}
}

func TestParseDML(t *testing.T) {
	tests := []struct {
		in   string
		want DML
		ok   bool
	}{
		{"0110", DML{false, true, true, false}, true},
		{"1111", DML{true, true, true, true}, true},
		{" 0000 ", DML{}, true},
		{"011", DML{}, false},
		{"01100", DML{}, false},
		{"01x0", DML{}, false},
		{"0120", DML{}, false},
	}
	for _, tt := range tests {
		got, err := parseDML(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDML(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestTableNameSuffix(t *testing.T) {
	tests := []struct {
		name, suffix, want, wantErr string
	}{
		// Mycat sets day 0 of the month, so YYYYMM starts a month early.
		{"T", "YYYYMM,2015,01,2", "T201412,T201501,T201502", ""},
		{"T", "YYYYMM,2015,13,0", "T201512", ""},
		{"T", "YYYYMMDD,2015,02,27,2", "T20150227,T20150228,T20150301", ""},
		{"T", "YYYYMMDD,2016,02,28,1", "T20160228,T20160229", ""},
		{"T", "YYYYMM,2015,01", "", "expects 3 numbers"},
		{"T", "YYYYMM,x,01,1", "", "not an integer"},
		{"T", "YYYY,2015", "", "is not YYYYMM or YYYYMMDD"},
		{"T", "YYYYMM,2015,1,99999999", "", "out of range"},
	}
	for _, tt := range tests {
		got, err := tableNameSuffix(tt.name, tt.suffix)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("tableNameSuffix(%q, %q) = %q, %v; want error %q", tt.name, tt.suffix, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("tableNameSuffix(%q, %q) = %q, %v; want %q", tt.name, tt.suffix, got, err, tt.want)
		}
	}
}

func TestCheckFakeVersion(t *testing.T) {
	for v, ok := range map[string]bool{"5.6.20": true, "5.7.30-log": true, "8.0.11": true, "5.5.1": true,
		"4.1.0": false, "5.6": false, "5.6.": false, "mysql": false, "": false} {
		if err := checkFakeVersion(v); (err == nil) != ok {
			t.Errorf("checkFakeVersion(%q) = %v, want ok=%v", v, err, ok)
		}
	}
}
