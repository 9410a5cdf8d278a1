module github.com/readmostly/readmostly

go 1.24.0

require (
	github.com/anishathalye/porcupine v1.3.1
	github.com/klauspost/cpuid/v2 v2.4.2
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.41.0
)
