// Drwswap reports the package-level sync.RWMutex locks of the named packages,
// each with its read and write call sites and a verdict, and with -fix swaps
// the read-mostly ones for drwmutex.RWMutex from
// github.com/readmostly/readmostly/drwmutex.
//
// Usage:
//
//	drwswap [-C dir] [-fix] [-diff] [-json] [-ratio r] [-exported] packages
//
// A leading -C dir runs drwswap in dir, as it does the go command, so that a
// checkout of readmostly can analyze another module:
//
//	go -C cmd/drwswap run . -C /path/to/module ./...
//
// The output is vet's: one file:line:col: message line per lock, followed by
// its call sites and the uses that need its type, indented. The exit status is
// 0 when nothing is reported (and after -fix), 3 when locks are reported, and
// 1 on errors. See the drwswap package (go doc
// github.com/readmostly/readmostly/cmd/drwswap/drwswap) for the verdicts; the
// analyzer also runs under go vet -vettool.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/readmostly/readmostly/cmd/drwswap/drwswap"
	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() {
	args, err := chdir(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "drwswap:", err)
		os.Exit(2)
	}
	os.Args = append(os.Args[:1], args...)
	singlechecker.Main(drwswap.Analyzer)
}

// chdir handles a leading -C dir (or -C=dir) the way the go command does,
// and returns the remaining arguments.
func chdir(args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	var dir string
	switch a := strings.TrimPrefix(args[0], "-"); {
	case a == "-C" || a == "C":
		if len(args) < 2 {
			return nil, fmt.Errorf("flag needs an argument: -C")
		}
		dir, args = args[1], args[2:]
	case strings.HasPrefix(a, "C=") || strings.HasPrefix(a, "-C="):
		_, dir, _ = strings.Cut(a, "=")
		args = args[1:]
	default:
		return args, nil
	}
	if err := os.Chdir(dir); err != nil {
		return nil, fmt.Errorf("-C: %v", err)
	}
	return args, nil
}
