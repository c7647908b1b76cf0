// Package startupmem hands the pages of the executable that only start-up
// touched back to the kernel. Package initialisers of large dependencies
// (the gRPC stack behind external plugins, the S3 client's tables) fault
// in megabytes of code and read-only data that an idle server never runs
// again; after start-up, MADV_PAGEOUT drops them from the process's
// resident set, and whatever is still used faults back on its next use.
// Nothing else changes: the pages are clean file pages of the binary.
package startupmem
