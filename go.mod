module github.com/readmostly/readmostly

go 1.23.0

require (
	github.com/anishathalye/porcupine v1.3.1
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.35.0
)
