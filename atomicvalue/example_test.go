package atomicvalue_test

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/readmostly/readmostly/atomicvalue"
)

// Config is what a server reloads while requests keep reading it.
type Config struct {
	Timeout  time.Duration
	Backends []string
}

// The config-reload idiom: handlers Load the current *Config without taking
// any lock; a reload publishes a new Config and never changes a published
// one, so a handler keeps a consistent view for the whole request.
func ExampleValue() {
	var current atomicvalue.Value[*Config]
	current.Store(&Config{Timeout: time.Second, Backends: []string{"a", "b"}})

	handle := func() string {
		cfg := current.Load()
		return fmt.Sprintf("timeout %v over %d backends", cfg.Timeout, len(cfg.Backends))
	}
	fmt.Println(handle())

	// A partial reload: copy, change, publish. Update re-runs the function
	// if another reload lands meanwhile, so neither change is lost.
	current.Update(func(old *Config) *Config {
		next := *old
		next.Backends = append(old.Backends[:len(old.Backends):len(old.Backends)], "c")
		return &next
	})
	current.Update(func(old *Config) *Config {
		next := *old
		next.Timeout = 5 * time.Second
		return &next
	})
	fmt.Println(handle())
	// Output:
	// timeout 1s over 2 backends
	// timeout 5s over 3 backends
}

func ExampleCompareAndSwap() {
	var state atomicvalue.Value[string] // zero Value holds ""
	fmt.Println(atomicvalue.CompareAndSwap(&state, "", "starting"))
	fmt.Println(atomicvalue.CompareAndSwap(&state, "", "starting")) // someone else started it
	fmt.Println(state.Load())
	// Output:
	// true
	// false
	// starting
}

// field describes one encoded struct field, as encoding/json's does.
type field struct {
	name  string
	index int
}

// fieldCache maps a struct type to its encoded fields. Types are few and
// found early, and every Marshal reads the cache: the read-mostly case that
// encoding/json's cachedTypeFields served with atomic.Value.
var (
	fieldCache     atomicvalue.Cache[reflect.Type, []field]
	typeFieldsRuns int
)

func cachedTypeFields(t reflect.Type) []field {
	fields, _ := fieldCache.LoadOrCompute(t, typeFields)
	return fields
}

// typeFields is the expensive reflection walk the cache saves.
func typeFields(t reflect.Type) []field {
	typeFieldsRuns++
	var fields []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields = append(fields, field{name, i})
	}
	return fields
}

// A reflect.Type-keyed cache in the style of encoding/json: the first use of
// a type computes its fields outside any lock, and every later use is a
// lock-free map lookup.
func ExampleCache_LoadOrCompute() {
	type User struct {
		ID       int    `json:"id"`
		Name     string `json:"name,omitempty"`
		password string
		Internal bool `json:"-"`
	}
	t := reflect.TypeFor[User]()
	u := reflect.ValueOf(User{ID: 7, Name: "ann", password: "secret"})
	for range 3 {
		var parts []string
		for _, f := range cachedTypeFields(t) {
			parts = append(parts, fmt.Sprintf("%s=%v", f.name, u.Field(f.index)))
		}
		fmt.Println(strings.Join(parts, " "))
	}
	fmt.Println("typeFields ran", typeFieldsRuns, "time(s)")
	// Output:
	// id=7 name=ann
	// id=7 name=ann
	// id=7 name=ann
	// typeFields ran 1 time(s)
}

// Registering a table at start-up with one copy instead of one per entry,
// as encoding/gob fills its type map during init.
func ExampleCache_StoreAll() {
	var codes atomicvalue.Cache[string, int]
	codes.StoreAll(maps.All(map[string]int{"ok": 200, "not found": 404, "teapot": 418}))
	code, ok := codes.Load("teapot")
	fmt.Println(codes.Len(), code, ok)
	// Output: 3 418 true
}
