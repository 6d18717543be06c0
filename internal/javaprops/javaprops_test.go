package javaprops

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want []Property
	}{
		{"# comment\n! also comment\n\n  a=1\nb : 2\nc 3\nd=\\\n    4\\\n 5\ne\\ f=\\u0041\\t\nempty\n",
			[]Property{{"a", "1", 4}, {"b", "2", 5}, {"c", "3", 6}, {"d", "45", 7}, {"e f", "A\t", 10}, {"empty", "", 11}}},
		{"# comment\n! also a comment\n  key1 = value one \nkey2:v2\nkey3 v3\nempty=\nlong = a,\\\n    b\nesc\\=key=\\u0041\\tB\r\nlast",
			[]Property{{"key1", "value one ", 3}, {"key2", "v2", 4}, {"key3", "v3", 5}, {"empty", "", 6}, {"long", "a,b", 7}, {"esc=key", "A\tB", 9}, {"last", "", 10}}},
		{"a=1\rb=2\r\nc=3", []Property{{"a", "1", 1}, {"b", "2", 2}, {"c", "3", 3}}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", c.in, got, c.want)
		}
	}
	for in, line := range map[string]string{"k=\\u00zz": "line 1: malformed", "\n\nk=\\u00": "line 3: malformed"} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), line) {
			t.Errorf("Parse(%q): err = %v, want %q", in, err, line)
		}
	}
}

func TestLatin1(t *testing.T) {
	if got := Latin1([]byte{'a', 0xe9}); got != "aé" {
		t.Fatalf("Latin1 = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a=b\n", "# c\nk : v\\\n  w\n", "k=\\u0041", "k=\\u00", "\\", "a\\\n", "0 : 1 , 2 - 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		props, err := Parse(text)
		if err != nil {
			return
		}
		last := 0
		for _, p := range props {
			if p.Line < 1 || p.Line <= last {
				t.Fatalf("lines must start at 1 and increase: %+v", props)
			}
			last = p.Line
		}
	})
}
