package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// intList is a flag of comma-separated integers in [1, max], in the order
// given, without repeats.
type intList struct {
	max  int
	list []int
}

func (l *intList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(l.list))
	for i, n := range l.list {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	var list []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("%q is not an integer", f)
		}
		if n < 1 || n > l.max {
			return fmt.Errorf("%d out of range [1, %d]", n, l.max)
		}
		if slices.Contains(list, n) {
			return fmt.Errorf("%d given twice", n)
		}
		list = append(list, n)
	}
	l.list = list
	return nil
}

// nameList is a flag of comma-separated names from a known set, or "all".
type nameList struct {
	what  string   // what a name names, for messages
	known []string // the names accepted
	list  []string
	all   bool // "all" was given, alone
	// explicit is set when the names in list were given on the command
	// line rather than being the default.
	explicit bool
}

func (l *nameList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.list, ",")
}

func (l *nameList) Set(v string) error {
	fields := strings.Split(v, ",")
	if len(fields) == 1 && strings.TrimSpace(fields[0]) == "all" {
		l.list, l.all, l.explicit = slices.Clone(l.known), true, false
		return nil
	}
	var list []string
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if !slices.Contains(l.known, f) {
			return fmt.Errorf("unknown %s %q (want all or some of %s)", l.what, f, strings.Join(l.known, ", "))
		}
		if slices.Contains(list, f) {
			return fmt.Errorf("%s %s given twice", l.what, f)
		}
		list = append(list, f)
	}
	l.list, l.all, l.explicit = list, false, true
	return nil
}

// has reports whether name is selected.
func (l *nameList) has(name string) bool { return l.all || slices.Contains(l.list, name) }

// named reports whether name was given by name on the command line.
func (l *nameList) named(name string) bool { return l.explicit && slices.Contains(l.list, name) }
