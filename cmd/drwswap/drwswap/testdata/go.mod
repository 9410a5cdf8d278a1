module drwswaptest

go 1.24.0

require github.com/readmostly/readmostly v0.0.0-00010101000000-000000000000

require (
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	golang.org/x/sys v0.41.0 // indirect
)

replace github.com/readmostly/readmostly => ../../../..
