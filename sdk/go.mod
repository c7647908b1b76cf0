module github.com/runnel-io/runnel/sdk

go 1.26

require (
	github.com/apache/iggy/foreign/go v0.8.0
	github.com/zeebo/xxh3 v1.1.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.18.5 // indirect
	github.com/klauspost/cpuid/v2 v2.2.10 // indirect
	golang.org/x/sys v0.43.0 // indirect
)
