package mysql

import (
	"strconv"
	"testing"
)

// TestAppendMySQLFloat checks values printed by MariaDB 10.11 for
// CAST(x AS DOUBLE) and CAST(x AS FLOAT).
func TestAppendMySQLFloat(t *testing.T) {
	cases := []struct {
		in          string
		double, flt string
	}{
		{"1e15", "1e15", "1e15"},
		{"1e14", "100000000000000", "100000000000000"},
		{"123456789012345", "123456789012345", "123457000000000"},
		{"1234567890123456", "1.234567890123456e15", "1.23457e15"},
		{"1e22", "1e22", "1e22"},
		{"0.0001", "0.0001", "0.0001"},
		{"1e-7", "0.0000001", "0.0000001"},
		{"1.5e-14", "0.000000000000015", "0.000000000000015"},
		{"1e-15", "0.000000000000001", "0.000000000000001"},
		{"1e-16", "1e-16", "1e-16"},
		{"-1e15", "-1e15", "-1e15"},
		{"-123456789012345", "-123456789012345", "-123457000000000"},
		{"999999999999999", "999999999999999", "1e15"},
		{"1234567.0", "1234567", "1234570"},
		{"123456.789", "123456.789", "123457"},
		{"0.12345678901234568", "0.12345678901234568", "0.123457"},
		{"3.4e38", "3.4e38", "3.4e38"},
		{"1.17549e-38", "1.17549e-38", "1.17549e-38"},
		{"-2.25e100", "-2.25e100", ""},
		{"3", "3", "3"},
		{"0", "0", "0"},
	}
	for _, c := range cases {
		f, err := strconv.ParseFloat(c.in, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendMySQLFloat(nil, f, 64)); got != c.double {
			t.Errorf("double %s: got %s, want %s", c.in, got, c.double)
		}
		if c.flt == "" {
			continue
		}
		if got := string(appendMySQLFloat(nil, float64(float32(f)), 32)); got != c.flt {
			t.Errorf("float %s: got %s, want %s", c.in, got, c.flt)
		}
	}
}
