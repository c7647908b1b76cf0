// Package s3test starts a real S3-compatible server for tests: Versity
// Gateway (versitygw, posix backend) on 127.0.0.1, a free port, a
// temporary root directory and fresh credentials. Tests talk to it over
// real HTTP with the AWS SDK, as production code talks to S3; nothing of
// the S3 API is mocked.
//
// The binary is found at $VERSITYGW_BIN, else <module root>/.tools/bin/
// versitygw (what `make tools` installs), else on PATH.
package s3test
