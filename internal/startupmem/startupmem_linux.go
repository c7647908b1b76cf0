package startupmem

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Release pages out every file-backed, non-writable mapping of the running
// executable. It returns the bytes advised.
func Release() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("startupmem: %w", err)
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("startupmem: %w", err)
	}
	defer f.Close()
	var advised int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
			continue
		}
		startText, endText, _ := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(startText, 16, 64)
		end, err2 := strconv.ParseUint(endText, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// The raw call: the range is this process's own mapping, known only
		// as numbers, and madvise does not dereference it.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT); errno != 0 {
			return advised, fmt.Errorf("startupmem: madvise %s: %w", fields[0], errno)
		}
		advised += int64(end - start)
	}
	if err := sc.Err(); err != nil {
		return advised, fmt.Errorf("startupmem: %w", err)
	}
	return advised, nil
}
