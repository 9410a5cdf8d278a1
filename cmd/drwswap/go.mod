module github.com/readmostly/readmostly/cmd/drwswap

go 1.24.0

replace github.com/readmostly/readmostly => ../..

require (
	github.com/gorilla/context v1.1.2
	github.com/readmostly/readmostly v0.0.0-00010101000000-000000000000
	golang.org/x/tools v0.42.0
)

require (
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/mod v0.33.0 // indirect
	golang.org/x/sync v0.19.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
)
